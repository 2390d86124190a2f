"""Serve the public catalog's exports at conventional URLs: /data.json (DCAT-US 1.1,
what data.gov and CKAN harvest), /catalog.jsonld (DCAT-US 3.0), /datapackage.json and
/inventory.csv. Only public.db is ever read. Their caching headers (public, with an
ETag, for anonymous readers) come from catalog.site.caching like every public page's."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from catalog.site import exports
from catalog.site.access import PUBLIC_DB

CORS = {"Access-Control-Allow-Origin": "*"}


async def serve_export(request: Any, datasette: Any) -> Response:
    spec = exports.BY_FILENAME.get(request.url_vars["filename"])
    if spec is None:
        raise NotFound("No such export")
    db = datasette.get_database(PUBLIC_DB)
    body = await asyncio.to_thread(exports.render, spec.name, Path(db.path))
    return Response(body, content_type=f"{spec.media_type}; charset=utf-8",
                    headers=CORS)


async def serve_dataset_package(request: Any, datasette: Any) -> Response:
    db = datasette.get_database(PUBLIC_DB)
    text = await asyncio.to_thread(exports.dataset_package, Path(db.path),
                                   request.url_vars["dataset_id"])
    if text is None:
        raise NotFound("This dataset has no public data package")
    return Response(text, content_type="application/json; charset=utf-8",
                    headers=CORS)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    names = "|".join(re.escape(name) for name in exports.BY_FILENAME)
    return [(rf"^/(?P<filename>{names})$", serve_export),
            (r"^/datasets/(?P<dataset_id>[a-z0-9-]+)/datapackage\.json$",
             serve_dataset_package)]
