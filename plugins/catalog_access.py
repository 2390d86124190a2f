"""Access control for the catalog site (logic: catalog.site.access).

* every permission on inventory.db is denied to anyone who is not staff;
* routes: /-/databases(.json) and /-/metadata(.json) (catalog.site.introspection);
* optional SSO: identity from a trusted proxy's header.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from catalog.site import access
from catalog.site.menu import staff_menu
from catalog.site.routes import ROUTES


@hookimpl
def permission_allowed(actor: Any, action: str, resource: Any) -> bool | None:
    return access.permission(actor, action, resource)


@hookimpl
def actor_from_request(request: Any) -> Any:
    return access.actor_from_headers({k.lower(): v for k, v in request.headers.items()})


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("access")


@hookimpl
def extra_template_vars(request: Any) -> dict[str, Any]:
    actor = request.actor if request else None
    return {"catalog_staff_menu": staff_menu(actor)}


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    from catalog.site.errors import render_error

    async def inner() -> Response:
        return await render_error(datasette, request, exception)
    return inner


@hookimpl
def forbidden(datasette: Any, request: Any, message: str) -> Any:
    """Datasette's 403 (a database or table the actor may not see) as the site's page,
    with a sign-in link that comes back here."""
    async def inner() -> Response:
        html = await datasette.render_template(
            "error.html", {"ok": False, "status": 403, "error": message, "title": None},
            request=request)
        return Response.html(html, status=403)
    return inner
