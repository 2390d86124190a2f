"""One version of a descriptor as history sees it.

A dataset descriptor's version (a git blob) becomes

* :class:`Facts`, small and kept in the history cache: id, agency, visibility, access
  level, and its scorecard tally (:func:`catalog.governance.scorecard.tally`) and
  last-reviewed date, so that scorecards at any commit are sums of cached facts;
* two flat :data:`Record` s, property path → value, that changes are diffed on: the
  staff record (every property the descriptor states) and the public record (what the
  public catalog shows of that version, or None when the version is hidden).

Both records are flattened from the compiled rows (:func:`catalog.compile.rows.dataset_rows`),
and the public one from :func:`catalog.compile.rows.public_rows` of those rows with the
columns the public catalog withholds left out: history applies the very rule that
decides what reaches ``public.db``, never a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..compile.rows import HIDDEN_COLUMNS, LISTED_COLUMNS, Rows, dataset_rows, public_rows
from ..governance.scorecard import Tally, tally
from ..load import Document, load_bytes
from ..model import Dataset
from ..model.check import check
from ..project import Source
from ..standards import Standards
from ..validate import Entry
from ..validate.conformance import assess_fields

Record = dict[str, Any]

# dataset columns computed from others (or from the build), not stated by a steward
DERIVED = frozenset({
    "id", "identifier", "field_count", "pii_field_count", "demographic_field_count",
    "standard_field_count", "conformant_field_count", "has_race_ethnicity",
    "source_file", "modified_source",
})
FIELD_SKIP = frozenset({"id", "dataset_id", "position", "name", "conformance"})
DISTRIBUTION_SKIP = frozenset({"id", "dataset_id", "position", "distribution_id"})
PLAN_SKIP = frozenset({"dataset_id", "agency_id"})


@dataclass(frozen=True)
class Facts:
    """What the history cache keeps of one version of a dataset descriptor."""

    id: str
    agency: str
    visibility: str
    access_level: str
    tally: Tally
    last_reviewed: int | None  # proleptic ordinal of the date, or None

    def pack(self) -> tuple[Any, ...]:
        return (self.id, self.agency, self.visibility, self.access_level, self.tally,
                self.last_reviewed)

    @classmethod
    def unpack(cls, t: tuple[Any, ...]) -> "Facts":
        return cls(t[0], t[1], t[2], t[3], tuple(t[4]), t[5])

    @property
    def reviewed_on(self) -> dt.date | None:
        return dt.date.fromordinal(self.last_reviewed) if self.last_reviewed else None


@dataclass
class Version:
    """One readable version of a dataset descriptor."""

    facts: Facts
    staff: Record
    public: Record | None  # None: the version is hidden from the public
    doc: Document
    model: Dataset


def _stated(value: Any) -> bool:
    """Is this a value a steward stated (not None, not a flag left unset)?"""
    return value is not None and value is not False


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def flatten(rows: Rows, *, public: bool = False) -> Record:
    """The descriptor-stated properties in one descriptor's rows, by path:
    ``title``, ``fields/<name>/<column>``, ``distributions/<id>/<column>``,
    ``access_plan/<column>`` (with a ``fields/<name>`` marker for each field, and so on).
    Values that are None or False (a flag not set) are left out.

    ``public``: the rows are public rows, of which only what the public catalog shows
    is kept (a listed dataset's summary columns; never a staff-only column)."""
    (d,) = rows["datasets"]
    listed = public and d["visibility"] == "listed"
    skip = DERIVED | (HIDDEN_COLUMNS["datasets"] if public else frozenset())
    out: Record = {k: _plain(v) for k, v in d.items() if _stated(v) and k not in skip
                   and (not listed or k in LISTED_COLUMNS)}
    if d.get("identifier") and not str(d["identifier"]).endswith(f"/datasets/{d['id']}"):
        out["identifier"] = d["identifier"]  # stated by the steward (an import's)
    _items(out, "fields", "name", rows.get("fields", ()),
           FIELD_SKIP | (HIDDEN_COLUMNS["fields"] if public else frozenset()))
    _items(out, "distributions", "distribution_id", rows.get("distributions", ()),
           DISTRIBUTION_SKIP | (HIDDEN_COLUMNS["distributions"] if public else frozenset()))
    for plan in rows.get("access_plans", ()):
        out.update((f"access_plan/{k}", _plain(v)) for k, v in plan.items()
                   if _stated(v) and k not in PLAN_SKIP)
    return out


def _items(out: Record, group: str, name_key: str, rows: Iterable[Mapping[str, Any]],
           skip: frozenset[str] | set[str]) -> None:
    for row in rows:
        base = f"{group}/{row[name_key]}/"
        out[base[:-1]] = True
        # the item columns are text, numbers and flags: no dates to convert
        out.update((base + k, v) for k, v in row.items()
                   if v is not None and v is not False and k not in skip)


def read_dataset(raw: bytes, rel: str, std: Standards) -> Version | None:
    """A dataset descriptor's version from its bytes (None when it cannot be read as a
    dataset: history then keeps the last readable version)."""
    doc = load_bytes(raw, Path(rel), rel)
    if doc.data is None:
        return None
    model, _ = check(doc, Dataset)
    if not isinstance(model, Dataset):
        return None
    source = Source(Path(rel), rel, "dataset", rel.split("/")[1] if "/" in rel else "")
    conformance, _ = assess_fields(Entry(source, doc, model), std)
    counts = tally(model, lambda name: (c := conformance.get(name)) is not None
                   and c.status == "conformant", std)
    life = model.lifecycle
    reviewed = life.last_reviewed.toordinal() if life and life.last_reviewed else None
    rows = dataset_rows(model, rel, conformance, "")
    visibility = model.access.effective_visibility.value
    facts = Facts(model.id, model.agency, visibility, model.access.level.value, counts,
                  reviewed)
    public = None if visibility == "hidden" else flatten(public_rows(rows), public=True)
    return Version(facts, flatten(rows), public, doc, model)
