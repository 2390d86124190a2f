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
from ..problems import CatalogError
from . import caching, exports
from .access import PUBLIC_DB
from .caching import once
from .errors import not_found

CORS = {"Access-Control-Allow-Origin": "*"}


async def serve_export(request: Any, datasette: Any) -> Response:
    """The export's bytes computed once per build, gzip-compressed when the reader
    accepts it (``Vary: Accept-Encoding``); anonymous readers get its validators (a
    strong ETag, Last-Modified) and a 304 when they already hold it."""
    spec = exports.BY_FILENAME.get(request.url_vars["filename"])
    if spec is None:
        raise NotFound("No such export")
    db = datasette.get_database(PUBLIC_DB)
    try:
        encoded = await once(("export", spec.name, db.path), lambda: asyncio.to_thread(
            exports.encoded, spec.name, Path(db.path)))
    except CatalogError as e:  # this catalog has no such file (a Data Package of nothing)
        return await not_found(datasette, request, f"No {spec.filename}: {e}")
    body, tag, coding = encoded.variant(request.headers.get("accept-encoding", ""))
    headers = {**CORS, "Vary": "Accept-Encoding"}
    if coding:
        headers["Content-Encoding"] = coding
    if caching.anonymous(request.headers):
        headers.update({"ETag": tag, "Last-Modified": encoded.last_modified})
        if caching.not_modified(request.headers, tag, encoded.last_modified):
            return Response(b"", status=304, headers=headers)
    return Bytes(body, content_type=f"{spec.media_type}; charset=utf-8", headers=headers)


class Bytes(Response):
    """Precomputed bytes sent as they are: with their Content-Length (without it the
    server frames the body in chunked encoding, which copies all of it once more per
    request) and in slices of the same buffer, each handed on when the socket has taken
    the previous one (the server's flow control), rather than one copy of 13 MB into the
    transport's buffer."""

    SLICE = 1 << 20

    async def asgi_send(self, send: Any) -> None:
        body = self.body if isinstance(self.body, bytes) else self.body.encode("utf-8")
        headers = [[k.lower().encode("latin-1"), v.encode("latin-1")]
                   for k, v in self.headers.items()]
        headers += [[b"content-type", self.content_type.encode("latin-1")],
                    [b"content-length", str(len(body)).encode()]]
        await send({"type": "http.response.start", "status": self.status,
                    "headers": headers})
        view = memoryview(body)
        for start in range(0, max(len(body), 1), self.SLICE):
            await send({"type": "http.response.body", "body": view[start:start + self.SLICE],
                        "more_body": start + self.SLICE < len(body)})


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
