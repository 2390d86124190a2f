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

import functools
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..settings import value

# Datasette's names of the two databases (the files are catalog.compile.PUBLIC_FILE and
# INVENTORY_FILE)
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


@dataclass(frozen=True)
class Sso:
    """The single sign-on settings (``CATALOG_SSO_*``, :mod:`catalog.settings`); header
    names in lower case, ``header`` empty when SSO is off."""

    header: str
    secret: str
    roles_header: str

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> "Sso":
        return cls(value("CATALOG_SSO_HEADER", environ).lower(),
                   value("CATALOG_SSO_SECRET", environ),
                   value("CATALOG_SSO_ROLES_HEADER", environ).lower())

    @property
    def problem(self) -> str | None:
        """Why the configuration is unsafe (None when SSO is off or safe)."""
        if self.header and len(self.secret) < MIN_SSO_SECRET:
            return (f"CATALOG_SSO_HEADER is set but CATALOG_SSO_SECRET is missing or "
                    f"shorter than {MIN_SSO_SECRET} characters: any client could send the "
                    "identity header and be staff. Set a random secret (e.g. `openssl rand "
                    f"-hex 32`) that the proxy sends in {SECRET_HEADER}, or unset "
                    "CATALOG_SSO_HEADER.")
        return None


@functools.cache
def _process_sso() -> Sso:
    """This process's SSO settings, read from its environment once."""
    return Sso.read()


def sso(environ: Mapping[str, str] | None = None) -> Sso:
    """The SSO settings of ``environ``, else this process's (read once)."""
    return _process_sso() if environ is None else Sso.read(environ)


def identity_headers(environ: Mapping[str, str] | None = None) -> tuple[bytes, ...]:
    """Request headers that may name who is asking (lower case): a response to a request
    carrying any of them may be personal and is never cached for others."""
    header = sso(environ).header
    return (b"cookie", b"authorization") + ((header.encode("latin-1"),) if header else ())


def sso_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the SSO configuration is unsafe (None when SSO is off or safe)."""
    return sso(environ).problem


def actor_from_headers(headers: Mapping[str, str], environ: Mapping[str, str] | None = None
                       ) -> Actor:
    """An actor from an SSO proxy's headers, when that mode is configured safely."""
    config = sso(environ)
    if not config.header or config.problem:
        return None
    if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode(),
                               config.secret.encode()):
        return None
    user = headers.get(config.header, "").strip()
    if not user:
        return None
    granted = {"staff"}
    if config.roles_header:
        asked = {r.strip() for r in headers.get(config.roles_header, "").split(",")
                 if r.strip()}
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
