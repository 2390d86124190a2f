"""The catalog's own pages.

Each page is a loader ``(Reader, request) -> Page``; :func:`view` turns it into a
Datasette route answering HTML at its path and the same data as JSON at the path plus
``.json``. Loaders read through :class:`~.common.Reader`, which opens only the database
the actor may see, so the public pages cannot touch inventory.db.

A page read from public.db depends only on the build, the URL and the date, so
:func:`view` keeps it (and its JSON) in memory under those, and gives the templates a
``catalog_cache`` key for their ``{% cache %}`` fragments (catalog.site.caching).
Staff pages are loaded and rendered every time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...interop import RDF_MEDIA_TYPES
from .. import exports, negotiation
from ..access import PUBLIC_DB
from ..caching import Lru, once
from .agencies import agencies, agency
from .common import NotFoundError, Page, Reader
from .dataset import dataset
from .history import dataset_history, feed, recent
from .home import home
from .search import search
from .staff import Table, inventory, inventory_csv, problems, queries, query, query_csv, today
from .standards import standard, standards

Loader = Callable[[Reader, Any], Awaitable[Page]]
Handler = Callable[[Any, Any], Awaitable[Any]]

__all__ = ["ROUTES", "Page", "Reader", "view"]


def json_url(request: Any) -> str:
    path = request.path.rstrip("/") or "/"
    return path + ".json" + (f"?{request.query_string}" if request.query_string else "")


async def not_found(datasette: Any, request: Any, message: str, *, as_json: bool) -> Any:
    """A 404 in Datasette's error shape (JSON) or its error page, without a traceback in
    the server log: a record the actor may not see is simply not there."""
    from datasette.utils.asgi import Response

    body = {"ok": False, "error": message, "status": 404, "title": None}
    if as_json:
        return Response.json(body, status=404)
    html = await datasette.render_template("error.html", body, request=request)
    return Response.html(html, status=404)


@dataclass
class Cached:
    page: Page
    json: bytes | None = None


PAGES = Lru(256)


def cache_key(reader: Reader, request: Any) -> str | None:
    """What a public page depends on: the build, the date and the URL (None for staff)."""
    if reader.name != PUBLIC_DB:
        return None
    return f"{reader.build}|{reader.today.isoformat()}|{request.path}?{request.query_string}"


async def negotiated(datasette: Any, request: Any, suffix: str) -> Any:
    """The RDF an HTML URL answers with when ``Accept`` prefers it (catalog.site.negotiation):
    the public catalog's or the dataset's, whoever asks."""
    from datasette.utils.asgi import Response

    db = Path(datasette.get_database(PUBLIC_DB).path)
    if request.path == "/":
        name = exports.BY_FILENAME[f"catalog.{suffix}"].name
        body: bytes | None = (await once(("export", name, str(db)), lambda: asyncio.to_thread(
            exports.encoded, name, db))).identity
    else:
        body = await asyncio.to_thread(exports.dataset_rdf, db,
                                       request.url_vars["dataset_id"], suffix)
    if body is None:
        return await not_found(datasette, request, "No such dataset in the catalog",
                               as_json=True)
    return Response(body, content_type=f"{RDF_MEDIA_TYPES[suffix]}; charset=utf-8",
                    headers={"Content-Location": negotiation.alternate_url(request.path,
                                                                           suffix),
                             "Vary": "Accept"})


def view(loader: Loader) -> Handler:
    """A Datasette route for ``loader``: HTML, or JSON when the URL ends in ``.json``;
    RDF when the HTML URL is asked for it (content negotiation)."""
    from datasette.utils.asgi import Response

    async def handle(datasette: Any, request: Any) -> Any:
        as_json = bool(request.url_vars.get("format"))
        formats = () if as_json else negotiation.offered(request.path)
        if formats:
            suffix = negotiation.choose(request.headers.get("accept", ""), formats)
            if suffix:
                return await negotiated(datasette, request, suffix)
        reader = Reader(datasette, request.actor)
        key = cache_key(reader, request)
        cached = PAGES.get(key) if key else None
        if cached is None:
            async def load() -> Cached:
                value = Cached(await loader(reader, request))
                return PAGES.put(key, value) if key else value

            try:  # one computation of a public page however many ask for it at once
                cached = await (once(("page", key), load) if key else load())
            except NotFoundError as e:
                return await not_found(datasette, request, str(e), as_json=as_json)
        page = cached.page
        if as_json:
            if cached.json is None:
                cached.json = json.dumps(page.data, default=str).encode()
            return Response(cached.json, content_type="application/json; charset=utf-8")
        context = {**page.data, **page.extra, "page_title": page.title,
                   "staff": reader.staff, "catalog_main": True, "catalog_cache": key}
        context.setdefault("json_url", json_url(request))
        html = await datasette.render_template(page.template, context, request=request)
        return Response.html(html, headers={"Vary": "Accept"} if formats else None)

    handle.__name__ = f"{loader.__name__}_view"
    return handle


def csv_view(loader: Callable[[Reader, Any], Awaitable[Table]]) -> Handler:
    """A Datasette route answering CSV (spreadsheet-safe cells, catalog.csvsafe)."""
    from datasette.utils.asgi import Response

    from ... import csvsafe

    async def handle(datasette: Any, request: Any) -> Any:
        import io

        try:
            table = await loader(Reader(datasette, request.actor), request)
        except NotFoundError as e:
            return await not_found(datasette, request, str(e), as_json=True)
        out = io.StringIO()
        writer = csvsafe.Writer(out)
        writer.writerow(table.header)
        writer.writerows([row.get(c) for c in table.columns] for row in table.rows)
        return Response(out.getvalue(), content_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="{table.filename}"',
            "cache-control": "private, no-store"})

    handle.__name__ = f"{loader.__name__}_view"
    return handle


_ID = r"(?P<{}>[A-Za-z0-9][A-Za-z0-9_.-]*?)"
_FMT = r"(?P<format>\.json)?$"
ROUTES: list[tuple[str, Handler]] = [
    (r"^/" + _FMT, view(home)),
    (r"^/(?:search|datasets)" + _FMT, view(search)),
    # dataset ids have no dots: /datasets/<id>.ttl and friends are exports
    (r"^/datasets/(?P<dataset_id>[a-z0-9][a-z0-9-]*)" + _FMT, view(dataset)),
    (r"^/datasets/(?P<dataset_id>[a-z0-9][a-z0-9-]*)/history" + _FMT, view(dataset_history)),
    (r"^/changes" + _FMT, view(recent)),
    (r"^/feeds/datasets\.atom$", feed),
    (r"^/feeds/agencies/" + _ID.format("agency_id") + r"\.atom$", feed),
    (r"^/agencies" + _FMT, view(agencies)),
    (r"^/agencies/" + _ID.format("agency_id") + _FMT, view(agency)),
    (r"^/standards" + _FMT, view(standards)),
    (r"^/standards/" + _ID.format("standard_id") + _FMT, view(standard)),
    # staff pages (catalog.site.pages.staff)
    (r"^/staff" + _FMT, view(today)),
    (r"^/staff/problems" + _FMT, view(problems)),
    (r"^/staff/datasets\.csv$", csv_view(inventory_csv)),
    (r"^/staff/datasets" + _FMT, view(inventory)),
    (r"^/staff/queries" + _FMT, view(queries)),
    (r"^/staff/queries/(?P<name>[A-Za-z0-9_]+)\.csv$", csv_view(query_csv)),
    (r"^/staff/queries/(?P<name>[A-Za-z0-9_]+)" + _FMT, view(query)),
]
