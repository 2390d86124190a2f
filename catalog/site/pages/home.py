"""``/``: a search box, the inventory by agency, theme and access level, recent changes,
and where to find the open API."""

from __future__ import annotations

from typing import Any

from ..exports import BY_FILENAME, catalog_alternates
from .common import Page, Reader, access_label

RECENT = 8


async def home(reader: Reader, request: Any) -> Page:
    totals = await reader.row(
        "select count(*) as datasets, coalesce(sum(high_value), 0) as high_value, "
        "coalesce(sum(access_level = 'public'), 0) as open, "
        "(select count(*) from agencies) as agencies, "
        "(select count(*) from standards) as standards from datasets")
    by_agency = await reader.rows(
        "select a.id, a.name, a.abbreviation, count(d.id) as count from agencies a "
        "left join datasets d on d.agency_id = a.id group by a.id order by a.name")
    by_theme = await reader.rows(
        "select t.id, t.title, count(dt.dataset_id) as count from themes t "
        "left join dataset_themes dt on dt.theme_id = t.id group by t.id order by t.title")
    by_access = await reader.rows(
        "select access_level as id, count(*) as count from datasets group by access_level "
        "order by case access_level when 'public' then 0 when 'restricted public' then 1 "
        "else 2 end")
    for row in by_access:
        row["title"] = access_label(row["id"])
    recent = await reader.rows(
        "select d.id, d.title, d.modified, d.access_level, d.agency_id, a.name as agency_name "
        "from datasets d join agencies a on a.id = d.agency_id where d.modified is not null "
        "order by d.modified desc, d.title limit :n", {"n": RECENT})
    built = await reader.value("select value from meta where key = 'built_at'")
    db = reader.name
    api = [
        {"title": "Search results as JSON", "url": "/search.json?q=town"},
        {"title": "Every dataset as JSON", "url": f"/{db}/datasets.json?_shape=array"},
        {"title": "Every dataset as CSV", "url": f"/{db}/datasets.csv?_size=max"},
        {"title": "Data dictionaries (fields) as CSV", "url": f"/{db}/fields.csv?_size=max"},
        {"title": "Common data standards as JSON", "url": "/standards.json"},
        {"title": "Run your own SQL query", "url": f"/{db}"},
    ] + [{"title": f.description, "url": f"/{f.filename}"} for f in BY_FILENAME.values()]
    return Page("catalog_home.html", "Connecticut High-Value Data Inventory", {
        "totals": totals, "by_agency": by_agency, "by_theme": by_theme,
        "by_access": by_access, "recent": recent, "built_at": built, "api": api,
    }, {"alternates": catalog_alternates()})
