"""The usage store: daily counts and use cases, over SQLite or PostgreSQL.

The default is an embedded SQLite file beside the build (``usage.db``), opened in WAL
mode so that readers never block the flusher and a killed process leaves a consistent
file; a deployment with several servers points ``CATALOG_USAGE_URL`` at PostgreSQL
(``postgresql://…``, driven by psycopg 3: ``pip install 'ct-data-catalog[postgresql]'``).
Counts are added with ``INSERT ... ON CONFLICT DO UPDATE`` (both dialects), so several
processes flushing into one store add up instead of overwriting each other.

Nothing connects when a :class:`Store` is made: the first operation does, and brings the
tables up to :data:`SCHEMA_VERSION` first (:data:`MIGRATIONS`, applied under a lock that
serialises every process opening the store at once: ``BEGIN IMMEDIATE`` on SQLite, a
transaction-scoped advisory lock on PostgreSQL). Every failure to reach the store is a
:class:`StoreUnavailable` (a :class:`~catalog.problems.CatalogError`: one line, a hint),
and :class:`Health` keeps the store's state for the whole process: it logs one line when
an outage starts and one when it ends, and tells callers how long to back off.

The store is never attached to Datasette: ``use_cases`` holds submitters' e-mail
addresses. What is public goes out through the usage routes (aggregates, approved use
cases without e-mail).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Optional, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, func, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from ..dbapi import sqlite3
from ..problems import CatalogError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1  # the last entry of MIGRATIONS
CATALOG_WIDE = "*"
CHANNELS = ("page", "json", "csv", "sql", "search", "export", "download", "api")
SOURCES = ("catalog", "portal")
CONNECT_SECONDS = 3  # PostgreSQL: give up connecting after this long
BUSY_MS = 10_000  # SQLite: wait this long for another writer
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0  # seconds between attempts while the store is down


class UsageModel(SQLModel, registry=registry()):
    """Base of the usage tables: their own metadata, apart from the catalog's."""


class DailyCount(UsageModel, table=True):
    __tablename__ = "usage_daily"
    day: dt.date = Field(primary_key=True)
    dataset_id: str = Field(primary_key=True, max_length=200)
    channel: str = Field(primary_key=True, max_length=16)
    audience: str = Field(primary_key=True, max_length=8)  # "human" or "bot"
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
    status: str = Field(default="pending", index=True, max_length=16)  # or approved, rejected
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


class StoreUnavailable(CatalogError):
    """The store could not be reached or did not answer (never a bug of the caller)."""


def _reason(exc: BaseException) -> str:
    """One line saying why: the driver's own message, without SQL or a traceback."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return first[:240]


class Health:
    """Whether the store answered lately, shared by everything that uses it in a process.

    :meth:`failed` logs one line when an outage starts; :meth:`succeeded` one when it
    ends. While it is down, :meth:`allow` lets one attempt through after each back-off
    period (1 s, then doubling up to a minute), so that pages never wait on a store that
    is known to be down and a flush does not hammer it.
    """

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self.up = True
        self.error = ""
        self.down_since: float | None = None
        self.failures = 0  # attempts that failed in the current outage
        self.outages = 0
        self._next_try = 0.0
        self.last_ok: float | None = None

    def allow(self) -> bool:
        """May an attempt be made now? (Always when up; when down, one per back-off.)"""
        with self._lock:
            if self.up:
                return True
            now = self._clock()
            if now < self._next_try:
                return False
            self._next_try = now + self.backoff()  # this caller is the probe
            return True

    def backoff(self) -> float:
        return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, self.failures - 1))

    def retry_in(self) -> float:
        with self._lock:
            return 0.0 if self.up else max(0.0, self._next_try - self._clock())

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.error = _reason(exc)
            self.failures += 1
            self._next_try = self._clock() + self.backoff()
            if not self.up:
                return
            self.up = False
            self.down_since = self._clock()
            self.outages += 1
        log.warning("usage store %s unreachable: %s; counts wait in memory and are "
                    "written when it answers again (retrying with back-off)",
                    self.name, self.error)

    def succeeded(self) -> None:
        with self._lock:
            self.last_ok = self._clock()
            if self.up:
                return
            down = self._clock() - (self.down_since or self._clock())
            attempts = self.failures
            self.up, self.error, self.failures, self.down_since = True, "", 0, None
        log.warning("usage store %s reachable again after %.1f s (%d failed attempts)",
                    self.name, down, attempts)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"reachable": self.up, "error": self.error or None,
                    "down_for_seconds": None if self.down_since is None
                    else round(self._clock() - self.down_since, 1),
                    "retry_in_seconds": 0.0 if self.up
                    else round(max(0.0, self._next_try - self._clock()), 1),
                    "outages": self.outages}


def normalise_url(url: str) -> URL:
    """The SQLAlchemy URL of the store: ``postgresql://`` (and ``postgres://``) means
    psycopg 3; anything but SQLite and PostgreSQL is refused; a missing driver is a
    clear error naming the install extra."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CatalogError(f"the usage store URL {url!r} is not a database URL",
                           hint="use sqlite:///path/usage.db or "
                           "postgresql://user@host/db") from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed = parsed.set(drivername="postgresql")
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise CatalogError(f"the usage store does not support {backend}",
                           hint="use sqlite:///… or postgresql://…")
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        module = {"postgresql+psycopg": "psycopg", "postgresql+psycopg2": "psycopg2"}.get(
            parsed.drivername)
        if module and importlib.util.find_spec(module) is None:
            raise CatalogError(f"the usage store is PostgreSQL but its driver ({module}) "
                               "is not installed",
                               hint="pip install 'ct-data-catalog[postgresql]' (psycopg 3)")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_MS}")  # first: the others may have to wait
    for attempt in range(50):  # switching a new file to WAL needs it alone for a moment
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except Exception as exc:  # sqlite3.OperationalError: database is locked
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.02 * (attempt + 1))
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _insert(engine: Engine) -> Any:
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    from sqlalchemy.dialects import postgresql

    return postgresql.insert


