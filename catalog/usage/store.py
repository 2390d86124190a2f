"""The usage store: daily counts and use cases, over any SQLAlchemy URL.

The default is an embedded SQLite file beside the build (``usage.db``), opened in WAL
mode so that readers never block the flusher and a killed process leaves a consistent
file; a deployment with several servers points ``CATALOG_USAGE_URL`` at PostgreSQL.
Counts are added with ``INSERT ... ON CONFLICT DO UPDATE`` (both dialects), so several
processes flushing into one store add up instead of overwriting each other.

The store is never attached to Datasette: ``use_cases`` holds submitters' e-mail
addresses. What is public goes out through the usage routes (aggregates, approved use
cases without e-mail).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Optional

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from ..problems import CatalogError

SCHEMA_VERSION = "1"
CATALOG_WIDE = "*"
CHANNELS = ("page", "json", "csv", "sql", "search", "export", "download", "api")
AUDIENCES = ("human", "bot")
SOURCES = ("catalog", "portal")
STATUSES = ("pending", "approved", "rejected")


class UsageModel(SQLModel, registry=registry()):
    """Base of the usage tables: their own metadata, apart from the catalog's."""


class DailyCount(UsageModel, table=True):
    __tablename__ = "usage_daily"
    day: dt.date = Field(primary_key=True)
    dataset_id: str = Field(primary_key=True, max_length=200)
    channel: str = Field(primary_key=True, max_length=16)
    audience: str = Field(primary_key=True, max_length=8)
    source: str = Field(primary_key=True, max_length=16)
    hits: int = 0
    visitors: int = 0


class UseCase(UsageModel, table=True):
    __tablename__ = "use_cases"
    id: Optional[int] = Field(default=None, primary_key=True)
    dataset_id: str = Field(index=True, max_length=200)
    title: str
    description: str
    link: Optional[str] = None
    organisation: Optional[str] = None
    email: Optional[str] = None  # never published
    status: str = Field(default="pending", index=True, max_length=16)
    submitted_at: dt.datetime
    decided_at: Optional[dt.datetime] = None
    decided_by: Optional[str] = None


class StoreMeta(UsageModel, table=True):
    __tablename__ = "usage_meta"
    key: str = Field(primary_key=True)
    value: str


class Key(NamedTuple):
    """One counter: a dataset (or ``*``), a channel and an audience on one day."""

    day: dt.date
    dataset_id: str
    channel: str
    audience: str


class Tally(NamedTuple):
    hits: int
    visitors: int = 0


COUNTS = DailyCount.__table__  # type: ignore[attr-defined]
USE_CASES = UseCase.__table__  # type: ignore[attr-defined]
PUBLIC_USE_CASE_COLUMNS = ("id", "dataset_id", "title", "description", "link",
                           "organisation", "submitted_at", "decided_at")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _insert(engine: Engine) -> Any:
    name = engine.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    raise CatalogError(f"the usage store does not support {name}",
                       hint="use sqlite:///… or postgresql://…")


