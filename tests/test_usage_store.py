"""The usage store and the recorder, on SQLite and on a real PostgreSQL (each test that
takes ``store_url`` runs on both): batching, one transaction per flush, WAL, migrations
safe when several processes open a new store at once, failed flushes that keep their
counts and back off, a bounded buffer, and a process killed between flushes that leaves
a consistent store with exactly what was flushed."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from catalog.dbapi import sqlite3
from catalog.problems import CatalogError
from catalog.usage import store as store_module
from catalog.usage.recorder import DailySalt, Recorder
from catalog.usage.store import SCHEMA_VERSION, Key, Store, StoreUnavailable, Tally

from .conftest import REPO
from .services import PgCluster

DAY = dt.date(2025, 3, 1)


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_sqlite_store_is_wal(tmp_path: Path) -> None:
    store = Store(url(tmp_path / "usage.db"))
    store.add_counts({Key(DAY, "dcf-a", "page", "human"): Tally(1)})
    conn = sqlite3.connect(tmp_path / "usage.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    store.close()


def test_nothing_connects_until_the_store_is_used(tmp_path: Path) -> None:
    path = tmp_path / "later" / "usage.db"
    store = Store(url(path))
    assert not path.exists()
    assert store.schema_version() == SCHEMA_VERSION
    assert path.is_file()
    store.close()


def test_store_adds_up(store_url: str) -> None:
    store = Store(store_url)
    key = Key(DAY, "dcf-a", "page", "human")
    store.add_counts({key: Tally(2, 1)})
    store.add_counts({key: Tally(3, 2)})
    other = Store(store_url)  # a second server on the same store
    other.add_counts({key: Tally(1, 0)})
    rows = store.daily()
    assert [(r["hits"], r["visitors"]) for r in rows] == [(6, 3)]
    store.close()
    other.close()


def test_replace_counts_is_idempotent(store_url: str) -> None:
    store = Store(store_url)
    key = Key(DAY, "dcf-a", "download", "human")
    store.replace_counts({key: Tally(5)}, source="portal")
    store.replace_counts({key: Tally(5)}, source="portal")
    store.add_counts({key: Tally(1)})
    assert store.totals("source") == {"portal": 5, "catalog": 1}
    store.close()


def test_recorder_batches_until_flush(store_url: str) -> None:
    store = Store(store_url)
    rec = Recorder(store, flush_seconds=3600, flush_events=10_000,
                   clock=lambda: dt.datetime(2025, 3, 1, 12, tzinfo=dt.timezone.utc))
    for _ in range(5):
        rec.record("dcf-a", "page", visitor=("203.0.113.9", "Firefox"))
    rec.record("dcf-a", "page", visitor=("198.51.100.4", "Firefox"))
    rec.record("*", "search")
    assert store.daily() == [] and rec.pending == 7
    assert rec.flush() == 2
    rows = {(r["dataset_id"], r["channel"]): (r["hits"], r["visitors"]) for r in store.daily()}
    assert rows == {("dcf-a", "page"): (6, 2), ("*", "search"): (1, 0)}
    assert rec.pending == 0 and rec.flush() == 0
    store.close()


def test_flush_thread_flushes_on_time_and_on_volume(store_url: str) -> None:
    store = Store(store_url)
    rec = Recorder(store, flush_seconds=0.05, flush_events=1_000_000).start()
    rec.record("dcf-a", "page")
    deadline = time.monotonic() + 5
    while not store.daily() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.totals("channel") == {"page": 1}
    rec.close()
    rec2 = Recorder(store, flush_seconds=3600, flush_events=3).start()
    for _ in range(3):
        rec2.record("dcf-a", "json")
    while store.totals("channel").get("json") != 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.totals("channel")["json"] == 3
    rec2.close()
    store.close()


# -- stores opened at once ---------------------------------------------------------------------

OPENER = """
import sys
import datetime as dt
from catalog.usage.store import Key, Store, Tally
print("ready", flush=True)
for line in sys.stdin:  # one new store per line, opened by every process at once
    store = Store(line.strip())
    store.add_counts({Key(dt.date(2025, 3, 1), "dcf-a", "page", "human"): Tally(1)})
    print(store.schema_version(), flush=True)
    store.close()
