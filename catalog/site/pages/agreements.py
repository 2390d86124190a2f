"""``/agreements`` (the register), ``/agreements/<id>``, ``/agreements/due`` and the
``/agreements.ics`` feed.

Everything is read through :class:`~.common.Reader`: the public reads public.db, which
holds only agreements marked ``public: true`` as a summary (title, status, parties,
purpose, term, the public datasets they share), so no filter here decides privacy.
Staff read inventory.db: every agreement, its reviews and approvals, the DCF 5-4
checklist, the validation problems of its file, and what falls due.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode, urlsplit

from ...agreements.checklist import checklist, missing_reviews
from ...agreements.flows import by_provider, flows
from ...agreements.lifecycle import (
    ENDED,
    IN_FORCE,
    STATUS_LABELS,
    STATUSES,
    Dates,
    due,
    expiring,
    next_review,
)
from ...validate.agreements import OFFICE_NAMES
from .common import STAFF_ONLY, NotFoundError, Page, Reader, Row

SUMMARY = ("id", "title", "status", "public", "purpose", "term_start", "term_end", "renewal",
           "legal_authority")
WINDOWS = (30, 60, 90)
DUE_WINDOWS = (30, 60, 90, 180, 365)


async def _parties(reader: Reader) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for p in await reader.rows(
            "select p.agreement_id, p.agency_id, p.name, p.kind, p.role, "
            "ag.name as agency_name, ag.abbreviation from agreement_parties p "
            "left join agencies ag on ag.id = p.agency_id order by p.agreement_id, p.position"):
        p["display_name"] = p["agency_name"] or p["name"]
        out[p.pop("agreement_id")].append(p)
    return out


async def _datasets(reader: Reader) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for d in await reader.rows(
            "select ad.agreement_id, d.id, d.title, d.agency_id, ag.abbreviation, "
            "d.visibility, d.access_level from agreement_datasets ad "
            "join datasets d on d.id = ad.dataset_id left join agencies ag on ag.id = d.agency_id "
            "order by d.title"):
        out[d.pop("agreement_id")].append(d)
    return out


async def _staff_rows(reader: Reader, table: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    if reader.staff:
        for r in await reader.rows(f"select * from {table} order by agreement_id, date"):
            out[r["agreement_id"]].append(r)
    return out


def _days(date: dt.date | None, today: dt.date) -> int | None:
    return None if date is None else (date - today).days


async def _findings(reader: Reader, file: str | None = None) -> dict[str, list[Row]]:
    """The problems of agreement files (of ``file`` only, when given), by file: what
    the checklist shows (staff only, like the problems table)."""
    out: dict[str, list[Row]] = defaultdict(list)
    if reader.staff:
        where = "= :f" if file else "in (select source_file from agreements)"
        for r in await reader.rows(f"select file, code, message from problems where file {where}",
                                   {"f": file}):
            out[r["file"]].append(r)
    return out


def _entry(row: Row, parties: list[Row], datasets: list[Row], reader: Reader,
           reviews: list[Row], approvals: list[Row], findings: list[Row]) -> Row:
    """One agreement as the actor may see it: the summary for the public, everything
    (and its checklist and dates) for staff."""
    today = reader.today
    dates = Dates.from_row(row)
    out: Row = {k: row[k] for k in SUMMARY} if not reader.staff else dict(row)
    out.update(
        status_label=STATUS_LABELS.get(row["status"], row["status"]),
        url=f"/agreements/{row['id']}",
        parties=[{k: p[k] for k in ("display_name", "agency_id", "abbreviation", "kind",
                                    "role")} for p in parties],
        datasets=[{k: d[k] for k in ("id", "title", "agency_id", "abbreviation", "visibility")}
                  for d in datasets],
        in_force=dates.in_force,
        days_to_end=_days(dates.term_end, today) if dates.in_force else None,
    )
    if reader.staff:
        review = None if dates.status in ENDED else next_review(dates)
        items = checklist(row, reviews, approvals, findings)
        out.update(
            next_review=review.isoformat() if review else None,
            days_to_review=_days(review, today) if dates.in_force else None,
            missing_reviews=[OFFICE_NAMES[o] for o in missing_reviews(items)],
            checklist_problems=[i.label for i in items if i.problem],
        )
    return out


async def _entries(reader: Reader) -> tuple[list[Row], dict[str, list[Row]]]:
    """Every agreement the actor may see, and the parties of each."""
    rows = await reader.rows("select * from agreements order by title")
    parties, datasets = await _parties(reader), await _datasets(reader)
    reviews = await _staff_rows(reader, "agreement_reviews")
    approvals = await _staff_rows(reader, "agreement_approvals")
    findings = await _findings(reader)
    return [_entry(r, parties[r["id"]], datasets[r["id"]], reader, reviews[r["id"]],
                   approvals[r["id"]], findings[r["source_file"]] if reader.staff else [])
            for r in rows], parties


def _filters(request: Any, staff: bool) -> dict[str, Any]:
    args = request.args
    window = args.get("expiring", "")
    return {
        "status": [s for s in args.getlist("status") if s in STATUSES],
        "agency": args.get("agency") or "",
        "party": args.get("party") or "",
        "dataset": args.get("dataset") or "",
        "expiring": int(window) if window.isdigit() and int(window) in WINDOWS else None,
        "missing": staff and args.get("missing") == "reviews",
    }


def _keep(entry: Row, f: dict[str, Any], today: dt.date) -> bool:
    if f["status"] and entry["status"] not in f["status"]:
        return False
    if f["agency"] and f["agency"] not in {p["agency_id"] for p in entry["parties"]}:
        return False
    if f["party"] and f["party"] not in {p["display_name"] for p in entry["parties"]
                                         if not p["agency_id"]}:
        return False
    if f["dataset"] and f["dataset"] not in {d["id"] for d in entry["datasets"]}:
        return False
    if f["expiring"] is not None:
        dates = Dates(entry["id"], entry["title"], entry["status"], bool(entry["public"]),
                      dt.date.fromisoformat(str(entry["term_start"])),
                      dt.date.fromisoformat(str(entry["term_end"])) if entry["term_end"]
                      else None)
        if not expiring(dates, today, f["expiring"]):
            return False
    return not (f["missing"] and not entry.get("missing_reviews"))


def _options(entries: list[Row]) -> dict[str, list[dict[str, str]]]:
    agencies: dict[str, str] = {}
    outside: set[str] = set()
    datasets: dict[str, str] = {}
    for e in entries:
        for p in e["parties"]:
            if p["agency_id"]:
                agencies[p["agency_id"]] = p["display_name"]
            else:
                outside.add(p["display_name"])
        for d in e["datasets"]:
            datasets[d["id"]] = d["title"]
    counts = Counter(e["status"] for e in entries)
    return {
        "status": [{"value": s, "label": STATUS_LABELS[s], "count": str(counts[s])}
                   for s in STATUSES if counts[s]],
        "agency": [{"value": k, "label": v} for k, v in sorted(agencies.items(),
                                                               key=lambda x: x[1])],
        "party": [{"value": n, "label": n} for n in sorted(outside)],
        "dataset": [{"value": k, "label": v} for k, v in sorted(datasets.items(),
                                                                key=lambda x: x[1])],
        "expiring": [{"value": str(w), "label": f"within {w} days"} for w in WINDOWS],
    }


async def register(reader: Reader, request: Any) -> Page:
    entries, parties = await _entries(reader)
    f = _filters(request, reader.staff)
    shown = [e for e in entries if _keep(e, f, reader.today)]
    nodes, edges = flows(shown, parties)
    active = bool(f["status"] or f["agency"] or f["party"] or f["dataset"] or f["expiring"]
                  or f["missing"])
    data = {
        "agreements": shown,
        "total": len(entries),
        "shown": len(shown),
        "counts": dict(Counter(e["status"] for e in entries)),
        "filters": f,
        "options": _options(entries),
        "flows": {"nodes": [n.as_dict() for n in nodes], "edges": [x.as_dict() for x in edges]},
        "as_of": reader.today.isoformat(),
        "database": reader.name,
    }
    return Page("catalog_agreements.html", "Data-sharing agreements", data, extra={
        "flow_map": by_provider(nodes, edges), "filtered": active,
        "status_labels": STATUS_LABELS,
        "node_names": {n.key: n.name for n in nodes},
    })


async def agreement(reader: Reader, request: Any) -> Page:
    agreement_id = request.url_vars["agreement_id"]
    row = await reader.row("select * from agreements where id = :id", {"id": agreement_id})
    if row is None:
        raise NotFoundError("No such agreement in the register")
    parties = (await _parties(reader))[agreement_id]
    datasets = (await _datasets(reader))[agreement_id]
    reviews = (await _staff_rows(reader, "agreement_reviews"))[agreement_id]
    approvals = (await _staff_rows(reader, "agreement_approvals"))[agreement_id]
    findings = (await _findings(reader, row["source_file"]))[row["source_file"]] \
        if reader.staff else []
    entry = _entry(row, parties, datasets, reader, reviews, approvals, findings)
    data: Row = {"agreement": entry}
    if reader.staff:
        data["checklist"] = [i.as_dict() for i in checklist(row, reviews, approvals,
                                                             findings)]
        data["reviews"] = reviews
        data["approvals"] = approvals
        data["problems"] = await reader.rows(
            "select line, col, code, severity, message, hint from problems where file = :f "
            "order by line, col", {"f": row["source_file"]})
        data["due"] = [d.as_dict() for d in due([Dates.from_row(row)], reader.today, 365)]
    return Page("catalog_agreement.html", row["title"], data, extra={
        "office_names": OFFICE_NAMES})


async def due_view(reader: Reader, request: Any) -> Page:
    window = request.args.get("within", "90")
    within = int(window) if window.isdigit() and 0 < int(window) <= 3650 else 90
    rows = await reader.rows("select * from agreements order by id")
    items = due([Dates.from_row(r) for r in rows], reader.today, within)
    in_force = [r for r in rows if r["status"] in IN_FORCE]
    return Page("catalog_agreements_due.html", "Agreements due for renewal or review", {
        "as_of": reader.today.isoformat(), "within": within,
        "items": [i.as_dict() for i in items],
        "overdue": sum(1 for i in items if i.overdue),
        "in_force": len(in_force),
    }, extra={"windows": DUE_WINDOWS,
              "window_urls": {w: "/agreements/due?" + urlencode({"within": w})
                              for w in DUE_WINDOWS}})


async def ics(datasette: Any, request: Any) -> Any:
    """``/agreements.ics``: the staff iCalendar feed (see :mod:`catalog.agreements.calendar`)."""
    from datasette.utils.asgi import Response

    from ...agreements.calendar import calendar

    reader = Reader(datasette, request.actor)
    base_url = datasette.absolute_url(request, "/").rstrip("/")
    rows = await reader.rows("select * from agreements order by id")
    meta = {r["key"]: r["value"] for r in await reader.rows("select key, value from meta")}
    built = meta.get("built_at")
    stamp = (dt.datetime.fromisoformat(built) if built
             else dt.datetime.combine(reader.today, dt.time(), dt.timezone.utc))
    domain = urlsplit(meta.get("base_url") or base_url).hostname or "catalog"
    body = calendar([Dates.from_row(r) for r in rows], base_url=base_url, domain=domain,
                    stamp=stamp.astimezone(dt.timezone.utc))
    return Response(body, status=200, content_type="text/calendar; charset=utf-8",
                    headers={"content-disposition": 'inline; filename="agreements.ics"',
                             **STAFF_ONLY})
