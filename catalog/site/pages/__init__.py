"""The catalog's pages, and the one way every route of the table answers.

A page is a loader ``(Reader, request) -> Page``; :func:`view` turns a route of the
table (catalog.site.routes) into a Datasette handler answering each of the route's
formats from the one :class:`Page`: HTML (its template), JSON (its data) and CSV (its
table), with the one 404 (a :class:`NotFoundError` from the loader, as the error page or
its JSON) and the route's audience checked first. Loaders read through
:class:`~.common.Reader`, which opens only the database the actor may see, so the public
pages cannot touch inventory.db. A loader may also answer with a response of its own
(a redirect after a form, a 503 while the usage store is down).

A page of a route with the build cache policy, read from public.db, depends only on the
build, the URL and the date, so :func:`view` keeps it (and its JSON) in memory under
those, and gives the templates a ``catalog_cache`` key for their ``{% cache %}``
fragments (catalog.site.caching). Staff pages and live pages are loaded every time.
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
from ..access import PUBLIC_DB, is_admin, is_staff
from ..caching import Lru, once
from ..errors import not_found
from ..routes import ADMIN, LIVE, STAFF, Route
from .common import NotFoundError, Page, Reader

Handler = Callable[[Any, Any], Awaitable[Any]]

__all__ = ["Page", "Reader", "view"]


def json_url(request: Any) -> str:
    path = request.path.rstrip("/") or "/"
    return path + ".json" + (f"?{request.query_string}" if request.query_string else "")


@dataclass
class Cached:
    page: Page
    json: bytes | None = None


PAGES = Lru(256)


def cache_key(route: Route, reader: Reader, request: Any) -> str | None:
    """What a public page depends on: the build, the date and the URL (None for staff
    and for live routes)."""
    if reader.name != PUBLIC_DB or route.cache == LIVE:
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


def allowed(route: Route, actor: Any) -> None:
    """The route's audience: a 403 with a way to sign in for staff routes, a 404 for
    administrators' routes."""
    from datasette.utils.asgi import Forbidden, NotFound

    if route.audience == STAFF and not is_staff(actor):
        raise Forbidden("This page is for state staff. Sign in to see it.")
    if route.audience == ADMIN and not is_admin(actor):
        raise NotFound("Page not found")


def view(route: Route) -> Handler:
    """The Datasette handler of ``route``: its audience checked, then its handler; a page
    route's loader answered in the format the URL asks for (RDF when the HTML URL is
    asked for it by content negotiation)."""
    from datasette.utils import async_call_with_supported_arguments

    handler = route.resolve()
    if not route.page:
        async def handle_file(datasette: Any, request: Any) -> Any:
            allowed(route, request.actor)
            return await async_call_with_supported_arguments(
                handler, datasette=datasette, request=request)

        handle_file.__name__ = f"{handler.__name__}_view"
        return handle_file

    async def handle(datasette: Any, request: Any) -> Any:
        allowed(route, request.actor)
        fmt = route.format_of(request.url_vars)
        offered = route.rdf if fmt == "html" else ()
        if offered:
            suffix = negotiation.choose(request.headers.get("accept", ""), offered)
            if suffix:
                return await negotiated(datasette, request, suffix)
        reader = Reader(datasette, request.actor)
        key = cache_key(route, reader, request)
        cached = PAGES.get(key) if key else None
        if cached is None:
            async def load() -> Any:
                page = await handler(reader, request)
                if not isinstance(page, Page):  # a response of its own
                    return page
                return PAGES.put(key, Cached(page)) if key else Cached(page)

            try:  # one computation of a public page however many ask for it at once
                cached = await (once(("page", key), load) if key else load())
            except NotFoundError as e:
                return await not_found(datasette, request, str(e), as_json=fmt != "html")
            if not isinstance(cached, Cached):
                return cached
        return await respond(datasette, request, route, cached, fmt, key,
                             {"Vary": "Accept"} if offered else {})

    handle.__name__ = f"{handler.__name__}_view"
    return handle


async def respond(datasette: Any, request: Any, route: Route, cached: Cached, fmt: str,
                  key: str | None, headers: dict[str, str]) -> Any:
    """``cached.page`` as ``fmt``: HTML, JSON or CSV."""
    from datasette.utils.asgi import Response

    page = cached.page
    if fmt == "json":
        if cached.json is None:
            cached.json = json.dumps(page.data, default=str).encode()
        return Response(cached.json, status=page.status, headers=page.headers,
                        content_type="application/json; charset=utf-8")
    if fmt == "csv":
        assert page.table is not None, f"{route.name}: the loader gave no table"
        table = page.table
        return Response(table.text(), status=page.status, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'{table.disposition}; filename="{table.filename}"',
                                 **page.headers})
    data = page.data if isinstance(page.data, dict) else {}
    context = {**data, **page.extra, "page_title": page.title,
               "staff": is_staff(request.actor), "catalog_main": True, "catalog_cache": key}
    if "json" in route.formats:
        context.setdefault("json_url", json_url(request))
    html = await datasette.render_template(page.template, context, request=request)
    return Response.html(html, status=page.status, headers=headers or None)
