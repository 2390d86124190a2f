"""Turnaround of the data-request register (DCF 5-1): how fast requests are answered,
statewide, per agency answering them and per kind of requester, against their due dates
(the FOIA clock or the register's targets, :func:`catalog.validate.requests.due_date`).

The same figures come from the inventory (``catalog requests``) or from the compiled
``data_requests`` table (the staff page): :class:`Record` is what both give.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..model.request import CLOSED

if TYPE_CHECKING:
    from ..validate import Inventory


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Record:
    id: str
    status: str
    kind: str  # requester kind
    agency: str  # handling agency ('' when none)
    received: dt.date
    responded: dt.date | None
    due: dt.date | None
    foia: bool = False

    @property
    def days(self) -> int | None:
        return (self.responded - self.received).days if self.responded else None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Record":
        received = _date(row["received_on"])
        assert received is not None
        return cls(row["id"], row["status"], row["requester_kind"], row["handled_by"] or "",
                   received, _date(row["responded_on"]), _date(row.get("due_on")),
                   bool(row.get("foia")))


def records(inv: "Inventory") -> list[Record]:
    from ..validate.requests import due_date

    out = []
    for entry in inv.requests.values():
        r = entry.model
        due = due_date(entry, inv)
        out.append(Record(r.id, r.status, r.requester.kind, r.handled_by or "", r.received_on,
                          r.responded_on, due[0] if due else None, r.foia))
    return out


@dataclass
class Figures:
    total: int = 0
    open: int = 0
    answered: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    max_days: int | None = None
    oldest_open_days: int | None = None
    on_time: int = 0  # answered by their due date
    late: int = 0  # answered after it
    overdue: int = 0  # open past it

    @property
    def on_time_share(self) -> float | None:
        judged = self.on_time + self.late
        return self.on_time / judged if judged else None


def figures(rows: Iterable[Record], today: dt.date) -> Figures:
    rows = list(rows)
    days = sorted(d for r in rows if (d := r.days) is not None)
    waiting = [(today - r.received).days for r in rows if r.status not in CLOSED]
    out = Figures(total=len(rows), open=len(waiting), answered=len(days),
                  oldest_open_days=max(waiting) if waiting else None)
    for r in rows:
        if r.due is None:
            continue
        if r.responded:
            if r.responded <= r.due:
                out.on_time += 1
            else:
                out.late += 1
        elif r.status not in CLOSED and r.due < today:
            out.overdue += 1
    if days:
        out.median_days = statistics.median(days)
        out.p90_days = statistics.quantiles(days, n=10, method="inclusive")[-1] \
            if len(days) > 1 else float(days[0])
        out.max_days = days[-1]
    return out


@dataclass
class Turnaround(Figures):
    by_status: dict[str, int] = field(default_factory=dict)
    by_requester: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, Figures] = field(default_factory=dict)
    by_kind: dict[str, Figures] = field(default_factory=dict)
    foia: Figures = field(default_factory=Figures)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for group in ("by_agency", "by_kind"):
            for key, f in getattr(self, group).items():
                out[group][key]["on_time_share"] = f.on_time_share
        out["on_time_share"] = self.on_time_share
        out["foia"]["on_time_share"] = self.foia.on_time_share
        return out


def summarise(rows: Iterable[Record], today: dt.date) -> Turnaround:
    rows = list(rows)
    out = Turnaround(**asdict(figures(rows, today)))
    out.by_status = dict(Counter(r.status for r in rows))
    out.by_requester = dict(Counter(r.kind for r in rows))
    agencies: dict[str, list[Record]] = defaultdict(list)
    kinds: dict[str, list[Record]] = defaultdict(list)
    for r in rows:
        agencies[r.agency or "(none)"].append(r)
        kinds[r.kind].append(r)
    out.by_agency = {k: figures(v, today) for k, v in sorted(agencies.items())}
    out.by_kind = {k: figures(v, today) for k, v in sorted(kinds.items())}
    out.foia = figures([r for r in rows if r.foia], today)
    return out


def turnaround(inv: "Inventory") -> Turnaround:
    return summarise(records(inv), inv.today)
