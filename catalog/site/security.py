"""What every request and response passes through (docs/security.md).

* Security headers on every response: a Content-Security-Policy (scripts only from the
  site itself, plus the hashes of Datasette's few fixed inline scripts), no framing,
  ``nosniff``, a referrer policy; HSTS over HTTPS.
* Request bodies capped before they are read (:data:`MAX_BODY`): a larger
  ``Content-Length`` is refused at once, a body that grows past it mid-stream too.
* Every POST carries the CSRF cookie: Datasette's CSRF check lets a POST without any
  cookie through (no session to abuse), which would leave sign-in open to login CSRF.
* Session cookies: ``HttpOnly`` and ``SameSite=Lax`` always, ``Secure`` over HTTPS.
* Ad-hoc SQL (``?sql=``, ``?_where=``) runs at most :data:`SQL_SLOTS` at a time; the
  others wait (without holding a thread) and are told to retry after
  :data:`SQL_WAIT_S`, so slow queries never take every SQL thread from the pages.

HTTPS and the client's address come from ASGI's ``scheme`` and ``client``; behind a
proxy, ``catalog serve`` lets uvicorn take them from ``X-Forwarded-*`` only when the
proxy's address is listed in ``CATALOG_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..settings import value

MAX_BODY = 64 * 1024  # every form of the site fits in a few kilobytes
SQL_SLOTS = 2
SQL_WAIT_S = 5.0
SESSION_COOKIES = (b"ds_actor",)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


@lru_cache(maxsize=1)
def inline_script_hashes() -> tuple[str, ...]:
    """CSP hashes of the inline scripts in Datasette's templates that have a fixed text
    (the menu closer, the SQL editor's set-up, the facet flag in its two values)."""
    import datasette

    folder = Path(datasette.__file__).parent / "templates"
    found: set[str] = set()
    for template in sorted(folder.glob("*.html")):
        for body in re.findall(r"<script>(.*?)</script>", template.read_text("utf-8"),
                               flags=re.S):
            variants = [body]
            if "{{ datasette_allow_facet }}" in body:
                variants = [body.replace("{{ datasette_allow_facet }}", v)
                            for v in ("true", "false")]
            for text in variants:
                if "{{" in text or "{%" in text:
                    continue  # rendered per page: not allowed (the page works without)
                digest = hashlib.sha256(text.encode("utf-8")).digest()
                found.add("'sha256-" + base64.b64encode(digest).decode() + "'")
    return tuple(sorted(found))


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    return "; ".join([
        "default-src 'none'",
        "script-src 'self' " + " ".join(inline_script_hashes()),
        # Datasette's own templates colour headings with style attributes; CSS runs no code
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def harden_cookie(value: bytes, https: bool) -> bytes:
    """A Set-Cookie value with the attributes a session cookie needs."""
    name = value.split(b"=", 1)[0].strip()
    attrs = {a.strip().split(b"=")[0].lower() for a in value.split(b";")[1:]}
    if name in SESSION_COOKIES and b"httponly" not in attrs:
        value += b"; HttpOnly"
    if b"samesite" not in attrs:
        value += b"; SameSite=Lax"
    if https and b"secure" not in attrs:
        value += b"; Secure"
    return value


async def _reply(send: Send, status: int, message: str, json_wanted: bool,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    if json_wanted:
        body = json.dumps({"ok": False, "status": status, "error": message}).encode()
        kind = b"application/json; charset=utf-8"
    else:
        from markupsafe import escape

        body = (f"<!DOCTYPE html><html lang=\"en\"><title>{status}</title>"
                f"<h1>{status}</h1><p>{escape(message)}</p></html>").encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"cache-control", b"private, no-store"),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise BodyTooLarge  # the client went away
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _is_sql(scope: Scope) -> bool:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return bool(query.get("sql") or query.get("_where"))


class Guard:
    """The ASGI layer around the whole site (outside Datasette's CSRF check)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.sql_slots = asyncio.Semaphore(SQL_SLOTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        extra = security_headers(https)

        async def guarded_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, harden_cookie(v, https) if k.lower() == b"set-cookie" else v)
                           for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        wants_json = scope.get("path", "").endswith(".json")
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
            try:
                length = int(headers.get(b"content-length", b"0") or 0)
            except ValueError:
                length = MAX_BODY + 1
            if length > MAX_BODY:
                await _reply(guarded_send, 413, f"Request body too large (over "
                             f"{MAX_BODY // 1024} KB).", wants_json)
                return
            if not headers.get(b"cookie"):
                await _reply(guarded_send, 403, "This form needs the page's security cookie: "
                             "load the form again, with cookies allowed, then send it.",
                             wants_json)
                return
            try:
                body = await read_body(receive, MAX_BODY)
            except BodyTooLarge:
                await _reply(guarded_send, 413, f"Request body too large (over "
                             f"{MAX_BODY // 1024} KB).", wants_json)
                return
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, guarded_send)
            return
        if _is_sql(scope):
            try:
                await asyncio.wait_for(self.sql_slots.acquire(), SQL_WAIT_S)
            except asyncio.TimeoutError:
                await _reply(guarded_send, 503, "Too many SQL queries are running; try "
                             f"again in {SQL_WAIT_S:.0f} seconds.", wants_json,
                             [(b"retry-after", str(int(SQL_WAIT_S)).encode())])
                return
            try:
                await self.app(scope, receive, guarded_send)
            finally:
                self.sql_slots.release()
            return
        await self.app(scope, receive, guarded_send)


def proxy_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment uvicorn reads: ``X-Forwarded-For`` and ``X-Forwarded-Proto``
    trusted only from the proxies in ``CATALOG_TRUSTED_PROXIES`` (addresses or networks,
    comma-separated; none by default: uvicorn would trust 127.0.0.1)."""
    return {"FORWARDED_ALLOW_IPS": value("CATALOG_TRUSTED_PROXIES", environ)}
