"""Who may see what. Roles: anonymous (the public), ``staff`` and ``admin``.

* anonymous actors read ``public.db`` only; every permission on ``inventory.db`` is
  denied to them (the ``allow`` block in metadata.yml says the same: defence in depth);
* ``/-/databases.json`` and ``/-/metadata.json`` are answered by the catalog, filtered
  for the actor, instead of Datasette's own views (which list every database and return
  the whole metadata file to anyone);
* an SSO proxy may set the identity in a header (off unless ``CATALOG_SSO_HEADER`` is
  set). The proxy must also send ``CATALOG_SSO_SECRET`` (at least
  :data:`MIN_SSO_SECRET` characters) in ``X-Catalog-Proxy-Secret``, so a client cannot
  forge the identity header: without a strong secret the site refuses to start, and
  the header is ignored.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from typing import Any

PUBLIC_DB = "public"
PRIVATE_DB = "inventory"
STAFF_ROLES = frozenset({"staff", "admin"})
PRIVATE_ACTIONS = frozenset({
    "view-database", "view-database-download", "view-table", "view-query", "execute-sql",
    "insert-row", "delete-row", "update-row", "create-table", "drop-table",
})
SECRET_HEADER = "x-catalog-proxy-secret"
MIN_SSO_SECRET = 32

Actor = dict[str, Any] | None


def roles(actor: Actor) -> set[str]:
    if not actor:
        return set()
    value = actor.get("roles") or []
    return {str(r) for r in value} if isinstance(value, (list, tuple)) else {str(value)}


def is_staff(actor: Actor) -> bool:
    return bool(roles(actor) & STAFF_ROLES)


def is_admin(actor: Actor) -> bool:
    return "admin" in roles(actor)


def database_for(actor: Actor) -> str:
    """The database an actor's catalog pages read: the whole inventory for staff."""
    return PRIVATE_DB if is_staff(actor) else PUBLIC_DB


def resource_database(resource: Any) -> str | None:
    if isinstance(resource, str):
        return resource
    if isinstance(resource, (tuple, list)) and resource:
        return str(resource[0])
    return None


def permission(actor: Actor, action: str, resource: Any) -> bool | None:
    """False for anything on the private database unless staff; None = no opinion."""
    if action in PRIVATE_ACTIONS and resource_database(resource) == PRIVATE_DB:
        return None if is_staff(actor) else False
    return None


def identity_headers(environ: dict[str, str] | None = None) -> tuple[bytes, ...]:
    """Request headers that may name who is asking (lower case): a response to a request
    carrying any of them may be personal and is never cached for others."""
    env = os.environ if environ is None else environ
    sso = env.get("CATALOG_SSO_HEADER", "").strip().lower()
    return (b"cookie", b"authorization") + ((sso.encode("latin-1"),) if sso else ())


def sso_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the SSO configuration is unsafe (None when SSO is off or safe)."""
    env = os.environ if environ is None else environ
    if not env.get("CATALOG_SSO_HEADER", "").strip():
        return None
    if len(env.get("CATALOG_SSO_SECRET", "")) < MIN_SSO_SECRET:
        return (f"CATALOG_SSO_HEADER is set but CATALOG_SSO_SECRET is missing or shorter "
                f"than {MIN_SSO_SECRET} characters: any client could send the identity "
                "header and be staff. Set a random secret (e.g. `openssl rand -hex 32`) "
                f"that the proxy sends in {SECRET_HEADER}, or unset CATALOG_SSO_HEADER.")
    return None


def actor_from_headers(headers: dict[str, str], environ: dict[str, str] | None = None) -> Actor:
    """An actor from an SSO proxy's headers, when that mode is configured safely."""
    env = os.environ if environ is None else environ
    header = env.get("CATALOG_SSO_HEADER", "").lower()
    if not header or sso_problem(env):
        return None
    secret = env.get("CATALOG_SSO_SECRET", "")
    if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode(), secret.encode()):
        return None
    user = headers.get(header, "").strip()
    if not user:
        return None
    roles_header = env.get("CATALOG_SSO_ROLES_HEADER", "").lower()
    granted = {"staff"}
    if roles_header:
        asked = {r.strip() for r in headers.get(roles_header, "").split(",") if r.strip()}
        granted = (asked & STAFF_ROLES) or {"staff"}
    return {"id": user, "name": user, "roles": sorted(granted), "via": "sso"}


def filter_metadata(metadata: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Metadata safe to show: never plugin configuration; the private database only to
    staff."""
    out = {k: v for k, v in metadata.items() if k not in ("plugins",)}
    databases = dict(out.get("databases") or {})
    if not is_staff(actor):
        databases.pop(PRIVATE_DB, None)
    for name, db in list(databases.items()):
        databases[name] = {k: v for k, v in db.items() if k != "plugins"}
    out["databases"] = databases
    return out
