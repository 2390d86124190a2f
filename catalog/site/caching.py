"""HTTP caching for the public, and in-process caches keyed by the build.

The catalog does not change between builds: public.db is immutable while served, and
what an anonymous reader gets depends only on it, the code and templates, the metadata
file, the URL and (for access-plan states and agreement terms) today's date. So:

* :func:`http_cache` (an ASGI wrapper, ``plugins/catalog_cache.py``) gives anonymous
  ``GET`` responses of build-determined URLs ``Cache-Control: public, max-age=300,
  stale-while-revalidate=60`` and a weak ETag over (build, code, date, path, query),
  and answers a matching ``If-None-Match`` with 304 without running the page (URLs that
  negotiate HTML or RDF, catalog.site.negotiation, vary on ``Accept``). Requests
  that carry a cookie, credentials or an SSO identity, responses that set a cookie (a
  form's CSRF token), and every method but GET and HEAD are ``private, no-store``;
  live URLs keep what the view sends: the routes the route table marks live
  (catalog.site.routes: usage figures, use cases, the dataset page's use panel),
  Datasette's own ``/-/`` pages and arbitrary SQL.
* :class:`Lru` holds loaders' pages (``catalog.site.pages.view``) and rendered template
  fragments (:class:`FragmentCache`, the ``{% cache %}`` tag) for the public database;
  the keys start with the build's source hash, so a new build never meets an old entry.
* :func:`once` (single flight): concurrent requests that miss the same per-build value
  (a page, the search's facet index, an export) wait for one computation of it instead
  of each computing it (a fresh server under 32 readers answered nothing for seconds).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import inspect
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

from . import negotiation
from .access import PUBLIC_DB, identity_headers
from .routes import ROUTES

MAX_AGE = 300
PUBLIC = f"public, max-age={MAX_AGE}, stale-while-revalidate=60"
PRIVATE = "private, no-store"
# URLs of Datasette's own whose answer changes without a new build (the catalog's own
# live routes are marked so in the route table)
LIVE_PREFIXES = ("/-/",)
LIVE_PARAMS = frozenset({"sql"})  # arbitrary SQL may read the clock

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


# --- what a response depends on -------------------------------------------------------

@lru_cache(maxsize=8)
def _build_tag(db: str, stamp: tuple[int, int]) -> str:
    from ..compile import built_hash

    return built_hash(Path(db)) or f"{stamp[0]}-{stamp[1]}"


def build_tag(db: Path | str) -> str:
    """The source hash the database was built from (its file stamp if it has none)."""
    st = os.stat(db)
    return _build_tag(str(db), (st.st_mtime_ns, st.st_size))


def public_build(datasette: Any) -> str:
    return build_tag(datasette.get_database(PUBLIC_DB).path)


def code_tag(folders: Iterable[Path], *extra: str) -> str:
    """A digest of every file under ``folders`` (code, templates, static files) and of
    ``extra`` (metadata, settings, versions): what a deployment changes without a build."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    for text in extra:
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:16]


def site_code_tag(datasette: Any) -> str:
    import json

    import datasette as datasette_package

    from .config import site_files

    folders = [Path(__file__).resolve().parents[1], site_files()]  # the catalog, its plugins
    folders += [Path(p) for p in (datasette.plugins_dir, datasette.template_dir) if p]
    folders += [Path(p) for _, p in datasette.static_mounts]
    return code_tag(folders, datasette_package.__version__,
                    json.dumps(datasette.metadata(), sort_keys=True, default=str),
                    json.dumps(datasette.settings_dict(), sort_keys=True, default=str))


def is_live(path: str, query: str) -> bool:
    """Whether an anonymous answer at this URL can change without a new build."""
    if path.startswith(LIVE_PREFIXES) or ROUTES.is_live(path):
        return True
    return any(part.split("=", 1)[0] in LIVE_PARAMS for part in query.split("&"))


def etag(build: str, code: str, path: str, query: str) -> str:
    day = dt.date.today().isoformat()
    key = "\0".join((build, code, day, path, query)).encode()
    return f'W/"{hashlib.sha256(key).hexdigest()[:32]}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Weak comparison of ``tag`` with an If-None-Match list."""
    bare = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in if_none_match.split(","))


def anonymous(headers: Any) -> bool:
    """Whether a request (its headers, a mapping of lower-case names) carries nothing that
    may name who is asking: only such requests get validators and public caching."""
    return not any(headers.get(name.decode("latin-1")) for name in identity_headers())


def not_modified(headers: Any, tag: str, last_modified: str) -> bool:
    """Whether a conditional GET (its headers, a mapping of lower-case names) may be
    answered 304: ``If-None-Match`` names ``tag`` (or ``*``), or, without
    ``If-None-Match``, ``If-Modified-Since`` is no earlier than ``last_modified``."""
    from email.utils import parsedate_to_datetime

    condition = headers.get("if-none-match")
    if condition is not None:
        return condition.strip() == "*" or matches(condition, tag)
    since = headers.get("if-modified-since")
    if not since:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False


