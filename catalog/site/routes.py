"""The route table: every URL the catalog adds to Datasette, in one place.

Each :class:`Route` names its path, the formats it answers in, who may see it, how it
may be cached, what a use of it counts as, and its handler. Everything else reads this
table and nothing else:

* the plugins register their part of it (``ROUTES.register("agreements")``); a page's
  handler is wrapped by :func:`catalog.site.pages.view`, which answers every format, its
  caching and its 404 the same way for every page;
* the audience is checked before any handler runs (a 403 with a way to sign in for a
  staff route, a 404 for an admin route);
* the HTTP cache (catalog.site.caching) asks :meth:`RouteTable.is_live`;
* the usage counter (catalog.usage.classify) asks :meth:`RouteTable.usage`;
* the accessibility sweep's meta-test reads :meth:`RouteTable.html`.

A path is a regular expression with ``{name:kind}`` parameters (:data:`KINDS`, or a
regular expression of its own); the formats add the suffix: ``html`` (and ``data``, for
what answers without a suffix but is not a page: JSON, a redirect) none, ``json``
``.json``, ``csv`` ``.csv`` and so on. The format asked for is ``url_vars["format"]``
(``".json"``; ``None`` for the page).

The table imports no handler: a handler is ``"module:attribute"``, imported when the
routes are registered, so the cache and the counter can read the table on every request
without loading the pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..lazy import load

# audiences: who may see a route
PUBLIC = "public"  # everyone; staff read inventory.db, the public public.db
STAFF = "staff"  # signed-in staff; others get a 403 with a way to sign in
ADMIN = "admin"  # administrators; others get a 404
AUDIENCES = (PUBLIC, STAFF, ADMIN)

# cache policies (catalog.site.caching, docs/performance-serving.md)
BUILD = "build"  # changes only with a new build: public and an ETag for anonymous readers
LIVE = "live"  # may change at any time: the handler's own headers stand
LIVE_HTML = "live-html"  # the page carries a live panel; its other formats are per build
CACHES = (BUILD, LIVE, LIVE_HTML)

# usage kinds (catalog.usage.classify, docs/usage.md)
DATASET = "dataset"  # a dataset's page or JSON: counted for the dataset, channel page/json
DATASET_EXPORT = "dataset-export"  # a dataset's export: counted for the dataset
DOWNLOAD = "download"  # the counted download redirect /-/download/<dataset>/<distribution>
SEARCH = "search"  # catalog-wide, channel search
EXPORT = "export"  # a catalog-wide export
USAGE_KINDS = (DATASET, DATASET_EXPORT, DOWNLOAD, SEARCH, EXPORT)

SUFFIXES: dict[str, str] = {
    "html": "", "data": "", "json": ".json", "csv": ".csv", "atom": ".atom", "ics": ".ics",
    "md": ".md", "xml": ".xml", "txt": ".txt", "jsonld": ".jsonld", "ttl": ".ttl",
    "rdf": ".rdf",
}
PAGE_FORMATS = frozenset({"html", "json", "csv"})  # what catalog.site.pages.view answers


def _export_names() -> str:
    from ..interop import EXPORTS

    return "|".join(re.escape(f.filename) for f in EXPORTS.values())


KINDS: dict[str, str] = {
    "slug": r"[a-z0-9][a-z0-9-]*",  # a dataset id
    "lower": r"[a-z0-9-]+",
    "id": r"[A-Za-z0-9][A-Za-z0-9_.-]*?",  # agency, standard, agreement ids
    "word": r"[A-Za-z0-9_]+",  # a canned query's name
    "rest": r".*",
}
PARAM = re.compile(r"\{(\w+):([^{}]+)\}")


@dataclass(frozen=True)
class Route:
    """One URL of the catalog (see the module's docstring)."""

    name: str
    path: str
    handler: str  # "module:attribute": a loader (Reader, request) for page routes
    formats: tuple[str, ...] = ("html", "json")
    audience: str = PUBLIC
    cache: str = BUILD
    usage: str | None = None
    group: str = "site"  # the plugin that registers it
    page: bool = True  # the handler is a loader that catalog.site.pages.view answers
    rdf: tuple[str, ...] = ()  # what its HTML URL also answers by content negotiation

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in SUFFIXES]
        assert not unknown, f"{self.name}: unknown formats {unknown}"
        assert self.audience in AUDIENCES and self.cache in CACHES, self.name
        assert self.usage is None or self.usage in USAGE_KINDS, self.name
        assert not self.page or set(self.formats) <= PAGE_FORMATS, self.name

    @cached_property
    def pattern(self) -> str:
        """The regular expression Datasette matches the path with."""
        def param(m: re.Match[str]) -> str:
            kind = m.group(2)
            regex = _export_names() if kind == "export" else KINDS.get(kind, kind)
            return f"(?P<{m.group(1)}>{regex})"

        path = PARAM.sub(param, self.path)
        suffixes = [SUFFIXES[f] for f in self.formats if SUFFIXES[f]]
        if not suffixes:
            return f"^{path}$"
        group = "(?P<format>" + "|".join(re.escape(s) for s in suffixes) + ")"
        bare = len(suffixes) < len(self.formats)
        return f"^{path}{group}{'?' if bare else ''}$"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def format_of(self, url_vars: dict[str, Any]) -> str:
        """The format a matched request asks for: ``html``, ``json``, ``csv``…"""
        suffix = url_vars.get("format")
        if not suffix:
            return next(f for f in self.formats if not SUFFIXES[f])
        return next(f for f in self.formats if SUFFIXES[f] == suffix)

    def resolve(self) -> Any:
        return load(self.handler)


