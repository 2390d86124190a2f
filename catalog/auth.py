"""Staff sign-in for the embedded default (datasette-auth-passwords).

Password hashes and the cookie-signing secret come from the environment
(``CATALOG_ADMIN_PASSWORD_HASH``, ``CATALOG_STAFF_PASSWORD_HASH``, ``DATASETTE_SECRET``)
or, for a local install, from ``catalog-auth.yml`` in the project root — a file that is
never committed (.gitignore) and must be readable by its owner only (it is refused
otherwise). Setting a password rotates the cookie-signing secret: every signed-in
session ends (docs/security.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml

from .problems import CatalogError

AUTH_FILE = "catalog-auth.yml"
USERS = ("admin", "staff")
ENV = {"admin": "CATALOG_ADMIN_PASSWORD_HASH", "staff": "CATALOG_STAFF_PASSWORD_HASH"}


def hash_password(password: str) -> str:
    from datasette_auth_passwords.utils import hash_password as _hash

    return str(_hash(password))


MIN_PASSWORD = 12
MIN_DISTINCT = 5


def password_problem(user: str, password: str) -> str | None:
    """Why a password is too weak for staff sign-in (None when it is strong enough)."""
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if len(set(password)) < MIN_DISTINCT:
        return f"the password must use at least {MIN_DISTINCT} different characters"
    lowered = password.lower()
    if user in lowered or "password" in lowered or lowered in ("correcthorse",):
        return "the password must not contain the user name or the word 'password'"
    return None


def _read(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise CatalogError(f"{path.name} holds the cookie-signing secret but is readable "
                           f"by others (mode {mode:o}); refused",
                           hint=f"chmod 600 {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items() if v}


def _write(path: Path, data: dict[str, str]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # several servers may start at once
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Local staff sign-in for `catalog serve`. Never commit this file.\n")
        yaml.safe_dump(data, fh, sort_keys=True)
    os.replace(tmp, path)


def set_password(root: Path, user: str, password: str) -> Path:
    path = root / AUTH_FILE
    data = _read(path)
    data[f"{user}_password_hash"] = hash_password(password)
    data["secret"] = secrets.token_hex(32)  # a new password ends every session
    _write(path, data)
    return path


def signin_banner(url: str, user: str, password: str) -> str:
    """What a first start prints, set apart from the server's log lines."""
    rule = "=" * 72
    return "\n".join([
        "", rule,
        "  First start: a staff account was created. Sign in at",
        f"      {url}",
        f"  User name:  {user}",
        f"  Password:   {password}",
        f"  Shown this once: only its hash is kept ({AUTH_FILE}).",
        f"  Change it with `catalog passwd {user}`.",
        rule, ""])


def environment(root: Path, environ: dict[str, str] | None = None, *,
                signin_url: str = "/-/login") -> tuple[dict[str, str], str]:
    """Variables the Datasette process needs, and a notice for the person starting it.

    The environment wins over the file. On a first local start with no account at all,
    an admin password is generated, its hash stored in catalog-auth.yml, and the
    password shown once in the notice (:func:`signin_banner`, with ``signin_url``).
    """
    from .settings import value

    path = root / AUTH_FILE
    data = _read(path)
    notice = ""
    configured = any(value(ENV[u], environ) or data.get(f"{u}_password_hash") for u in USERS)
    if not configured:
        password = secrets.token_urlsafe(12)
        set_password(root, "admin", password)
        data = _read(path)
        notice = signin_banner(signin_url, "admin", password)
    out: dict[str, str] = {}
    for user in USERS:
        found = value(ENV[user], environ) or data.get(f"{user}_password_hash")
        if found:
            out[ENV[user]] = found
    secret = value("DATASETTE_SECRET", environ) or data.get("secret")
    if not secret:
        secret = secrets.token_hex(32)
        merged = {**data, "secret": secret}
        _write(path, merged)
    out["DATASETTE_SECRET"] = secret
    return out, notice