# --- the ASGI wrapper -----------------------------------------------------------------

def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _replace(headers: list[tuple[bytes, bytes]], name: bytes, value: str
             ) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() != name] + [(name, value.encode())]


def _vary(headers: list[tuple[bytes, bytes]], names: Iterable[bytes]
          ) -> list[tuple[bytes, bytes]]:
    present = [p.strip() for k, v in headers if k.lower() == b"vary" for p in v.split(b",")
               if p.strip()]
    lower = {p.lower() for p in present}
    present += [n for n in names if n.lower() not in lower]
    return _replace(headers, b"vary", b", ".join(present).decode("latin-1"))


def http_cache(app: ASGIApp, datasette: Any) -> ASGIApp:
    """Cache-Control, ETag and 304s (see the module's docstring) around ``app``."""
    code: list[str] = []  # computed at the first request, once

    async def cached_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD"):
            await app(scope, receive, _forcing(send, PRIVATE))
            return
        request_headers = scope.get("headers") or []
        identity = identity_headers()
        path = scope.get("path", "")
        query = bytes(scope.get("query_string") or b"").decode("latin-1")
        if any(_header(request_headers, name) for name in identity) or is_live(path, query):
            await app(scope, receive, send)
            return
        if not code:
            code.append(site_code_tag(datasette))
        accept = _header(request_headers, b"accept") or ""
        variant = negotiation.variant(path, accept)  # HTML or RDF at one URL
        tag = etag(public_build(datasette), code[0], path, query + variant)
        vary = [n.title() for n in identity] + ([b"Accept"] if variant else [])
        condition = _header(request_headers, b"if-none-match")
        if condition and matches(condition, tag):
            headers = _vary([(b"etag", tag.encode()), (b"cache-control", PUBLIC.encode())],
                            vary)
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_public(message: dict[str, Any]) -> None:
            # a view with validators of its own (the exports: a strong ETag of the bytes
            # sent) keeps them, and its own 304s are public too
            if message.get("type") == "http.response.start" \
                    and message.get("status") in (200, 304):
                headers = list(message.get("headers") or [])
                control = (_header(headers, b"cache-control") or "").lower()
                own = _header(headers, b"etag") is not None
                if _header(headers, b"set-cookie") is None and (
                        message.get("status") == 200 or own) \
                        and "private" not in control and "no-store" not in control:
                    headers = _replace(headers, b"cache-control", PUBLIC)
                    headers = _vary(headers if own else _replace(headers, b"etag", tag), vary)
                    message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_public)

    return cached_app


def _forcing(send: Any, control: str) -> Any:
    async def forced(message: dict[str, Any]) -> None:
        if message.get("type") == "http.response.start":
            headers = _replace(list(message.get("headers") or []), b"cache-control", control)
            message = {**message, "headers": headers}
        await send(message)
    return forced


# --- in-process caches ----------------------------------------------------------------

class Lru:
    """A small least-recently-used map (the event loop is its only user)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> Any:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


T = TypeVar("T")
_FLIGHTS: dict[Any, asyncio.Future[Any]] = {}


async def once(key: Any, make: Callable[[], Awaitable[T]]) -> T:
    """``await make()``, or, when another request is already computing ``key``, its
    result: one computation per key at a time, every waiter gets the same value (or the
    same exception). A waiter that goes away does not cancel it for the others."""
    future = _FLIGHTS.get(key)
    if future is None or future.get_loop() is not asyncio.get_running_loop():
        future = asyncio.ensure_future(make())
        _FLIGHTS[key] = future

        def done(f: asyncio.Future[Any], key: Any = key) -> None:
            if _FLIGHTS.get(key) is f:
                del _FLIGHTS[key]

        future.add_done_callback(done)
    return await asyncio.shield(future)  # type: ignore[no-any-return]


FRAGMENTS = Lru(512)


class FragmentCache(Extension):
    """``{% cache "name" %}...{% endcache %}``: the body rendered once per value of the
    context's ``catalog_cache`` key (set by the page view for public pages only; without
    it the body is rendered every time). Datasette's Jinja environment is async."""

    tags = {"cache"}

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        name = parser.parse_expression()
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_fragment", [nodes.ContextReference(), name])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    async def _fragment(self, context: Any, name: str, caller: Any) -> Markup:
        key = context.get("catalog_cache")
        if key:
            hit = FRAGMENTS.get((key, name))
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        body = caller()
        if inspect.isawaitable(body):
            body = await body
        html = Markup(body)
        return FRAGMENTS.put((key, name), html) if key else html
