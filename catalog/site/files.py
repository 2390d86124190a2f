"""The public catalog's exports at their conventional URLs (routes in
catalog.site.routes): /data.json (DCAT-US 1.1, what data.gov and CKAN harvest),
/catalog.jsonld (DCAT-US 3.0) and its RDF serialisations /catalog.ttl, /catalog.rdf,
/catalog.nt, each dataset's /datasets/<id>.{jsonld,ttl,rdf} and
/datasets/<id>/datapackage.json, /datapackage.json, /inventory.csv, and for crawlers
/sitemap.xml and /robots.txt. Only public.db is ever read. Their caching headers
(public, with an ETag, for anonymous readers) come from catalog.site.caching like every
public page's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from datasette.utils.asgi import NotFound, Response

from ..interop import RDF_MEDIA_TYPES
from . import exports
from .access import PUBLIC_DB
from .caching import once
from .errors import not_found

CORS = {"Access-Control-Allow-Origin": "*"}


async def serve_export(request: Any, datasette: Any) -> Response:
    spec = exports.BY_FILENAME.get(request.url_vars["filename"])
    if spec is None:
        raise NotFound("No such export")
    db = datasette.get_database(PUBLIC_DB)
    body = await once(("export", spec.name, db.path), lambda: asyncio.to_thread(
        exports.render, spec.name, Path(db.path)))
    return Response(body, content_type=f"{spec.media_type}; charset=utf-8",
                    headers=CORS)


async def serve_dataset_package(request: Any, datasette: Any) -> Any:
    db = datasette.get_database(PUBLIC_DB)
    text = await asyncio.to_thread(exports.dataset_package, Path(db.path),
                                   request.url_vars["dataset_id"])
    if text is None:
        return await not_found(datasette, request, "This dataset has no public data package",
                               as_json=True)
    return Response(text, content_type="application/json; charset=utf-8",
                    headers=CORS)


async def serve_dataset_rdf(request: Any, datasette: Any) -> Any:
    suffix = request.url_vars["format"].lstrip(".")
    db = datasette.get_database(PUBLIC_DB)
    body = await asyncio.to_thread(exports.dataset_rdf, Path(db.path),
                                   request.url_vars["dataset_id"], suffix)
    if body is None:
        return await not_found(datasette, request, "No such dataset in the catalog",
                               as_json=suffix == "jsonld")
    return Response(body, content_type=f"{RDF_MEDIA_TYPES[suffix]}; charset=utf-8",
                    headers=CORS)


def _request_base(request: Any) -> str:
    return f"{request.scheme}://{request.host}"


async def serve_sitemap(request: Any, datasette: Any) -> Response:
    db = Path(datasette.get_database(PUBLIC_DB).path)
    body = await asyncio.to_thread(exports.sitemap, db, _request_base(request))
    return Response(body, content_type="application/xml; charset=utf-8")


async def serve_robots(request: Any, datasette: Any) -> Response:
    db = Path(datasette.get_database(PUBLIC_DB).path)
    body = await asyncio.to_thread(exports.robots, db, _request_base(request))
    return Response(body, content_type="text/plain; charset=utf-8")
