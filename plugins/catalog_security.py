"""Hardening of the site (docs/security.md; logic in catalog.site.sqlguard, .security,
.signin):

* every connection to the catalog's databases bounded (limits, authorizer, result cap);
* headers, body caps, CSRF on every POST, session cookies, SQL slots (an ASGI layer);
* staff sign-in throttled and hashed off the event loop; the password tool for admins;
* no internals: /-/threads, /-/versions and /-/plugins are for admins only;
* SSO refuses to start without a strong proxy secret.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound

from catalog.site import access, security, signin, sqlguard

GUARDED = (access.PUBLIC_DB, access.PRIVATE_DB)


@hookimpl
def startup(datasette: Any) -> None:
    problem = access.sso_problem()
    if problem:
        raise RuntimeError(problem)


@hookimpl
def prepare_connection(conn: Any, database: str) -> None:
    if database in GUARDED:
        sqlguard.guard(conn)


@hookimpl(trylast=True)  # outermost: around every other layer
def asgi_wrapper(datasette: Any) -> Any:
    return security.Guard


def _admin_only(view: Any) -> Any:
    async def inner(request: Any, datasette: Any) -> Any:
        if not access.is_admin(request.actor):
            raise NotFound("Page not found")
        return await view(request, datasette)
    return inner


async def _datasette_view(request: Any, datasette: Any) -> Any:
    """Datasette's own introspection page (threads, versions, plugins), for admins."""
    from datasette.views.special import JsonDataView

    name = request.url_vars["name"]
    data = {"threads": datasette._threads, "versions": datasette._versions,
            "plugins": datasette._plugins}[name]
    view = JsonDataView.as_view(datasette, f"{name}.json", data,
                                needs_request=name == "plugins")
    return await view(request, None)


@hookimpl(tryfirst=True)  # before datasette-auth-passwords' views of the same paths
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/login$", signin.login),
        (r"^/-/password-tool$", signin.password_tool),
        (r"^/-/(?P<name>threads|versions|plugins)(\.(?P<format>json))?$",
         _admin_only(_datasette_view)),
    ]
