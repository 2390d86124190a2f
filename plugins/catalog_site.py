"""The catalog's pages (logic: catalog.site.pages) and template helpers.

* routes: /, /search, /datasets/<id>, /datasets/<id>/history, /changes,
  /agencies[/<id>], /standards[/<id>], each also as JSON at the same path + .json;
  the Atom feeds /feeds/datasets.atom and /feeds/agencies/<id>.atom;
* a ``markdown`` Jinja filter that renders descriptor text safely;
* staff menu links to the inventory database and its canned queries.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from catalog.site import access
from catalog.site.markdown import render
from catalog.site.pages import ROUTES


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return list(ROUTES)


def markdown_filter(text: str | None) -> Markup:
    return Markup(render(text))  # sanitised by nh3 in render()


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["markdown"] = markdown_filter


@hookimpl
def menu_links(actor: Any) -> list[dict[str, str]] | None:
    if not access.is_staff(actor):
        return None
    return [
        {"href": f"/{access.PRIVATE_DB}", "label": "Whole inventory (SQL)"},
        {"href": f"/{access.PRIVATE_DB}#queries", "label": "Chief Data Officer queries"},
        {"href": f"/{access.PRIVATE_DB}/problems", "label": "Validation problems"},
    ]