"""


def _fresh(store_url: str, n: int) -> str:
    """Another new store beside ``store_url`` (a new file, or a new database)."""
    if store_url.startswith("sqlite"):
        return store_url.replace("usage.db", f"usage-{n}.db")
    import psycopg

    name = store_url.rsplit("/", 1)[1] + f"_{n}"
    with psycopg.connect(store_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return store_url.rsplit("/", 1)[0] + "/" + name


def open_at_once(store_url: str, processes: int, rounds: int) -> None:
    """``processes`` processes create the same new store at the same moment, ``rounds``
    times over: every one succeeds, the schema is made once, every count is there."""
    procs = [subprocess.Popen([sys.executable, "-c", OPENER], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(processes)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", \
                proc.communicate()[1]
        for n in range(rounds):
            target = _fresh(store_url, n)
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(target + "\n")
            for proc in procs:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.flush()
            answers = [proc.stdout.readline().strip() for proc in procs  # type: ignore[union-attr]
                       ]
            assert answers == [str(SCHEMA_VERSION)] * processes, \
                (n, answers, [p.communicate(timeout=10)[1][-2000:] for p in procs])
            store = Store(target)
            assert store.totals("dataset_id") == {"dcf-a": processes}
            store.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


def test_new_store_opened_by_several_processes_at_once(store_url: str) -> None:
    open_at_once(store_url, processes=4, rounds=3)


def test_a_newer_store_is_refused(store_url: str) -> None:
    store = Store(store_url)
    store.migrate()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE usage_meta SET value = '99' WHERE key = 'schema_version'")
    store.close()
    again = Store(store_url)
    with pytest.raises(CatalogError, match="schema version 99"):
        again.daily()
    again.close()


# -- outages ------------------------------------------------------------------------------------


class Outage:
    """Makes a store unreachable for real: PostgreSQL stopped, or a SQLite file locked
    by another writer for longer than the store waits."""

    def __init__(self, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 cluster: PgCluster | None) -> None:
        self.kind, self.cluster = kind, cluster
        self.holder: sqlite3.Connection | None = None
        if kind == "sqlite":
            monkeypatch.setattr(store_module, "BUSY_MS", 200)
            self.url = url(tmp_path / "usage.db")
        else:
            assert cluster is not None
            self.url = cluster.create_database("outage")

    def begin(self) -> None:
        if self.kind == "sqlite":
            self.holder = sqlite3.connect(self.url.removeprefix("sqlite:///"),
                                          isolation_level=None)
            self.holder.execute("BEGIN EXCLUSIVE")
        else:
            assert self.cluster is not None
            self.cluster.stop()

    def end(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None
        if self.cluster is not None and self.cluster.proc is not None \
                and self.cluster.proc.poll() is not None:
            self.cluster.start()


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Outage:
    cluster = request.getfixturevalue("own_pg") if request.param == "postgresql" else None
    return Outage(request.param, tmp_path, monkeypatch, cluster)


def test_an_outage_keeps_the_counts_backs_off_and_logs_twice(
        outage: Outage, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(outage.url)
    rec = Recorder(store, flush_seconds=3600, flush_events=10_000)
    rec.record("dcf-a", "page")
    assert rec.flush() == 1
    caplog.set_level(logging.WARNING, logger="catalog.usage")
    outage.begin()
    try:
        for _ in range(3):
            rec.record("dcf-a", "page")
        assert rec.flush() == 0 and rec.failures == 1 and rec.pending == 3
        assert not store.health.up and store.health.retry_in() > 0.5
        # backing off: the next flushes do not even try
        started = time.monotonic()
        for _ in range(20):
            assert rec.flush() == 0
        assert rec.failures == 1 and time.monotonic() - started < 0.5
        if outage.kind == "postgresql":  # (SQLite in WAL mode: readers never wait)
            with pytest.raises(StoreUnavailable, match="unavailable") as raised:
                store.daily()
            assert "Traceback" not in str(raised.value) and raised.value.hint
    finally:
        outage.end()
    time.sleep(store.health.retry_in())
    assert rec.flush() == 1
    assert store.totals("channel") == {"page": 4}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "unreachable" in lines[0] and "reachable again" in lines[1]
    assert all("\n" not in line for line in lines)
    rec.close()
    store.close()


def test_the_buffer_is_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(url(tmp_path / "usage.db"))
    rec = Recorder(store, flush_seconds=3600, flush_events=10**9, max_counters=10)
    caplog.set_level(logging.WARNING, logger="catalog.usage")
    for n in range(25):
        rec.record(f"d{n:02d}", "page")
        rec.record(f"d{n:02d}", "page")
    assert rec.pending == 20 and rec.dropped == 30
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 1
    assert rec.flush() == 10
    assert sum(store.totals("dataset_id").values()) == 20
    store.close()


def test_salt_rotates_daily_and_is_never_stored(tmp_path: Path) -> None:
    now = [dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.timezone.utc)]
    salt = DailySalt(lambda: now[0])
    first = salt.digest("203.0.113.9")
    assert salt.digest("203.0.113.9") == first
    now[0] += dt.timedelta(minutes=2)
    assert salt.digest("203.0.113.9") != first
    store = Store(url(tmp_path / "usage.db"))
    rec = Recorder(store, salt=salt, clock=lambda: now[0])
    rec.record("dcf-a", "page", visitor=("203.0.113.9", "Firefox"))
    rec.flush()
    store.close()
    day_salt = salt.current()[1]
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert day_salt not in data and salt.digest("203.0.113.9") not in data


CHILD = """
import sys, time
from catalog.usage.recorder import Recorder
from catalog.usage.store import Store

