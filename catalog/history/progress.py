"""An agency's progress over a period, against the State Data Plan's goals.

Read from inventory.db (staff only, like the scorecards): the scorecards at the start
and the end of the period (the last scorecard point on or before each date, or the
current build's scorecards when the period reaches the build), and what the agency's
changes did in between: datasets added, opened (their data made public), documented
(now meeting the documentation standard) and fields brought to conformance with their
standards. One report feeds the page, its Markdown and CSV exports and
``catalog progress``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import csvsafe
from ..dbapi import sqlite3
from ..problems import CatalogError


@dataclass
class Measure:
    metric: str
    title: str
    source: str
    start: tuple[int, int] | None  # (numerator, denominator)
    end: tuple[int, int] | None

    @staticmethod
    def share(pair: tuple[int, int] | None) -> float | None:
        return pair[0] / pair[1] if pair and pair[1] else None

    @property
    def change(self) -> float | None:
        a, b = self.share(self.start), self.share(self.end)
        return None if a is None or b is None else b - a


@dataclass
class Item:
    date: str
    dataset_id: str
    title: str
    detail: str = ""


@dataclass
class Progress:
    agency_id: str
    agency_name: str
    start: dt.date
    end: dt.date
    history: str  # "available", or why not
    baseline: str | None = None  # the scorecard point used for the start ("2024-12")
    closing: str | None = None  # ... for the end ("now": the build's own scorecards)
    goals: list[Measure] = field(default_factory=list)
    added: list[Item] = field(default_factory=list)
    opened: list[Item] = field(default_factory=list)
    documented: list[Item] = field(default_factory=list)
    conformed: list[Item] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        for goal, measure in zip(out["goals"], self.goals, strict=True):
            goal["start_share"] = measure.share(measure.start)
            goal["end_share"] = measure.share(measure.end)
            goal["change"] = measure.change
        return out


def parse_day(text: str | None, *, end: bool = False) -> dt.date | None:
    """YYYY-MM-DD, or YYYY-MM (its first day, or its last with ``end``)."""
    if not text:
        return None
    try:
        if len(text) == 7:
            year, month = int(text[:4]), int(text[5:7])
            return dt.date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CatalogError(f"'{text}' is not a date", hint="write YYYY-MM-DD or YYYY-MM") \
            from None


def period(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for; by default the year (365 days) up to ``today``."""
    last = parse_day(end, end=True) or today
    first = parse_day(start) or last - dt.timedelta(days=364)
    if first > last:
        raise CatalogError(f"the period starts ({first}) after it ends ({last})",
                           hint="give --from before --to")
    return first, last


def _scores(conn: sqlite3.Connection, scope: str, day: dt.date, built: dt.date
            ) -> tuple[str | None, dict[str, tuple[int, int]]]:
    if day >= built:
        rows = conn.execute("select metric, numerator, denominator from scorecards "
                            "where scope = ?", (scope,)).fetchall()
        return "now", {m: (n, d) for m, n, d in rows}
    point = conn.execute("select point from scorecard_history where date <= ? "
                         "order by date desc, kind = 'month' desc, point desc limit 1",
                         (day.isoformat(),)).fetchone()
    if point is None:
        return None, {}
    rows = conn.execute("select metric, numerator, denominator from scorecard_history "
                        "where point = ? and scope = ?", (point[0], scope)).fetchall()
    return str(point[0]), {m: (n, d) for m, n, d in rows}


