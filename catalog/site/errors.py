"""Error responses without Datasette's default console dump.

Datasette 0.65 prints every exception (404s and 403s included) with ``rich`` and
``show_locals=True`` when rich is installed: slow, noisy, and it writes request headers
(cookies) into the server log. This renders the same error pages; only unexpected
errors are logged, as a plain traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

log = logging.getLogger("catalog.site")


async def render_error(datasette: Any, request: Any, exception: BaseException) -> Response:
    title = None
    if isinstance(exception, Base400):
        status, info, message = exception.status, {}, exception.args[0]
    elif isinstance(exception, DatasetteError):
        status, info, message = exception.status, dict(exception.error_dict), exception.message
        if exception.message_is_html:
            message = Markup(message)
        title = exception.title
    else:
        log.error("error serving %s", request.path, exc_info=exception)
        status, info, message = 500, {}, "Internal error"
    info.update({"ok": False, "error": message, "status": status, "title": title})
    if request.path.split("?")[0].endswith(".json"):
        return Response.json(info, status=status)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    html = await template.render_async(dict(
        info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
        menu_links=lambda: []))
    return Response.html(html, status=status)
