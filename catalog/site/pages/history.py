"""History pages: ``/datasets/<id>/history``, ``/changes`` and the Atom feeds
``/feeds/datasets.atom`` and ``/feeds/agencies/<id>.atom``.

Each reads the ``dataset_changes`` of the actor's own database: staff see every change
(with its risk flags, author and message), the public only what
:mod:`catalog.history.public` let into public.db. The feeds are public documents and
always read public.db.
"""

from __future__ import annotations

import json
from typing import Any

from ..access import PUBLIC_DB
from .common import NotFoundError, Page, Reader, Row

RECENT = 100
ON_DATASET_PAGE = 5
UNAVAILABLE = "not built from a git repository"


async def status(reader: Reader) -> dict[str, Any]:
    """Whether history is available in this build, and why not."""
    value = await reader.value("select value from meta where key = 'history_status'")
    text = str(value) if value else UNAVAILABLE
    return {"available": text == "available", "reason": None if text == "available" else text}


def _decode(row: Row, staff: bool) -> Row:
    row["changes"] = json.loads(row.pop("changes_json") or "[]")
    risks = row.pop("risks_json", None)
    row["risks"] = json.loads(risks) if staff and risks else []
    if not staff:
        for key in ("author", "subject", "opened", "documented", "conformed"):
            row.pop(key, None)
    row["short_sha"] = row["commit_sha"][:10]
    return row


CHANGES_SQL = (
    "select c.id, c.dataset_id, c.agency_id, c.commit_sha, c.committed_at, c.kind, "
    "c.summary, c.changes_json, c.risks_json, c.opened, c.documented, c.conformed, "
    "m.author, m.subject from dataset_changes c join commits m on m.sha = c.commit_sha ")


async def changes_of(reader: Reader, dataset_id: str, limit: int | None = None) -> list[Row]:
    rows = await reader.rows(
        CHANGES_SQL + "where c.dataset_id = :id order by c.committed_at desc, c.id desc"
        + (" limit :n" if limit else ""), {"id": dataset_id, "n": limit})
    return [_decode(r, reader.staff) for r in rows]


async def dataset_history(reader: Reader, request: Any) -> Page:
    dataset_id = request.url_vars["dataset_id"]
    d = await reader.row("select id, title, agency_id, visibility from datasets "
                         "where id = :id", {"id": dataset_id})
    if d is None:
        raise NotFoundError("No such dataset in the catalog")
    return Page("catalog_history.html", f"History of {d['title']}", {
        "dataset": d, "history": await status(reader),
        "changes": await changes_of(reader, dataset_id),
        "links": {"dataset": f"/datasets/{dataset_id}",
                  "feed": f"/feeds/agencies/{d['agency_id']}.atom"},
    })


async def recent(reader: Reader, request: Any) -> Page:
    """``/changes``: the latest changes across the catalog (``?agency=`` narrows)."""
    agency = request.args.get("agency") or None
    rows = await reader.rows(
        CHANGES_SQL.replace("select ", "select d.title, ", 1)
        + "left join datasets d on d.id = c.dataset_id "
        + ("where c.agency_id = :agency " if agency else "")
        + "order by c.committed_at desc, c.id desc limit :n", {"agency": agency, "n": RECENT})
    agencies = await reader.rows("select id, name from agencies order by name")
    return Page("catalog_changes.html", "Recent changes", {
        "history": await status(reader), "agency": agency, "agencies": agencies,
        "changes": [_decode(r, reader.staff) for r in rows],
        "links": {"feed": f"/feeds/agencies/{agency}.atom" if agency
                  else "/feeds/datasets.atom"},
    })


async def feed(datasette: Any, request: Any) -> Any:
    """An Atom feed of new and changed public datasets (statewide or one agency's)."""
    from datasette.utils.asgi import Response

    from ...history.feeds import atom

    db = datasette.get_database(PUBLIC_DB)
    agency_id = request.url_vars.get("agency_id")
    meta = {r["key"]: r["value"] for r in (await db.execute(
        "select key, value from meta where key in ('base_url', 'catalog_json', "
        "'built_at')")).rows}
    title = json.loads(meta.get("catalog_json") or "{}").get("title") or "Data catalog"
    agency = None
    if agency_id:
        agency = (await db.execute("select id, name from agencies where id = ?",
                                   [agency_id])).first()
        if agency is None:
            from ..errors import not_found

            return await not_found(datasette, request, "No such agency in the catalog")
    rows = [dict(r) for r in (await db.execute(
        "select c.id, c.dataset_id, c.commit_sha, c.committed_at, c.kind, c.summary, "
        "d.title, d.description, a.name as agency_name from dataset_changes c "
        "join datasets d on d.id = c.dataset_id join agencies a on a.id = c.agency_id "
        + ("where c.agency_id = ? " if agency_id else "")
        + f"order by c.committed_at desc, c.id desc limit {RECENT}",
        [agency_id] if agency_id else [])).rows]
    base = (meta.get("base_url") or "").rstrip("/")
    path = request.path
    body = atom(rows, title=f"{title}: new and changed datasets"
                + (f" of {agency['name']}" if agency else ""),
                base_url=base, feed_path=path,
                page_path=f"/changes?agency={agency_id}" if agency_id else "/changes",
                updated=rows[0]["committed_at"] if rows else meta.get("built_at") or "")
    return Response(body, content_type="application/atom+xml; charset=utf-8")
