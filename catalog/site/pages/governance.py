"""Governance pages for the Chief Data Officer: scorecards (staff), Open Data Access
Plans (everyone, from the reader's own database) and the data-request register (staff)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from ...governance.scorecard import RATINGS, rating
from ..charts import bar_chart, sparkline
from .agencies import PLAN_STATES, plan_state
from .common import Page, Reader, staff_only


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


async def trends(reader: Reader) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each score's past releases, oldest first (``scorecard_history``: what a build
    keeps, or a history computed from git written to the same table)."""
    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for h in await reader.rows("select release, as_of, scope, metric, value, numerator, "
                               "denominator from scorecard_history order by as_of, release"):
        series[(h["scope"], h["metric"])].append(h)
    return series


def _change(points: list[dict[str, Any]], value: float | None, today: str) -> float | None:
    """The change since the last release before today's."""
    earlier = [p for p in points if str(p["as_of"]) < today and p["value"] is not None]
    if value is None or not earlier:
        return None
    return round(value - earlier[-1]["value"], 4)


async def scorecards(reader: Reader, request: Any) -> Page:
    staff_only(reader)
    metrics = await reader.rows("select * from scorecard_metrics order by position")
    scores = await reader.rows("select * from scorecards")
    agencies = await reader.rows("select id, name, abbreviation from agencies order by name")
    names = {r["id"]: r["name"] for r in agencies}
    history = await trends(reader)
    today = reader.today.isoformat()
    table: dict[str, dict[str, Any]] = defaultdict(dict)
    for s in scores:
        m = next((m for m in metrics if m["id"] == s["metric"]), None)
        if m is None:
            continue
        points = history.get((s["scope"], s["metric"]), [])
        s["rating"] = rating(s["value"], m["target"], m["target"] - m["amber_below"])
        s["trend"] = [{"release": str(p["release"]), "as_of": str(p["as_of"]),
                       "value": p["value"]} for p in points]
        s["change"] = _change(points, s["value"], today)
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
    return Page("catalog_scorecards.html", "Scorecards", {
        "metrics": metrics, "scopes": ["statewide", *scopes],
        "scores": {scope: table[scope] for scope in ["statewide", *scopes]},
        "agency_names": names,
    }, extra={"chart": chart, "pct": _pct, "agencies": agencies,
              "sparkline": sparkline, "ratings": RATINGS})


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
    staff_only(reader)
    rows = await reader.rows(
        "select r.*, a.name as handled_by_name, (select group_concat(dataset_id, ', ') "
        "from data_request_datasets x where x.request_id = r.id) as datasets "
        "from data_requests r left join agencies a on a.id = r.handled_by "
        "order by r.received_on desc")
    days = sorted(r["turnaround_days"] for r in rows if r["turnaround_days"] is not None)
    open_rows = [r for r in rows if r["status"] not in ("fulfilled", "denied", "withdrawn")]
    stats = {
        "total": len(rows), "open": len(open_rows), "answered": len(days),
        "median_days": statistics.median(days) if days else None,
        "max_days": days[-1] if days else None,
        "by_status": dict(Counter(r["status"] for r in rows)),
        "by_requester": dict(Counter(r["requester_kind"] for r in rows)),
    }
    chart = bar_chart(
        [(r["title"], r["turnaround_days"]) for r in rows if r["turnaround_days"] is not None],
        chart_id="chart-requests", title="Days from receipt to response",
        description="Turnaround of each answered data request.", head="Request",
        value_text=lambda v: f"{v:.0f} days", css_class="ct-chart")
    titles = {d["id"]: d["title"] for d in await reader.rows(
        "select d.id, d.title from datasets d join data_request_datasets x "
        "on x.dataset_id = d.id")}
    return Page("catalog_requests.html", "Data requests", {"requests": rows, "stats": stats},
                extra={"chart": chart, "dataset_titles": titles})
