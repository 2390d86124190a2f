"""What falls due: every date-driven obligation of the inventory in one list.

* agreements in force: the term's end and the next ongoing review (DCF 5-4 Governance ¶2);
* open data requests: the answer's due date (the FOIA clock, ``due_on`` or the target);
* datasets: the classification's next review (State Data Plan 4c) and the ongoing review
  of a predictive tool's data (DCF 5-4 Predictive ¶7).

These are the obligations behind the *dated* problem codes, which never block a build:
``catalog due`` lists them (exit 1 when one is overdue), staff see them at ``/due``, and
a build compiles them into ``due_items`` (staff only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.request import CLOSED

if TYPE_CHECKING:
    from ..validate import Inventory

KINDS = {
    "term-end": "Agreement term ends",
    "ongoing-review": "Agreement ongoing review",
    "request-answer": "Request answer due",
    "classification-review": "Classification review",
    "tool-review": "Predictive tool review",
}


@dataclass(frozen=True)
class DueItem:
    kind: str
    subject: str  # the agreement, request or dataset id
    title: str
    file: str
    date: dt.date
    basis: str  # why it falls due then

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def days(self, today: dt.date) -> int:
        return (self.date - today).days

    def as_dict(self, today: dt.date) -> dict[str, Any]:
        days = self.days(today)
        return {**self.row(), "date": self.date.isoformat(), "label": self.label,
                "days": days, "overdue": days < 0}

    def row(self) -> dict[str, Any]:
        # not dataclasses.asdict: it deep-copies every value, and a build writes one row
        # per dated obligation (30,000 at 30,000 datasets: 0.5 s of a one-file rebuild)
        return {"kind": self.kind, "subject": self.subject, "title": self.title,
                "file": self.file, "date": self.date, "basis": self.basis}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "DueItem":
        date = row["date"]
        return cls(row["kind"], row["subject"], row["title"], row["file"],
                   date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)),
                   row["basis"])


def due_items(inv: "Inventory") -> list[DueItem]:
    """Every dated obligation of the inventory, by date."""
    from ..agreements.lifecycle import Dates
    from ..agreements.lifecycle import due as agreement_due
    from ..validate.requests import due_date

    out: list[DueItem] = []
    far = 100 * 366
    for entry in inv.agreements.values():
        for d in agreement_due([Dates.from_model(entry.model)], inv.today, far):
            basis = "the term's end" if d.kind == "term-end" else \
                f"every {entry.model.ongoing_review.frequency}" if entry.model.ongoing_review \
                else "the ongoing-review schedule"
            out.append(DueItem(d.kind, d.agreement_id, d.title, entry.source.rel, d.date, basis))
    for request in inv.requests.values():
        r = request.model
        if r.status in CLOSED:
            continue
        found = due_date(request, inv)
        if found:
            out.append(DueItem("request-answer", r.id, r.title, request.source.rel, *found))
    for facts in inv.facts.values():
        for kind, date, basis in facts.due:
            out.append(DueItem(kind, facts.id, facts.title, facts.rel,
                               dt.date.fromisoformat(date), basis))
    return sorted(out, key=lambda i: (i.date, i.kind, i.subject))


def within(items: Iterable[DueItem], today: dt.date, days: int) -> list[DueItem]:
    """Items on or before ``today + days``, overdue ones first."""
    horizon = today + dt.timedelta(days=days)
    return sorted((i for i in items if i.date <= horizon),
                  key=lambda i: (i.date >= today, i.date, i.kind, i.subject))
