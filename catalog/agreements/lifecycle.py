"""Agreement lifecycle: review frequencies (ISO 8601 durations), the next ongoing-review
date, and what falls due (term ends, ongoing reviews) within a window.

An agreement is *in force* when its status is ``approved`` or ``active``; only those have
renewal and review dates that matter. A date before ``today`` is *overdue*.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..model.agreement import ENDED as ENDED  # the site reads both here, beside the labels
from ..model.agreement import IN_FORCE, Status

if TYPE_CHECKING:
    from ..model import Agreement

STATUSES = tuple(s.value for s in Status)
STATUS_LABELS = {"draft": "Draft", "under-review": "Under review", "approved": "Approved",
                 "active": "Active", "expired": "Expired", "terminated": "Terminated"}

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_WINDOW = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$", re.I)


@dataclass(frozen=True)
class Duration:
    """A calendar duration: years and months move the month (clamped to its last day)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, day: dt.date) -> dt.date:
        month0 = day.month - 1 + self.months + 12 * self.years
        year, month = day.year + month0 // 12, month0 % 12 + 1
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, min(day.day, last)) + dt.timedelta(days=self.days)


def parse_duration(text: str | None) -> Duration | None:
    """``P1Y``, ``P6M``, ``P2W``, ``P90D`` (and combinations); None if not a positive
    date-only ISO 8601 duration."""
    m = _DURATION.match((text or "").strip().upper())
    if not m or not any(m.groups()):
        return None
    years, months, weeks, days = (int(g or 0) for g in m.groups())
    duration = Duration(years, months, days + 7 * weeks)
    return duration if any((duration.years, duration.months, duration.days)) else None


def parse_window(text: str) -> int:
    """Days in a window written ``60d``, ``8w`` or ``60``; ValueError otherwise."""
    m = _WINDOW.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a number of days (60d) or weeks (8w)")
    return int(m.group(1)) * (7 if m.group(2).lower() == "w" else 1)


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Dates:
    """What the lifecycle needs of one agreement, from its model or its compiled row."""

    id: str
    title: str
    status: str
    public: bool
    term_start: dt.date
    term_end: dt.date | None = None
    renewal: str | None = None
    review_frequency: str | None = None
    review_next_due: dt.date | None = None
    review_last_done: dt.date | None = None

    @classmethod
    def from_model(cls, a: "Agreement") -> "Dates":
        r = a.ongoing_review
        return cls(a.id, a.title, a.status.value, a.public, a.term.start, a.term.end,
                   a.term.renewal, r.frequency if r else None, r.next_due if r else None,
                   r.last_done if r else None)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Dates":
        """A row of the compiled ``agreements`` table (review columns are NULL in
        public.db, so the public never gets review dates)."""
        start = _date(row["term_start"])
        assert start is not None
        return cls(row["id"], row["title"], row["status"], bool(row["public"]), start,
                   _date(row.get("term_end")), row.get("renewal"),
                   row.get("ongoing_review_frequency"), _date(row.get("ongoing_review_next_due")),
                   _date(row.get("ongoing_review_last_done")))

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE


def next_review(d: Dates) -> dt.date | None:
    """The next ongoing review: ``next_due`` if written, else one period after the last
    review, else one period after the term started; None without a usable schedule."""
    if d.review_next_due:
        return d.review_next_due
    period = parse_duration(d.review_frequency)
    if period is None:
        return None
    return period.after(d.review_last_done or d.term_start)


@dataclass(frozen=True)
class Due:
    """One date that needs attention: a term end (renew or let expire) or a review."""

    agreement_id: str
    title: str
    status: str
    kind: str  # "term-end" | "ongoing-review"
    date: dt.date
    days: int  # from today; negative when overdue
    public: bool
    renewal: str | None = None

    @property
    def overdue(self) -> bool:
        return self.days < 0

    @property
    def label(self) -> str:
        return "Term ends" if self.kind == "term-end" else "Ongoing review due"

    @property
    def when(self) -> str:
        if self.days < 0:
            return f"overdue by {-self.days} day{'s' if self.days != -1 else ''}"
        if self.days == 0:
            return "today"
        return f"in {self.days} day{'s' if self.days != 1 else ''}"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(date=self.date.isoformat(), overdue=self.overdue, label=self.label,
                   when=self.when)
        return out


def due(records: Iterable[Dates], today: dt.date, within: int) -> list[Due]:
    """Term ends and ongoing reviews of in-force agreements on or before
    ``today + within`` days, overdue ones first, then by date."""
    horizon = today + dt.timedelta(days=within)
    out = []
    for d in records:
        if not d.in_force:
            continue
        review = next_review(d)
        for kind, date in (("term-end", d.term_end), ("ongoing-review", review)):
            if date is not None and date <= horizon:
                out.append(Due(d.id, d.title, d.status, kind, date, (date - today).days,
                               d.public, d.renewal if kind == "term-end" else None))
    return sorted(out, key=lambda x: (not x.overdue, x.date, x.title, x.kind))


def expiring(d: Dates, today: dt.date, within: int) -> bool:
    """In force and the term ends within ``within`` days (or has already ended)."""
    return bool(d.in_force and d.term_end and d.term_end <= today + dt.timedelta(days=within))
