"""Hardening of the site (docs/security.md; logic in catalog.site.sqlguard, .security,
.signin):

* every connection to the catalog's databases bounded (limits, authorizer, result cap);
* headers, body caps, CSRF on every POST, session cookies, SQL slots (an ASGI layer);
* staff sign-in throttled and hashed off the event loop; the password tool for admins;
* routes: /-/login, /-/password-tool, and /-/threads, /-/versions and /-/plugins for
  admins only (catalog.site.routes, catalog.site.introspection);
* SSO refuses to start without a strong proxy secret.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site import access, security, sqlguard
from catalog.site.routes import ROUTES

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


@hookimpl(tryfirst=True)  # before datasette-auth-passwords' views of the same paths
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("security")