class Store:
    """The usage store at ``url``; tables are created on first open."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise CatalogError(f"the usage store does not support {parsed.get_backend_name()}",
                               hint="use sqlite:///… or postgresql://…")
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "",
                                                                             ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # owner-only (submitters' e-mail addresses); SQLite's journals copy the mode
            os.close(os.open(parsed.database, os.O_WRONLY | os.O_CREAT, 0o600))
        self.url = url
        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._insert = _insert(self.engine)
        UsageModel.metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            stmt = self._insert(StoreMeta.__table__).values(  # type: ignore[attr-defined]
                key="schema_version", value=SCHEMA_VERSION)
            conn.execute(stmt.on_conflict_do_nothing())

    def close(self) -> None:
        self.engine.dispose()

    # counts ---------------------------------------------------------------------------

    def add_counts(self, counts: Mapping[Key, Tally], source: str = "catalog") -> None:
        """Add ``counts`` to the stored ones in one transaction."""
        self._write(counts, source, add=True)

    def replace_counts(self, counts: Mapping[Key, Tally], source: str) -> None:
        """Set ``counts`` (re-importing the same figures changes nothing)."""
        self._write(counts, source, add=False)

    def _write(self, counts: Mapping[Key, Tally], source: str, *, add: bool) -> None:
        if not counts:
            return
        rows = [{**key._asdict(), "source": source, "hits": t.hits, "visitors": t.visitors}
                for key, t in counts.items()]
        stmt = self._insert(COUNTS)
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["day", "dataset_id", "channel", "audience", "source"],
            set_={"hits": COUNTS.c.hits + new.hits, "visitors": COUNTS.c.visitors
                  + new.visitors} if add else {"hits": new.hits, "visitors": new.visitors})
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def _where(self, since: dt.date | None, until: dt.date | None,
               audiences: Iterable[str], sources: Iterable[str]) -> list[Any]:
        where = [COUNTS.c.audience.in_(list(audiences)), COUNTS.c.source.in_(list(sources))]
        if since:
            where.append(COUNTS.c.day >= since)
        if until:
            where.append(COUNTS.c.day <= until)
        return where

    def daily(self, since: dt.date | None = None, until: dt.date | None = None, *,
              audiences: Iterable[str] = ("human",), sources: Iterable[str] = SOURCES,
              dataset_id: str | None = None) -> list[dict[str, Any]]:
        """The stored rows, oldest first."""
        where = self._where(since, until, audiences, sources)
        if dataset_id is not None:
            where.append(COUNTS.c.dataset_id == dataset_id)
        query = select(COUNTS).where(*where).order_by(
            COUNTS.c.day, COUNTS.c.dataset_id, COUNTS.c.channel, COUNTS.c.audience,
            COUNTS.c.source)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def totals(self, by: str, since: dt.date | None = None, until: dt.date | None = None,
               *, audiences: Iterable[str] = ("human",), sources: Iterable[str] = SOURCES,
               dataset_id: str | None = None) -> dict[Any, int]:
        """Hits summed by one column (``day``, ``dataset_id``, ``channel``, ...)."""
        column = COUNTS.c[by]
        where = self._where(since, until, audiences, sources)
        if dataset_id is not None:
            where.append(COUNTS.c.dataset_id == dataset_id)
        query = select(column, func.sum(COUNTS.c.hits)).where(*where).group_by(column)
        with self.engine.connect() as conn:
            return {row[0]: int(row[1] or 0) for row in conn.execute(query)}

    # use cases ------------------------------------------------------------------------

    def add_use_case(self, dataset_id: str, fields: Mapping[str, str | None],
                     now: dt.datetime | None = None) -> int:
        values = {"dataset_id": dataset_id, "status": "pending",
                  "submitted_at": now or _now(), **fields}
        with self.engine.begin() as conn:
            result = conn.execute(USE_CASES.insert().values(**values))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def use_cases(self, *, status: str | None = None, dataset_id: str | None = None,
                  limit: int = 500) -> list[dict[str, Any]]:
        query = select(USE_CASES).order_by(USE_CASES.c.submitted_at.desc(),
                                           USE_CASES.c.id.desc()).limit(limit)
        if status:
            query = query.where(USE_CASES.c.status == status)
        if dataset_id:
            query = query.where(USE_CASES.c.dataset_id == dataset_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def count_use_cases(self, status: str) -> int:
        query = select(func.count()).select_from(USE_CASES).where(USE_CASES.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def decide(self, use_case_id: int, status: str, by: str,
               now: dt.datetime | None = None) -> bool:
        """Approve or reject one use case; False when there is no such use case."""
        if status not in ("approved", "rejected"):
            raise ValueError(status)
        stmt = update(USE_CASES).where(USE_CASES.c.id == use_case_id).values(
            status=status, decided_by=by,
            decided_at=now or _now())
        with self.engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount)


def public_use_case(row: Mapping[str, Any]) -> dict[str, Any]:
    """An approved use case as open data: never the e-mail or the moderator."""
    return {k: row.get(k) for k in PUBLIC_USE_CASE_COLUMNS}