# -- migrations -------------------------------------------------------------------------------
# Each entry brings the store from the version before it to its own. Never edit one that
# has shipped: append the next. They run in one transaction under the migration lock.

def _v1(conn: Connection) -> None:
    """The first tables: usage_daily, use_cases, usage_meta."""
    UsageModel.metadata.create_all(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1)]
MIGRATION_LOCK = 0x43544341  # the advisory lock key on PostgreSQL ("CTCA")
META = StoreMeta.__table__  # type: ignore[attr-defined]


def _stored_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, "usage_meta"):
        return 0
    value = conn.execute(select(META.c.value).where(META.c.key == "schema_version")
                         ).scalar_one_or_none()
    return int(value or 0)


T = TypeVar("T")


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Store methods: reach the store (migrating it first), and turn every failure to
    reach it into :class:`StoreUnavailable`, noted in the store's :class:`Health`."""
    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> T:
        try:
            if not self._migrated:
                self.migrate()
            result = method(self, *args, **kwargs)
        except (SQLAlchemyError, OSError) as exc:
            self.health.failed(exc)
            raise StoreUnavailable(f"the usage store {self.name} is unavailable: "
                                   f"{_reason(exc)}", hint=self.hint) from None
        self.health.succeeded()
        return result
    return wrapper


class Store:
    """The usage store at ``url`` (nothing connects until it is used)."""

    def __init__(self, url: str) -> None:
        parsed = normalise_url(url)
        self.url = url
        self.name = make_url(url).render_as_string(hide_password=True)
        connect_args: dict[str, Any] = {}
        engine_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            # the catalog's one SQLite module (catalog.dbapi), not SQLAlchemy's choice (the
            # stdlib's): two SQLite libraries in one process do not see each other's locks
            engine_args["module"] = sqlite3
            if parsed.database not in (None, "", ":memory:"):
                self.hint = (f"is {Path(parsed.database).parent} writable? set "
                             "CATALOG_USAGE_URL to put the store elsewhere")
            else:
                self.hint = "set CATALOG_USAGE_URL"
            connect_args["timeout"] = BUSY_MS / 1000
        else:
            self.hint = ("is PostgreSQL running and reachable (pg_isready)? "
                         "check CATALOG_USAGE_URL")
            connect_args["connect_timeout"] = CONNECT_SECONDS
        self.engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args,
                                    **engine_args)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self._sqlite_path = parsed.database
        self._insert = _insert(self.engine)
        self._migrated = False
        self._migrate_lock = threading.Lock()
        self.health = Health(self.name)

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> int:
        """Bring the tables up to :data:`SCHEMA_VERSION` (once per process; safe when
        several processes open a new store at once). Returns the version found."""
        with self._migrate_lock:
            if self._migrated:
                return SCHEMA_VERSION
            if self.engine.dialect.name == "sqlite":
                path = self._sqlite_path
                if path not in (None, "", ":memory:"):
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                    # owner-only (submitters' e-mail addresses); SQLite's journals copy it
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
                with self.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    conn.exec_driver_sql("BEGIN IMMEDIATE")  # the writer lock: one at a time
                    try:
                        found = self._migrate(conn)
                    except BaseException:
                        conn.exec_driver_sql("ROLLBACK")
                        raise
                    conn.exec_driver_sql("COMMIT")
            else:
                with self.engine.begin() as conn:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": MIGRATION_LOCK})
                    found = self._migrate(conn)
            self._migrated = True
            return found

    def _migrate(self, conn: Connection) -> int:
        found = _stored_version(conn)
        if found > SCHEMA_VERSION:
            raise CatalogError(f"the usage store {self.name} has schema version {found}; "
                               f"this catalog knows up to {SCHEMA_VERSION}",
                               hint="upgrade the catalog on this server (a newer one "
                               "migrated the store)")
        for version, step in MIGRATIONS:
            if version > found:
                step(conn)
                stmt = self._insert(META).values(key="schema_version", value=str(version))
                conn.execute(stmt.on_conflict_do_update(index_elements=["key"],
                                                        set_={"value": str(version)}))
        return found

    @_guarded
    def ping(self) -> None:
        """One round trip (a health check)."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    @_guarded
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return _stored_version(conn)

    # counts ---------------------------------------------------------------------------

    @_guarded
    def add_counts(self, counts: Mapping[Key, Tally], source: str = "catalog") -> None:
        """Add ``counts`` to the stored ones in one transaction."""
        self._write(counts, source, add=True)

    @_guarded
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

    @_guarded
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

    @_guarded
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

    @_guarded
    def add_use_case(self, dataset_id: str, fields: Mapping[str, str | None],
                     now: dt.datetime | None = None) -> int:
        values = {"dataset_id": dataset_id, "status": "pending",
                  "submitted_at": now or _now(), **fields}
        with self.engine.begin() as conn:
            result = conn.execute(USE_CASES.insert().values(**values))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    @_guarded
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

    @_guarded
    def count_use_cases(self, status: str) -> int:
        query = select(func.count()).select_from(USE_CASES).where(USE_CASES.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    @_guarded
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