def report(conn: sqlite3.Connection, agency_id: str, start: dt.date, end: dt.date
           ) -> Progress:
    """The progress of ``agency_id`` from ``start`` to ``end`` (both included)."""
    agency = conn.execute("select name from agencies where id = ?", (agency_id,)).fetchone()
    if agency is None:
        raise CatalogError(f"no agency '{agency_id}' in the catalog",
                           hint="the agency ids are the folder names under inventory/")
    meta = dict(conn.execute("select key, value from meta"))
    built = dt.date.fromisoformat(meta.get("validated_on") or dt.date.today().isoformat())
    out = Progress(agency_id, agency[0], start, end, meta.get("history_status")
                   or "not built from a git repository")
    out.baseline, before = _scores(conn, agency_id, start - dt.timedelta(1), built)
    out.closing, after = _scores(conn, agency_id, end, built)
    for metric, title, source in conn.execute(
            "select id, title, source from scorecard_metrics order by position"):
        out.goals.append(Measure(metric, title, source, before.get(metric), after.get(metric)))
    rows = conn.execute(
        "select substr(c.committed_at, 1, 10), c.dataset_id, coalesce(d.title, c.dataset_id), "
        "c.kind, c.opened, c.documented, c.conformed from dataset_changes c "
        "left join datasets d on d.id = c.dataset_id where c.agency_id = ? "
        "and substr(c.committed_at, 1, 10) between ? and ? order by c.committed_at, c.id",
        (agency_id, start.isoformat(), end.isoformat())).fetchall()
    for day, dataset_id, title, kind, opened, documented, conformed in rows:
        if kind == "added":
            out.added.append(Item(day, dataset_id, title))
        if opened:
            out.opened.append(Item(day, dataset_id, title, "data made public"))
        if documented:
            out.documented.append(Item(day, dataset_id, title,
                                       "now meets the documentation standard" if documented > 0
                                       else "no longer meets the documentation standard"))
        if conformed:
            out.conformed.append(Item(day, dataset_id, title,
                                      f"{conformed:+d} field(s) conforming to their standard"))
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _pair(pair: tuple[int, int] | None) -> str:
    return "–" if pair is None else f"{_pct(Measure.share(pair))} ({pair[0]}/{pair[1]})"


def _points(change: float | None) -> str:
    return "–" if change is None else f"{change * 100:+.0f} points"


SECTIONS = (("added", "Datasets added"), ("opened", "Data opened"),
            ("documented", "Documentation standard"), ("conformed", "Standards conformance"))


def markdown(p: Progress) -> str:
    from .review import md

    out = [f"# Progress report: {md(p.agency_name)}", "",
           f"From {p.start} to {p.end}; scorecards at the start from "
           f"{p.baseline or 'no earlier point'}, at the end from {p.closing or 'no point'}"
           + ("." if p.history == "available" else f" (history unavailable: {p.history})."),
           "", "## Against the State Data Plan's goals", "",
           "| Measure | Plan | Start | End | Change |", "|---|---|---:|---:|---:|"]
    out += [f"| {md(g.title)} | {md(g.source)} | {_pair(g.start)} | {_pair(g.end)} | "
            f"{_points(g.change)} |" for g in p.goals]
    for name, heading in SECTIONS:
        items: list[Item] = getattr(p, name)
        out += ["", f"## {heading} ({len(items)})", ""]
        out += [f"- {i.date} [{md(i.title)}](/datasets/{i.dataset_id})"
                + (f": {i.detail}" if i.detail else "") for i in items] or ["None."]
    return "\n".join(out) + "\n"


CSV_COLUMNS = ("section", "date", "id", "title", "plan", "start", "end", "change", "detail")


def csv_rows(p: Progress) -> list[dict[str, Any]]:
    """The report as the rows of its CSV (:data:`CSV_COLUMNS`): the goals, then the
    datasets of each section."""
    rows: list[dict[str, Any]] = [
        {"section": "goal", "id": g.metric, "title": g.title, "plan": g.source,
         "start": _share_text(g.start), "end": _share_text(g.end),
         "change": "" if g.change is None else f"{g.change:.4f}"} for g in p.goals]
    rows += [{"section": name, "date": i.date, "id": i.dataset_id, "title": i.title,
              "detail": i.detail} for name, _ in SECTIONS for i in getattr(p, name)]
    return rows


def to_csv(p: Progress) -> str:
    """The report as spreadsheet-safe CSV."""
    return csvsafe.dumps(csv_rows(p), CSV_COLUMNS)


def _share_text(pair: tuple[int, int] | None) -> str:
    value = Measure.share(pair)
    return "" if value is None else f"{value:.4f}"


def text(p: Progress) -> str:
    lines = [f"{p.agency_name} ({p.agency_id}), {p.start} to {p.end}",
             f"scorecards: start {p.baseline or '–'}, end {p.closing or '–'}"]
    width = max((len(g.title) for g in p.goals), default=10)
    lines += [f"  {g.title:<{width}}  {_pair(g.start):>14} → {_pair(g.end):>14}  "
              f"{_points(g.change)}" for g in p.goals]
    for name, heading in SECTIONS:
        items = getattr(p, name)
        lines.append(f"{heading}: {len(items)}")
        lines += [f"  {i.date} {i.dataset_id}" + (f": {i.detail}" if i.detail else "")
                  for i in items]
    return "\n".join(lines) + "\n"
