"""``/agencies`` and ``/agencies/<id>``: each agency's datasets, its data officer
(Conn. Gen. Stat. §4-67p) and its Open Data Access Plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .common import NotFoundError, Page, Reader, Row, iso

PLAN_STATES = ("overdue", "planned", "released", "not-planned")


def plan_state(plan: Row, today: dt.date) -> str:
    """released, overdue (target date passed, not released), planned or not-planned."""
    if plan["status"] == "released" or plan.get("released_on"):
        return "released"
    target = iso(plan.get("target_release"))
    if plan["status"] == "planned" and target and target < today:
        return "overdue"
    return str(plan["status"])


async def agencies(reader: Reader, request: Any) -> Page:
    rows = await reader.rows(
        "select a.id, a.name, a.abbreviation, a.data_officer_name, a.data_officer_title, "
        "a.odap_url, count(d.id) as datasets, coalesce(sum(d.high_value), 0) as high_value, "
        "coalesce(sum(d.access_level = 'public'), 0) as open from agencies a "
        "left join datasets d on d.agency_id = a.id group by a.id order by a.name")
    return Page("catalog_agencies.html", "Agencies", {"agencies": rows})


async def agency(reader: Reader, request: Any) -> Page:
    agency_id = request.url_vars["agency_id"]
    row = await reader.row("select * from agencies where id = :id", {"id": agency_id})
    if row is None:
        raise NotFoundError("No such agency in the catalog")
    datasets = await reader.rows(
        "select id, title, access_level, visibility, high_value, modified, asset_type "
        "from datasets where agency_id = :id order by title", {"id": agency_id})
    plans = await reader.rows(
        "select p.dataset_id, d.title, p.status, p.priority, p.target_release, "
        "p.released_on, p.released_url, p.notes from access_plans p "
        "join datasets d on d.id = p.dataset_id where p.agency_id = :id "
        "order by p.target_release is null, p.target_release, d.title", {"id": agency_id})
    counts = dict.fromkeys(PLAN_STATES, 0)
    for plan in plans:
        plan["state"] = plan_state(plan, reader.today)
        counts[plan["state"]] = counts.get(plan["state"], 0) + 1
    return Page("catalog_agency.html", row["name"], {
        "agency": row, "datasets": datasets, "access_plan": plans, "plan_counts": counts,
        "as_of": reader.today.isoformat(),
    })