def _first(routes: Iterable[Route], path: str) -> tuple[Route, dict[str, Any]] | None:
    for route in routes:
        m = route.regex.match(path)
        if m:
            return route, m.groupdict()
    return None


def _non_capturing(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


class RouteTable:
    """The catalog's routes, in the order Datasette tries them."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        names = [r.name for r in self.routes]
        assert len(names) == len(set(names)), "route names must be unique"

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def __getitem__(self, name: str) -> Route:
        return next(r for r in self.routes if r.name == name)

    def groups(self) -> set[str]:
        return {r.group for r in self.routes}

    def register(self, group: str) -> list[tuple[str, Any]]:
        """The ``register_routes`` answer of the plugin that owns ``group``."""
        from .pages import view

        return [(r.pattern, view(r)) for r in self.routes if r.group == group]

    def match(self, path: str) -> tuple[Route, dict[str, Any]] | None:
        """The route Datasette answers ``path`` with, and its URL parameters."""
        return _first(self.routes, path)

    @cached_property
    def _live(self) -> re.Pattern[str]:
        live = [r.pattern for r in self.routes if r.cache == LIVE]
        return re.compile("|".join(f"(?:{_non_capturing(p)})" for p in live))

    @cached_property
    def _live_html(self) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.cache == LIVE_HTML)

    def is_live(self, path: str) -> bool:
        """Whether the table says an anonymous answer at ``path`` can change without a
        new build (a route with a live cache policy, or the page of a live-html one)."""
        if self._live.match(path):
            return True
        found = _first(self._live_html, path)
        return found is not None and found[0].format_of(found[1]) == "html"

    @cached_property
    def _counted(self) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.usage)

    def usage(self, path: str) -> tuple[Route, dict[str, Any]] | None:
        """The counted route ``path`` is, with its URL parameters (None if it is none)."""
        return _first(self._counted, path)

    @cached_property
    def _negotiated(self) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.rdf)

    def rdf(self, path: str) -> tuple[str, ...]:
        """The RDF formats the HTML URL ``path`` answers with when asked for them
        (catalog.site.negotiation); none for any other URL."""
        found = _first(self._negotiated, path)
        if found is None or found[0].format_of(found[1]) != "html":
            return ()
        return found[0].rdf

    def html(self) -> list[Route]:
        """The routes that answer an HTML page (the accessibility sweep covers each)."""
        return [r for r in self.routes if "html" in r.formats]


P = "catalog.site.pages"
STAFF_PAGES = f"{P}.staff"
GOV = f"{P}.governance"
AGR = f"{P}.agreements"
EXP = "catalog.site.files"
DS = "catalog.site.introspection"
USE = "catalog.usage.routes"
FORM = "catalog.usage.forms"
PLAIN = ("data",)
DATASET_RDF = ("jsonld", "ttl", "rdf")

ROUTES = RouteTable([
    # the catalog's pages (plugins/catalog_site.py)
    Route("home", "/", f"{P}.home:home", rdf=("jsonld", "ttl", "rdf", "nt")),
    Route("search", "/(?:search|datasets)", f"{P}.search:search", usage=SEARCH),
    # dataset ids have no dots: /datasets/<id>.ttl and friends are exports
    Route("dataset", "/datasets/{dataset_id:slug}", f"{P}.dataset:dataset", cache=LIVE_HTML,
          usage=DATASET, rdf=DATASET_RDF),
    Route("dataset-history", "/datasets/{dataset_id:slug}/history",
          f"{P}.history:dataset_history"),
    Route("changes", "/changes", f"{P}.history:recent"),
    Route("feed", "/feeds/datasets", f"{P}.history:feed", ("atom",), page=False),
    Route("agency-feed", "/feeds/agencies/{agency_id:id}", f"{P}.history:feed", ("atom",),
          page=False),
    Route("agencies", "/agencies", f"{P}.agencies:agencies"),
    Route("agency", "/agencies/{agency_id:id}", f"{P}.agencies:agency"),
    Route("standards", "/standards", f"{P}.standards:standards"),
    Route("standard", "/standards/{standard_id:id}", f"{P}.standards:standard"),
    Route("staff-today", "/staff", f"{STAFF_PAGES}:today", audience=STAFF),
    Route("staff-problems", "/staff/problems", f"{STAFF_PAGES}:problems", audience=STAFF),
    Route("staff-inventory-csv", "/staff/datasets", f"{STAFF_PAGES}:inventory_csv", ("csv",),
          audience=STAFF),
    Route("staff-inventory", "/staff/datasets", f"{STAFF_PAGES}:inventory", audience=STAFF),
    Route("staff-queries", "/staff/queries", f"{STAFF_PAGES}:queries", audience=STAFF),
    Route("staff-query-csv", "/staff/queries/{name:word}", f"{STAFF_PAGES}:query_csv",
          ("csv",), audience=STAFF),
    Route("staff-query", "/staff/queries/{name:word}", f"{STAFF_PAGES}:query", audience=STAFF),
    # the agreement register (plugins/catalog_agreements.py)
    Route("agreements-ics", "/agreements", f"{AGR}:ics", ("ics",), audience=STAFF,
          group="agreements", page=False),
    Route("agreements-due", "/agreements/due", f"{AGR}:due_view", audience=STAFF,
          group="agreements"),
    Route("agreements", "/agreements", f"{AGR}:register", group="agreements"),
    Route("agreement", "/agreements/{agreement_id:id}", f"{AGR}:agreement",
          group="agreements"),
    # governance (plugins/catalog_governance.py)
    Route("scorecards", "/scorecards", f"{GOV}:scorecards", audience=STAFF,
          group="governance"),
    Route("access-plans", "/access-plans", f"{GOV}:access_plans", group="governance"),
    Route("requests", "/requests", f"{GOV}:requests", audience=STAFF, group="governance"),
    Route("due", "/due", f"{GOV}:due", audience=STAFF, group="governance"),
    Route("progress", "/agencies/{agency_id:slug}/progress", f"{GOV}:progress",
          audience=STAFF, group="governance"),
    Route("progress-export", "/agencies/{agency_id:slug}/progress", f"{GOV}:progress_export",
          ("md", "csv"), audience=STAFF, group="governance", page=False),
    # open-data use (plugins/catalog_usage.py)
    Route("usage", "/usage", f"{USE}:usage_page", cache=LIVE, group="usage"),
    Route("usage-daily", "/usage/daily", f"{USE}:daily_data", ("csv", "json"), cache=LIVE,
          group="usage"),
    Route("use-cases", "/usage/use-cases", f"{USE}:use_cases", ("html", "json", "csv"),
          cache=LIVE, group="usage"),
    Route("download", "/-/download/{rest:rest}", f"{USE}:download", PLAIN, cache=LIVE,
          usage=DOWNLOAD, group="usage", page=False),
    Route("dataset-use-cases", "/datasets/{dataset_id:id}/use-cases",
          f"{FORM}:dataset_use_cases", cache=LIVE, group="usage"),
    Route("moderation", "/usage/moderation", f"{FORM}:moderation", audience=STAFF,
          cache=LIVE, group="usage"),
    # the exports at their conventional URLs (plugins/catalog_exports.py)
    Route("export", "/{filename:export}", f"{EXP}:serve_export", PLAIN, usage=EXPORT,
          group="exports", page=False),
    Route("dataset-package", "/datasets/{dataset_id:lower}/datapackage",
          f"{EXP}:serve_dataset_package", ("json",), usage=DATASET_EXPORT, group="exports",
          page=False),
    Route("dataset-rdf", "/datasets/{dataset_id:lower}", f"{EXP}:serve_dataset_rdf",
          DATASET_RDF, cache=LIVE, group="exports", page=False),
    Route("sitemap", "/sitemap", f"{EXP}:serve_sitemap", ("xml",), group="exports",
          page=False),
    Route("robots", "/robots", f"{EXP}:serve_robots", ("txt",), group="exports", page=False),
    # the server's own (plugins/catalog_health.py, catalog_security.py, catalog_access.py)
    Route("health", "/-/health", "catalog.site.health:health", PLAIN, cache=LIVE,
          group="health", page=False),
    Route("login", "/-/login", "catalog.site.signin:login", ("html",), cache=LIVE,
          group="security", page=False),
    Route("password-tool", "/-/password-tool", "catalog.site.signin:password_tool", ("html",),
          cache=LIVE, group="security", page=False),
    Route("datasette-debug", "/-/{name:threads|versions|plugins}",
          f"{DS}:datasette_view", audience=ADMIN, cache=LIVE, group="security",
          page=False),
    Route("databases", "/-/databases", f"{DS}:databases_json",
          ("data", "json"), cache=LIVE, group="access", page=False),
    Route("metadata", "/-/metadata", f"{DS}:metadata_json", cache=LIVE,
          group="access", page=False),
    Route("not-served", "/-/(?:patterns|messages|allow-debug)",
          f"{DS}:not_served", cache=LIVE, group="access", page=False),
])
