"""Facts the catalog derives about a dataset, and that rules of other files read.

A build keeps them per descriptor (``catalog.build.Unit.facts``), so the cross-file
rules (agreements, requests) see every dataset without reading it again. PII is
*derived*: a field is personal data when it is marked ``pii: true``, or when its name,
the standard it follows or its sample values say so and no waiver explains why not
(:mod:`catalog.validate.pii`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Dataset
    from . import Entry, Inventory


@dataclass(frozen=True)
class DatasetFacts:
    id: str
    agency: str
    rel: str
    access: str  # access level
    visibility: str
    pii: tuple[str, ...]  # names of the fields that are personal data (derived)
    title: str = ""
    due: tuple[tuple[str, str, str], ...] = ()  # (kind, ISO date, basis) of dated obligations

    @property
    def client_level(self) -> bool:
        """Holds records about individuals the public may not see (not an open table)."""
        return bool(self.pii) or self.access != "public"

    def pack(self) -> tuple[Any, ...]:
        return (self.id, self.agency, self.rel, self.access, self.visibility, self.pii,
                self.title, self.due)

    @classmethod
    def unpack(cls, t: tuple[Any, ...]) -> "DatasetFacts":
        return cls(t[0], t[1], t[2], t[3], t[4], tuple(t[5]), t[6],
                   tuple(tuple(d) for d in t[7]))


def dataset_facts(entry: "Entry[Dataset]", inv: "Inventory") -> DatasetFacts | None:
    """The facts of one descriptor (None without an id); a partial model gives what it
    has."""
    from .pii import personal_fields
    from .policy import classification_due, tool_review_due

    d = entry.model
    if not entry.has("id") or not d.id:
        return None
    access = d.access.level.value if entry.has("access") else "non-public"
    visibility = d.access.effective_visibility.value if entry.has("access") else "hidden"
    pii = tuple(f.name for _, f, _ in personal_fields(entry, inv)) if entry.has("schema") \
        else ()
    agency = d.agency if entry.has("agency") else entry.source.folder
    due: list[tuple[str, str, str]] = []
    if entry.has("agency", "classification"):
        found = classification_due(entry, inv)
        if found:
            due.append(("classification-review", found[0].isoformat(), found[1]))
    if entry.has("predictive_analytics") and (when := tool_review_due(entry)):
        due.append(("tool-review", when.isoformat(), "DCF 5-4: ongoing review of the tool's data"))
    title = d.title if entry.has("title") and d.title else d.id
    return DatasetFacts(d.id, agency, entry.source.rel, access, visibility, pii, title,
                        tuple(due))
