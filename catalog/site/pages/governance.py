"""Governance pages for the Chief Data Officer: scorecards (staff), Open Data Access
Plans (everyone, from the reader's own database) and the data-request register (staff)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ...governance.scorecard import RATINGS, rating
from ..charts import bar_chart, sparkline
from .agencies import PLAN_STATES, plan_state
from .common import NotFoundError, Page, Reader
from .history import status


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


async def last_release(reader: Reader) -> dict[str, Any] | None:
    """The scorecard point today's scores are compared with (``scorecard_history``,
    computed from the inventory's git history): the last release tag dated before today,
    else the last month's end before today; None without history."""
    rows = await reader.rows(
        "select point, kind, date from scorecard_history where date < :today "
        "group by point order by kind = 'tag' desc, date desc, point desc limit 1",
        {"today": reader.today.isoformat()})
    return rows[0] if rows else None


async def scorecards(reader: Reader, request: Any) -> Page:
    metrics = await reader.rows("select * from scorecard_metrics order by position")
    scores = await reader.rows("select * from scorecards")
    agencies = await reader.rows("select id, name, abbreviation from agencies order by name")
    names = {r["id"]: r["name"] for r in agencies}
    since = await last_release(reader)
    before = {(r["scope"], r["metric"]): r["value"] for r in await reader.rows(
        "select scope, metric, value from scorecard_history where point = :point",
        {"point": since["point"] if since else ""})}
    table: dict[str, dict[str, Any]] = defaultdict(dict)
    for s in scores:
        m = next((m for m in metrics if m["id"] == s["metric"]), None)
        if m is None:
            continue
        s["rating"] = rating(s["value"], m["target"], m["target"] - m["amber_below"])
        earlier = before.get((s["scope"], s["metric"]))
        s["change"] = (None if s["value"] is None or earlier is None
                       else round(s["value"] - earlier, 4))
        table[s["scope"]][s["metric"]] = s
    scopes = [a["id"] for a in agencies if a["id"] in table]
    statewide = table.get("statewide", {})
    chart = bar_chart(
        [(m["title"], (statewide.get(m["id"]) or {}).get("value")) for m in metrics],
        chart_id="chart-scorecard", title="Statewide scorecard",
        description="Share of datasets or fields meeting each State Data Plan measure, "
        "statewide; a black mark shows each target.", maximum=1.0, value_text=_pct,
        head="Measure", table_href="#statewide-caption",
        targets=[m["target"] for m in metrics])
    trend_scope = request.args.get("trend") or "statewide"
    if trend_scope not in table:
        trend_scope = "statewide"
    trend = await _trend(reader, metrics, trend_scope, table[trend_scope])
    return Page("catalog_scorecards.html", "Scorecards", {
        "metrics": metrics, "scopes": ["statewide", *scopes],
        "scores": {scope: table[scope] for scope in ["statewide", *scopes]},
        "agency_names": names, "history": await status(reader), "since": since,
        "trend": {"scope": trend_scope, "points": trend["points"],
                  "series": trend["series"]},
    }, extra={"chart": chart, "pct": _pct, "agencies": agencies, "ratings": RATINGS,
              "sparks": trend["sparks"]})


async def _trend(reader: Reader, metrics: list[Any], scope: str,
                 now: dict[str, Any]) -> dict[str, Any]:
    """Each metric's share at every scorecard point of ``scope``, then now."""
    rows = await reader.rows(
        "select point, kind, date, metric, numerator, denominator, value "
        "from scorecard_history where scope = :scope order by date, kind, point",
        {"scope": scope})
    points: dict[str, dict[str, Any]] = {}
    for r in rows:
        points.setdefault(r["point"], {"point": r["point"], "kind": r["kind"],
                                       "date": r["date"]})
    points["now"] = {"point": "now", "kind": "build", "date": reader.today.isoformat()}
    series: dict[str, list[float | None]] = {m["id"]: [] for m in metrics}
    values = {(r["point"], r["metric"]): r["value"] for r in rows}
    for label in points:
        for m in metrics:
            series[m["id"]].append(now.get(m["id"], {}).get("value") if label == "now"
                                   else values.get((label, m["id"])))
    sparks = {m["id"]: sparkline([{"as_of": p, "value": v}
                                  for p, v in zip(points, series[m["id"]], strict=True)],
                                 label=f"{m['title']} over time")
              for m in metrics}
    return {"points": list(points.values()), "series": series, "sparks": sparks}


async def _progress(reader: Reader, request: Any) -> Any:
    """The progress report the request asks for (staff only; NotFoundError if none)."""
    from ...history import progress as P
    from ...problems import CatalogError

    agency_id = request.url_vars["agency_id"]
    try:
        start, end = P.period(request.args.get("from"), request.args.get("to"), reader.today)
        return await reader.run(lambda conn: P.report(conn, agency_id, start, end))
    except CatalogError as exc:
        raise NotFoundError(str(exc)) from None


