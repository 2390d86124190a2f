"""The catalog's pages (logic: catalog.site.pages) and template helpers.

* routes (the ``site`` part of catalog.site.routes): /, /search, /datasets/<id>,
  /datasets/<id>/history, /changes, /agencies[/<id>], /standards[/<id>], each also as
  JSON at the same path + .json; the Atom feeds /feeds/datasets.atom and
  /feeds/agencies/<id>.atom; the staff pages /staff...;
* the full-text index of ``datasets`` for Datasette's ``?_search=`` (it reads the
  datasets' text through a view, which Datasette does not detect: catalog.site.fts);
* Datasette's questions about a table's columns and keys answered once per process
  (the databases are immutable: catalog.site.tableinfo), and large buffers reused by
  the C allocator (catalog.procs.keep_large_buffers);
* a ``markdown`` Jinja filter that renders descriptor text safely, and the filters that
  put codes into words (catalog.site.labels: ``label``, ``human_date``, ``column_title``).
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from catalog.procs import keep_large_buffers
from catalog.site import fts, labels, tableinfo
from catalog.site.markdown import to_html
from catalog.site.routes import ROUTES


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("site")


@hookimpl
def startup(datasette: Any) -> None:
    tableinfo.remember(datasette)
    keep_large_buffers()


@hookimpl
def get_metadata() -> dict[str, Any]:
    return fts.table_metadata()


def markdown_filter(text: str | None) -> Markup:
    return Markup(to_html(text))  # sanitised by nh3 in to_html()


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["markdown"] = markdown_filter
    env.filters["label"] = labels.label
    env.filters["human_date"] = labels.human_date
    env.filters["column_title"] = labels.column_title
