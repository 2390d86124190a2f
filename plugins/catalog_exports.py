"""Serve the public catalog's exports at conventional URLs (routes: the ``exports`` part
of catalog.site.routes; handlers: catalog.site.files): /data.json, /catalog.jsonld and
its RDF serialisations, each dataset's /datasets/<id>.{jsonld,ttl,rdf} and data
package, /datapackage.json, /inventory.csv, /sitemap.xml and /robots.txt."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.routes import ROUTES


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("exports")
