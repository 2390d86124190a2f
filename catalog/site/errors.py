"""Error responses without Datasette's default console dump.

Datasette 0.65 prints every exception (404s and 403s included) with ``rich`` and
``show_locals=True`` when rich is installed: slow, noisy, and it writes request headers
(cookies) into the server log. This renders the same error pages; only unexpected
errors are logged, as a plain traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import datasette.handle_exception as _default_handler
from datasette.utils.asgi import Base400, NotFound, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

from catalog.dbapi import sqlite3

log = logging.getLogger("catalog.site")

# Datasette awaits every handle_exception hook, its own too, even after ours answered:
# its rich dump then fails outside an ``except`` block (a 404 of an unknown URL such as
# /a/b/c/d became a 500). The catalog logs errors itself.
_default_handler.rich = None


async def render_error(datasette: Any, request: Any, exception: BaseException, *,
                       as_json: bool | None = None) -> Response:
    """The error page, or Datasette's error JSON for a ``.json`` URL (or ``as_json``)."""
    title = None
    info: dict[str, Any]
    if isinstance(exception, Base400):
        status, info, message = exception.status, {}, exception.args[0]
    elif isinstance(exception, OverflowError):  # a number or date out of any range
        status, info, message = 404, {}, "Not found: a parameter is out of range"
    elif isinstance(exception, sqlite3.DatabaseError):  # a query refused by its bounds
        status, info, message = 400, {}, f"Query failed: {exception}"
    elif isinstance(exception, MemoryError):  # SQLite's heap ceiling (docs/security.md)
        status, info, message = 503, {}, "The query needed too much memory; simplify it"
    elif isinstance(exception, DatasetteError):
        status, info, message = exception.status, dict(exception.error_dict), exception.message
        if exception.message_is_html:
            message = Markup(message)
        title = exception.title
    else:
        log.error("error serving %s", request.path, exc_info=exception)
        status, info, message = 500, {}, "Internal error"
    info.update({"ok": False, "error": message, "status": status, "title": title})
    if request.path.split("?")[0].endswith(".json") if as_json is None else as_json:
        return Response.json(info, status=status)
    html = await datasette.render_template([f"{status}.html", "error.html"], info,
                                           request=request)
    return Response.html(html, status=status)


async def not_found(datasette: Any, request: Any, message: str, *,
                    as_json: bool | None = None) -> Response:
    """The one 404 of the catalog's routes: a record the actor may not see is simply not
    there (no traceback in the server log)."""
    return await render_error(datasette, request, NotFound(message), as_json=as_json)
