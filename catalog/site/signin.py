"""Staff sign-in (``/-/login``) and the password tool, in place of
datasette-auth-passwords' own views (docs/security.md):

* sign-in attempts are throttled per client address and per account (moving windows of
  the ``limits`` library, :data:`CLIENT_LIMIT`, :data:`ACCOUNT_LIMIT`), with a clear
  message and ``Retry-After``;
* password hashing (PBKDF2) runs in a thread, one at a time, never on the event loop; an
  unknown user name costs the same hashing as a known one;
* a signed-in session expires (:data:`SESSION_S`); rotating the secret (``catalog passwd
  --revoke-sessions``) ends every session at once;
* ``/-/password-tool`` is for admins only;
* ``?next=`` (a path on this site, nothing else) is where a successful sign-in goes;
  without it, staff land on their home page, ``/staff``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from functools import lru_cache
from typing import Any

from datasette.utils.asgi import Response
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..settings import value
from . import access

# ``limits`` notation (catalog.settings: the defaults, and the environment's)
CLIENT_LIMIT = parse(value("CATALOG_SIGNIN_CLIENT_LIMIT"))
ACCOUNT_LIMIT = parse(value("CATALOG_SIGNIN_ACCOUNT_LIMIT"))
SESSION_S = 8 * 3600  # a working day
STAFF_HOME = "/staff"
_limiter = MovingWindowRateLimiter(MemoryStorage())
_hashing = asyncio.Semaphore(1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user name is unknown: a hash of a random password."""
    from datasette_auth_passwords.utils import hash_password

    return str(hash_password(secrets.token_urlsafe(16)))


def _verify(password: str, stored: str | None) -> bool:
    from datasette_auth_passwords.utils import verify_password

    return bool(verify_password(password, stored or _dummy_hash())) and stored is not None


def _client(request: Any) -> str:
    client = request.scope.get("client") or ("", 0)
    return str(client[0])


def _throttled(request: Any, username: str) -> int:
    """Count one attempt (before its password is checked, so that attempts sent at once
    count at once); seconds to wait when over a limit (0: go ahead)."""
    waits = []
    for limit, key in ((CLIENT_LIMIT, _client(request)), (ACCOUNT_LIMIT, username)):
        if not _limiter.hit(limit, "signin", key):
            reset, _ = _limiter.get_window_stats(limit, "signin", key)
            waits.append(max(1, int(reset - time.time()) + 1))
    return max(waits, default=0)


async def _off_loop(fn: Any, *args: Any) -> Any:
    async with _hashing:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def safe_next(value: Any) -> str | None:
    """``value`` when it is a path on this site (``/...``), else None: never another
    host (``//host``, ``/\\host``, ``https://…``), never a control character."""
    from urllib.parse import urlsplit

    text = str(value or "")
    if not text.startswith("/") or text.startswith(("//", "/\\")) or len(text) > 2000:
        return None
    if any(ord(c) < 32 or c in "\\" for c in text):
        return None
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return None
    return text


def session_cookie(datasette: Any, actor: dict[str, Any]) -> str:
    from datasette.utils import baseconv

    expires = baseconv.base62.encode(int(time.time()) + SESSION_S)
    return str(datasette.sign({"a": actor, "e": expires}, "actor"))


async def login(request: Any, datasette: Any) -> Response:
    config = datasette.plugin_config("datasette-auth-passwords") or {}
    accounts = {key.split("_password_hash")[0]: value for key, value in config.items()
                if key.endswith("_password_hash") and value}
    actors = config.get("actors") or {}
    error = None if accounts else "This instance does not have any configured accounts"
    status = 200
    headers: dict[str, str] = {}
    next_url = safe_next(request.args.get("next"))
    username = ""
    if request.method == "POST":
        form = await request.post_vars()
        next_url = safe_next(form.get("next"))
        username = str(form.get("username") or "")[:200]
        password = str(form.get("password") or "")[:1000]
        wait = _throttled(request, username)
        if wait:
            error = (f"Too many failed sign-ins. Try again in {wait} seconds "
                     f"({wait // 60 + 1} minutes at most).")
            status, headers = 429, {"Retry-After": str(wait)}
        else:
            ok = await _off_loop(_verify, password, accounts.get(username))
            if ok:
                actor = actors.get(username) or {"id": username}
                target = next_url or (STAFF_HOME if access.is_staff(actor) else "/")
                response = Response.redirect(datasette.urls.path(target))
                response.set_cookie("ds_actor", session_cookie(datasette, actor),
                                    max_age=SESSION_S, httponly=True, samesite="lax",
                                    secure=request.scheme == "https")
                return response
            error, status = "Invalid username or password", 401
    html = await datasette.render_template(
        "catalog_signin.html", {"error": error, "next_url": next_url, "username": username,
                                "catalog_main": True}, request=request)
    return Response.html(html, status=status, headers=headers)


async def password_tool(request: Any, datasette: Any) -> Response:
    from datasette.utils.asgi import NotFound
    from datasette_auth_passwords.utils import hash_password

    if not access.is_admin(request.actor):
        raise NotFound("Page not found")
    hashed = None
    if request.method == "POST":
        password = str((await request.post_vars()).get("password") or "")[:1000]
        if password:
            hashed = await _off_loop(hash_password, password)
    html = await datasette.render_template(
        "catalog_password_tool.html", {"hashed_password": hashed, "catalog_main": True},
        request=request)
    return Response.html(html)