store = Store(sys.argv[1])
rec = Recorder(store, flush_seconds=3600, flush_events=10**9)
mode = sys.argv[2]
if mode == "between":
    for _ in range(250):
        rec.record("dcf-a", "page")
    rec.record("*", "search")
    rec.flush()
    print("flushed", flush=True)
    for _ in range(100):
        rec.record("dcf-a", "page")
    print("recorded", flush=True)
    time.sleep(60)
else:  # "during": flush as fast as possible until killed, each flush +1 on 40 rows
    n = 0
    while True:
        for k in range(40):
            rec.record(f"d{k:02d}", "json")
        rec.flush()
        n += 1
        if n == 20:
            print("running", flush=True)
"""


def _child(tmp_path: Path, store_url: str, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    return subprocess.Popen([sys.executable, str(script), store_url, mode],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdout is not None
    while True:
        got = proc.stdout.readline()
        assert got, "child exited early"
        if got.strip() == line:
            return


def test_kill_between_flushes_loses_only_the_unflushed(tmp_path: Path, store_url: str
                                                       ) -> None:
    proc = _child(tmp_path, store_url, "between")
    try:
        _wait_for(proc, "flushed")
        _wait_for(proc, "recorded")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    sqlite = store_url.startswith("sqlite")
    path = Path(store_url.removeprefix("sqlite:///"))
    assert not sqlite or integrity(path) == "ok"
    store = Store(store_url)  # reopens (and recovers the WAL) like a restarted server
    assert store.totals("dataset_id") == {"dcf-a": 250, "*": 1}
    store.add_counts({Key(DAY, "dcf-a", "page", "human"): Tally(1)})
    assert store.totals("dataset_id")["dcf-a"] == 251
    store.close()
    assert not sqlite or integrity(path) == "ok"


def test_kill_during_flushes_leaves_whole_transactions(tmp_path: Path, store_url: str
                                                       ) -> None:
    proc = _child(tmp_path, store_url, "during")
    try:
        _wait_for(proc, "running")
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    if store_url.startswith("sqlite"):
        assert integrity(Path(store_url.removeprefix("sqlite:///"))) == "ok"
    store = Store(store_url)
    counts = store.totals("dataset_id")
    store.close()
    assert len(counts) == 40
    assert len(set(counts.values())) == 1, "a flush was applied in part"
    assert next(iter(counts.values())) >= 20


def test_upsert_compiles_for_postgresql() -> None:
    """The same statement adds up on PostgreSQL (a multi-server deployment)."""
    from sqlalchemy.dialects import postgresql

    from catalog.usage.store import COUNTS

    stmt = postgresql.insert(COUNTS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "dataset_id", "channel", "audience", "source"],
        set_={"hits": COUNTS.c.hits + stmt.excluded.hits})
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    assert "ON CONFLICT (day, dataset_id, channel, audience, source) DO UPDATE" in sql
    assert "hits = (usage_daily.hits + excluded.hits)" in sql


def test_unsupported_store_is_refused() -> None:
    with pytest.raises(CatalogError, match="does not support"):
        Store("mysql+pymysql://u@h/db")
    with pytest.raises(CatalogError, match="not a database URL"):
        Store("usage.db")


def test_postgresql_urls_mean_psycopg_and_a_missing_driver_names_the_extra() -> None:
    from catalog.usage.store import normalise_url

    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    import importlib.util

    if importlib.util.find_spec("psycopg2") is None:  # the other driver, not installed
        with pytest.raises(CatalogError, match="psycopg2") as raised:
            Store("postgresql+psycopg2://u@h/db")
        assert "ct-data-catalog[postgresql]" in raised.value.hint
