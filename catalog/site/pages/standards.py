"""``/standards`` and ``/standards/<id>``: the common data elements, their allowed
values (paged on the page, complete in the JSON) and the fields that use them."""

from __future__ import annotations

from typing import Any

from .common import NotFoundError, Page, Reader, page_number

PAGE_SIZE = 50
USAGE_SHOWN = 200  # fields listed on the page; the JSON lists all


async def standards(reader: Reader, request: Any) -> Page:
    rows = await reader.rows(
        "select s.id, s.title, s.category, s.status, s.superseded_by, s.value_count, "
        "s.authority_name, count(f.id) as fields, count(distinct f.dataset_id) as datasets "
        "from standards s left join fields f on f.standard = s.id "
        "group by s.id order by s.category, s.title")
    categories: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        categories.setdefault(row["category"], []).append(row)
    return Page("catalog_standards.html", "Common data standards",
                {"standards": rows}, {"categories": categories})


async def standard(reader: Reader, request: Any) -> Page:
    standard_id = request.url_vars["standard_id"]
    row = await reader.row("select * from standards where id = :id", {"id": standard_id})
    if row is None:
        raise NotFoundError("No such standard in the catalog")
    as_json = bool(request.url_vars.get("format"))
    total = int(row["value_count"] or 0)
    page = page_number(request.args.get("page"))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    limit, offset = (-1, 0) if as_json else (PAGE_SIZE, (page - 1) * PAGE_SIZE)
    values = await reader.rows(
        "select code, label, description, attributes_json from standard_values "
        "where standard_id = :id order by position limit :limit offset :offset",
        {"id": standard_id, "limit": limit, "offset": offset})
    usage = await reader.rows(
        "select f.dataset_id, d.title as dataset_title, f.name as field, f.title, "
        "f.conformance, fc.details from fields f join datasets d on d.id = f.dataset_id "
        "left join field_conformance fc on fc.field_id = f.id where f.standard = :id "
        "order by d.title, f.position limit :limit", {"id": standard_id,
                                                      "limit": -1 if as_json else USAGE_SHOWN})
    used = await reader.row(
        "select count(*) as fields, count(distinct dataset_id) as datasets from fields "
        "where standard = :id", {"id": standard_id})
    extra = {
        "page": page, "pages": pages, "first": offset + 1 if values else 0,
        "last": offset + len(values),
    }
    return Page("catalog_standard.html", row["title"], {
        "standard": row, "value_count": total, "values": values, "used_by": usage,
        "used_by_count": used,
    }, extra)
