"""What every catalog page shares: the database the actor may read, labels, and the
:class:`Page` a loader returns (its data is both the JSON body and the template context).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from ... import csvsafe
from ...dbapi import sqlite3
from ..access import PUBLIC_DB, database_for, is_staff
from ..caching import PRIVATE, build_tag

Row = dict[str, Any]
STAFF_ONLY = {"Cache-Control": PRIVATE}  # never shared by a cache
T = TypeVar("T")

ACCESS_LEVELS: dict[str, str] = {
    "public": "Public",
    "restricted public": "Restricted public",
    "non-public": "Non-public",
}
ACCESS_HELP: dict[str, str] = {
    "public": "Anyone may download and use the data.",
    "restricted public": "Available under conditions (for example on request or with a "
                         "use agreement).",
    "non-public": "Not released; used by the agency and shared only as the law allows.",
}
VISIBILITY: dict[str, str] = {
    "public": "whole record public",
    "listed": "listed: the public sees the summary only",
    "hidden": "hidden: staff only",
}


class NotFoundError(LookupError):
    """The record is not in the database the actor may read."""


MAX_PAGE = 1_000_000


def page_number(value: str | None) -> int:
    """A ``page`` parameter: 1 unless a positive whole number; past :data:`MAX_PAGE` no
    page exists (a 404, never an integer too large for SQLite)."""
    try:
        page = max(1, int(value or 1))
    except ValueError:
        return 1
    if page > MAX_PAGE:
        raise NotFoundError(f"there is no page {value}")
    return page


@dataclass
class Table:
    """A page's CSV: a file name, the columns, their titles (the header) and the rows."""

    filename: str
    columns: list[str]
    header: list[str]
    rows: list[Row]
    disposition: str = "attachment"

    def text(self) -> str:
        """Spreadsheet-safe CSV (catalog.csvsafe)."""
        out = io.StringIO()
        writer = csvsafe.Writer(out)
        writer.writerow(self.header)
        writer.writerows([row.get(c) for c in self.columns] for row in self.rows)
        return out.getvalue()


@dataclass
class Page:
    """A loader's answer, in every format of its route (catalog.site.pages.view):
    ``data`` is the JSON body (and, when a mapping, the template's context); ``extra``
    is for the HTML only; ``table`` is the CSV; ``headers`` go with the JSON and CSV
    (open data's CORS and cache policy); ``status`` with every format."""

    template: str
    title: str
    data: Any
    extra: dict[str, Any] = field(default_factory=dict)
    table: Table | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


def csv_page(table: Table, headers: dict[str, str] | None = None) -> Page:
    """A page that is only a CSV file."""
    return Page("", table.filename, None, table=table, headers=headers or {})


class Reader:
    """Reads the one catalog database the actor may see: ``inventory`` for staff,
    ``public`` for everyone else. Pages query through this and nothing else, so a
    public page cannot read inventory.db (privacy by construction)."""

    def __init__(self, datasette: Any, actor: Any, *, today: dt.date | None = None) -> None:
        self.name = database_for(actor)
        self.actor = actor
        self.staff = is_staff(actor)
        self.today = today or dt.date.today()
        self._db = datasette.get_database(self.name)
        self._datasette = datasette

    @property
    def public_path(self) -> Path:
        """public.db, for what a page embeds from the public exports (schema.org)."""
        return Path(self._datasette.get_database(PUBLIC_DB).path)

    @property
    def datasette(self) -> Any:
        return self._datasette

    @property
    def build_dir(self) -> Path:
        """The build folder this database was served from (catalog.status)."""
        from ...status import build_dir_for

        return build_dir_for(self._db.path)

    @property
    def build(self) -> str:
        """The source hash of the build this database comes from."""
        return build_tag(self._db.path)

    async def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        result = await self._db.execute(sql, params or {})
        return [dict(r) for r in result.rows]

    async def row(self, sql: str, params: dict[str, Any] | None = None) -> Row | None:
        rows = await self.rows(sql, params)
        return rows[0] if rows else None

    async def value(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        row = await self.row(sql, params)
        return next(iter(row.values())) if row else None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` on the actor's database, in Datasette's SQL thread."""
        return await self._db.execute_fn(fn)  # type: ignore[no-any-return]


def access_label(level: str | None) -> str:
    return ACCESS_LEVELS.get(level or "", level or "Not stated")


def slug(text: str | None) -> str:
    return "".join(c if c.isalnum() else "-" for c in (text or "").lower()).strip("-")


def mailto(address: str, subject: str, body: str = "") -> str:
    query = {"subject": subject, **({"body": body} if body else {})}
    return f"mailto:{quote(address, safe='@')}?" + urlencode(query, quote_via=quote)


def split_list(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def iso(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