async def progress(reader: Reader, request: Any) -> Page:
    """``/agencies/<id>/progress``: what an agency achieved in a period (staff)."""
    report = await _progress(reader, request)
    base = f"/agencies/{report.agency_id}/progress"
    query = f"?from={report.start.isoformat()}&to={report.end.isoformat()}"
    return Page("catalog_progress.html", f"Progress of {report.agency_name}",
                report.to_dict(), extra={
                    "pct": _pct, "report": report,
                    "exports": {"markdown": f"{base}.md{query}", "csv": f"{base}.csv{query}"}})


async def progress_export(datasette: Any, request: Any) -> Any:
    """The progress report as Markdown or CSV (staff)."""
    from datasette.utils.asgi import Response

    from ...history import progress as P
    from ..errors import not_found

    try:
        report = await _progress(Reader(datasette, request.actor), request)
    except NotFoundError as exc:
        return await not_found(datasette, request, str(exc))
    name = f"progress-{report.agency_id}-{report.start}-{report.end}"
    if request.url_vars["format"] == ".md":
        return Response(P.markdown(report), content_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{name}.md"'})
    return Response(P.to_csv(report), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


async def access_plans(reader: Reader, request: Any) -> Page:
    plans = await reader.rows(
        "select p.*, d.title, a.name as agency_name from access_plans p "
        "join datasets d on d.id = p.dataset_id join agencies a on a.id = p.agency_id "
        "order by coalesce(p.released_on, p.target_release) is null, "
        "coalesce(p.released_on, p.target_release), d.title")
    by_agency: dict[str, Counter[str]] = defaultdict(Counter)
    for plan in plans:
        plan["state"] = plan_state(plan, reader.today)
        by_agency[plan["agency_name"]][plan["state"]] += 1
    totals = Counter(p["state"] for p in plans)
    committed = len(plans) - totals["not-planned"]
    chart = bar_chart(
        [(agency, c["released"] / max(1, sum(c.values()) - c["not-planned"]))
         for agency, c in sorted(by_agency.items())],
        chart_id="chart-plans", title="Open Data Access Plan progress by agency",
        description="Share of planned releases each agency has released.", head="Agency",
        maximum=1.0, value_text=_pct, css_class="ct-chart")
    return Page("catalog_access_plans.html", "Open Data Access Plans", {
        "plans": plans, "totals": {s: totals.get(s, 0) for s in PLAN_STATES},
        "released_share": totals["released"] / committed if committed else None,
        "as_of": reader.today.isoformat(),
    }, extra={"chart": chart, "pct": _pct})


async def requests(reader: Reader, request: Any) -> Page:
    from ...governance.requests import Record, summarise

    rows = await reader.rows(
        "select r.*, a.name as handled_by_name, (select group_concat(dataset_id, ', ') "
        "from data_request_datasets x where x.request_id = r.id) as datasets "
        "from data_requests r left join agencies a on a.id = r.handled_by "
        "order by r.received_on desc")
    today = reader.today
    for r in rows:
        due = Record.from_row(r).due
        r["overdue"] = bool(due and not r["responded_on"] and due < today
                            and r["status"] not in ("fulfilled", "denied", "withdrawn"))
    stats = summarise((Record.from_row(r) for r in rows), today).as_dict()
    chart = bar_chart(
        [(r["title"], r["turnaround_days"]) for r in rows if r["turnaround_days"] is not None],
        chart_id="chart-requests", title="Days from receipt to response",
        description="Turnaround of each answered data request.", head="Request",
        value_text=lambda v: f"{v:.0f} days", css_class="ct-chart")
    titles = {d["id"]: d["title"] for d in await reader.rows(
        "select d.id, d.title from datasets d join data_request_datasets x "
        "on x.dataset_id = d.id")}
    return Page("catalog_requests.html", "Data requests", {"requests": rows, "stats": stats},
                extra={"chart": chart, "pct": _pct, "dataset_titles": titles})


async def due(reader: Reader, request: Any) -> Page:
    """Everything that falls due (dated obligations, catalog.governance.due) and the
    findings that depend on the date alone, which never block a build."""
    from ...agreements.lifecycle import parse_window
    from ...governance.due import DueItem, within

    try:
        days = parse_window(request.args.get("within") or "60")
    except ValueError:
        days = 60
    today = reader.today
    items = [DueItem.from_row(r) for r in await reader.rows("select * from due_items")]
    shown = [i.as_dict(today) for i in within(items, today, days)]
    findings = await reader.rows(
        "select file, line, code, severity, message from problems where dated = 1 "
        "order by file, line")
    return Page("catalog_due.html", "What falls due", {
        "within": days, "as_of": today.isoformat(), "items": shown,
        "overdue": sum(1 for i in shown if i["overdue"]), "findings": findings})
