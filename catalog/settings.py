"""The catalog's settings: one table of every environment variable it reads.

Each :class:`Setting` has its variable's name, its default (what an unset or empty
variable means) and a line of help; ``docs/settings.md`` documents every one (a test
keeps the two, and every ``CATALOG_`` name in the code, in step). Code reads a setting
with :func:`value`, from ``os.environ`` or the environment it is given (a site's, when
``catalog serve`` adds the password hashes of ``catalog-auth.yml``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    secret: bool = False  # never printed, never in git


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    # staff sign-in (docs/security.md)
    Setting("DATASETTE_SECRET", "",
            "signs cookies and CSRF tokens; the same on every replica (default: the one "
            "kept in catalog-auth.yml)", secret=True),
    Setting("CATALOG_ADMIN_PASSWORD_HASH", "",
            "the admin account's password hash (`catalog passwd` prints it)", secret=True),
    Setting("CATALOG_STAFF_PASSWORD_HASH", "",
            "the staff account's password hash (`catalog passwd` prints it)", secret=True),
    Setting("CATALOG_SIGNIN_CLIENT_LIMIT", "10/5 minutes",
            "sign-in attempts allowed per client (`limits` notation)"),
    Setting("CATALOG_SIGNIN_ACCOUNT_LIMIT", "20/15 minutes",
            "sign-in attempts allowed per account (`limits` notation)"),
    Setting("CATALOG_SSO_HEADER", "",
            "the request header a single sign-on proxy names the user in (off when empty)"),
    Setting("CATALOG_SSO_SECRET", "",
            "the secret the proxy sends with it (at least 32 characters)", secret=True),
    Setting("CATALOG_SSO_ROLES_HEADER", "",
            "the header the proxy lists the user's roles in (default: every user is staff)"),
    Setting("CATALOG_TRUSTED_PROXIES", "",
            "addresses whose X-Forwarded-For and X-Forwarded-Proto are believed (none)"),
    # open-data use (docs/usage.md)
    Setting("CATALOG_USAGE_URL", "",
            "SQLAlchemy URL of the usage store (default: usage.db beside public.db)",
            secret=True),
    Setting("CATALOG_USAGE_TRACKING", "on", "`off` stops counting (pages and forms still work)"),
    Setting("CATALOG_USAGE_FLUSH_SECONDS", "10", "longest time counts wait in memory"),
    Setting("CATALOG_USAGE_FLUSH_EVENTS", "1000", "flush early once this many events wait"),
    Setting("CATALOG_USAGE_SUBMIT_LIMIT", "5/hour;20/day",
            "use-case submissions allowed per client (`limits` notation)"),
)}


def value(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The setting's value: the variable's, else its default when unset or blank."""
    setting = SETTINGS[name]
    env = os.environ if environ is None else environ
    return env.get(name, "").strip() or setting.default
