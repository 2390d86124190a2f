"""The usage store and the recorder: batching, one transaction per flush, WAL, failed
flushes keep their counts, and a process killed between flushes leaves a consistent
store with exactly what was flushed."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from catalog.usage.recorder import DailySalt, Recorder
from catalog.usage.store import Key, Store, Tally

from .conftest import REPO

DAY = dt.date(2025, 3, 1)


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_store_is_wal_and_adds_up(tmp_path: Path) -> None:
    store = Store(url(tmp_path / "usage.db"))
    key = Key(DAY, "dcf-a", "page", "human")
    store.add_counts({key: Tally(2, 1)})
    store.add_counts({key: Tally(3, 2)})
    other = Store(url(tmp_path / "usage.db"))  # a second server on the same file
    other.add_counts({key: Tally(1, 0)})
    rows = store.daily()
    assert [(r["hits"], r["visitors"]) for r in rows] == [(6, 3)]
    conn = sqlite3.connect(tmp_path / "usage.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    store.close()
    other.close()


def test_replace_counts_is_idempotent(tmp_path: Path) -> None:
    store = Store(url(tmp_path / "usage.db"))
    key = Key(DAY, "dcf-a", "download", "human")
    store.replace_counts({key: Tally(5)}, source="portal")
    store.replace_counts({key: Tally(5)}, source="portal")
    store.add_counts({key: Tally(1)})
    assert store.totals("source") == {"portal": 5, "catalog": 1}
    store.close()


def test_recorder_batches_until_flush(tmp_path: Path) -> None:
    store = Store(url(tmp_path / "usage.db"))
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


def test_flush_thread_flushes_on_time_and_on_volume(tmp_path: Path) -> None:
    store = Store(url(tmp_path / "usage.db"))
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


def test_a_failed_flush_keeps_the_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    store = Store(url(tmp_path / "usage.db"))
    rec = Recorder(store, flush_seconds=3600, flush_events=10_000)
    rec.record("dcf-a", "page")

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("insert", {}, Exception("database is locked"))

    monkeypatch.setattr(store, "add_counts", broken)
    assert rec.flush() == 0 and rec.failures == 1 and rec.pending == 1
    monkeypatch.undo()
    rec.record("dcf-a", "page")
    assert rec.flush() == 1
    assert store.totals("channel") == {"page": 2}
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


def _child(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    return subprocess.Popen([sys.executable, str(script), url(tmp_path / "usage.db"), mode],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdout is not None
    while True:
        got = proc.stdout.readline()
        assert got, "child exited early"
        if got.strip() == line:
            return


def test_kill_between_flushes_loses_only_the_unflushed(tmp_path: Path) -> None:
    proc = _child(tmp_path, "between")
    try:
        _wait_for(proc, "flushed")
        _wait_for(proc, "recorded")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    path = tmp_path / "usage.db"
    assert integrity(path) == "ok"
    store = Store(url(path))  # reopens (and recovers the WAL) like a restarted server
    assert store.totals("dataset_id") == {"dcf-a": 250, "*": 1}
    store.add_counts({Key(DAY, "dcf-a", "page", "human"): Tally(1)})
    assert store.totals("dataset_id")["dcf-a"] == 251
    store.close()
    assert integrity(path) == "ok"


def test_kill_during_flushes_leaves_whole_transactions(tmp_path: Path) -> None:
    proc = _child(tmp_path, "during")
    try:
        _wait_for(proc, "running")
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    path = tmp_path / "usage.db"
    assert integrity(path) == "ok"
    store = Store(url(path))
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
    from catalog.problems import CatalogError

    with pytest.raises(CatalogError, match="does not support"):
        Store("mysql+pymysql://u@h/db")
