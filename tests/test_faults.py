"""Fault injection (``pytest -m fault``; CI runs it in a step of its own).

Each test breaks something for real and checks that nothing served is lost and nothing
is left behind:

* ``kill -9`` at random moments of full builds (their main process, or the whole
  process tree), of ``catalog serve`` (the supervisor, or everything), of a Datasette
  process under load, and of ``catalog publish``;
* a PostgreSQL usage store stopped and frozen (SIGSTOP) under a serving site while new
  builds land;
* a full disk and a read-only build folder (a tmpfs or a read-only bind mount in a
  private mount namespace: tests/faultenv.py);
* many processes creating a new usage store at once, on both backends.

The random moments come from ``CATALOG_FAULT_SEED`` (printed; the time by default).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from catalog.bench.generate import generate
from catalog.usage.store import Store

from .conftest import REPO
from .load import KeepAliveClients
from .services import PgCluster, free_port
from .test_corpus import DS
from .test_robustness import (
    DATABASES,
    POOLED,
    ROW,
    Catalog,
    _alive,
    _row_title,
    _serve,
    _serving,
    _wait_until,
    build,
    built_template,  # noqa: F401 -- a fixture
    copy_of,
    digests,
    integrity,
    leftovers,
    meta,
    retitle,
    row_counts,
    session_processes,
    wait_for_workers,
)
from .test_usage_store import open_at_once

pytestmark = pytest.mark.fault

SEED = int(os.environ.get("CATALOG_FAULT_SEED") or time.time())
print(f"fault injection seed: CATALOG_FAULT_SEED={SEED}")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    return random.Random(f"{SEED}-{request.node.name}")


@pytest.fixture
def project(built_template: Path, tmp_path: Path) -> Path:  # noqa: F811
    return copy_of(built_template, tmp_path / "project")


def _gone(pid: int, seconds: float = 15.0) -> None:
    _wait_until(lambda: session_processes(pid) == [], seconds,
                f"every process of session {pid} to end")


# -- builds ------------------------------------------------------------------------------------


def test_kill_9_at_random_points_of_full_builds(tmp_path: Path, rng: random.Random) -> None:
    """Full builds on two workers, each killed at a random moment, alternately the main
    process only (its workers must follow) and the whole tree, until eight kills landed
    on a running build (a loaded machine makes build times vary): no process survives,
    the databases are the previous ones or whole new ones, and the next build
    (incremental) works."""
    root = tmp_path / "pooled"
    generate(root, POOLED, REPO / "standards")
    first = build(root, "-q", "--jobs", "2")
    assert first.code == 0, first.stderr
    timed = build(root, "-q", "--jobs", "2", "--full")
    counts = {db: row_counts(root / "build" / db) for db in DATABASES}
    landed = []
    for n in range(20):
        if len(landed) >= 8:
            break
        retitle(root, "inventory/ag000/ag000-dataset-00000.yml", f"Killed build {n}")
        before = digests(root / "build")
        child = Catalog("build", "--root", str(root), "--full", "-q", "--jobs", "2")
        if rng.random() < 0.7:
            wait_for_workers(child, 2)
        time.sleep(rng.uniform(0, timed.seconds * 0.6))
        whole = len(landed) % 2 == 1
        if child.running():
            if whole:
                os.killpg(child.proc.pid, signal.SIGKILL)
            child.kill()
            landed.append(("tree" if whole else "main", round(time.monotonic()
                                                              - child.started, 2)))
        else:
            child.wait()
        _gone(child.proc.pid, 5)
        for db in DATABASES:
            path = root / "build" / db
            if digests(root / "build")[db] != before[db]:
                assert integrity(path) == "ok" and row_counts(path) == counts[db], (n, db)
        again = build(root, "-q", "--jobs", "2")
        assert again.code == 0, (n, again.stderr)
        assert "another build is running" not in again.stderr
        assert leftovers(root / "build") == []
    print("killed at", landed)
    assert len(landed) >= 8 and {kind for kind, _ in landed} == {"main", "tree"}


# -- catalog serve -----------------------------------------------------------------------------


def _up(port: int) -> bool:
    from .test_robustness import _answers

    return _answers(f"http://127.0.0.1:{port}/-/health")


def test_kill_9_of_catalog_serve_at_random_points(project: Path, tmp_path: Path,
                                                  rng: random.Random) -> None:
    """``catalog serve`` killed at a random moment (sometimes during a switch), either
    the supervisor alone or its whole tree: every process of it ends (its Datasette
    process finishes what it has), the port is free, and the next start serves the
    latest whole build and removes the dead one's snapshot."""
    for n in range(4):
        _kill_serve_once(project, tmp_path, n, rng.uniform(0.2, 2.5), whole=n % 2 == 1)


def _kill_serve_once(project: Path, tmp_path: Path, n: int, after: float, whole: bool
                     ) -> None:
    from catalog.serve import SERVING_DIR

    from .load import served_build

    port, log = free_port(), tmp_path / f"serve-{n}.log"
    server = _serve(project, port, log)
    _wait_until(lambda: _up(port), 60, "the server")
    clients = KeepAliveClients("127.0.0.1", port, ROW, _row_title, count=8).start()

    def rebuild() -> None:
        retitle(project, DS, f"Killed serve {n}")
        build(project, "-q")

    builder = threading.Thread(target=rebuild)
    builder.start()
    time.sleep(after)
    killed_at = time.monotonic()
    if whole:
        os.killpg(server.pid, signal.SIGKILL)
    else:
        server.send_signal(signal.SIGKILL)
    server.wait()
    clients.stop()
    builder.join()
    if whole:
        _gone(server.pid, 30)
        assert not _up(port)
    # else: started again at once, while the dead one's Datasette process may still
    # hold the port draining: the new one waits for it (up to 10 s)
    again = _serve(project, port, tmp_path / f"serve-{n}-again.log")
    _gone(server.pid, 30)
    assert all(at >= killed_at for at, _, _ in clients.failures), clients.failures[:3]
    try:
        _wait_until(lambda: _up(port), 60, "the restarted server")
        latest = meta(project / "build" / "public.db")["source_hash"]
        assert served_build(f"http://127.0.0.1:{port}") == latest
        snapshots = [p.name.split(".")[0] for p in (project / "build" / SERVING_DIR)
                     .iterdir()]
        assert snapshots == [str(again.pid)], snapshots
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(timeout=60)
    assert again.returncode == 0


def test_a_killed_datasette_process_is_replaced(project: Path, tmp_path: Path,
                                                rng: random.Random) -> None:
    """Its Datasette process killed three times under load: the supervisor starts another
    on the same build at once; only requests in flight in the killed one fail."""
    port, log = free_port(), tmp_path / "serve.log"
    server = _serve(project, port, log)
    try:
        _wait_until(lambda: _up(port), 60, "the server")
        clients = KeepAliveClients("127.0.0.1", port, ROW, _row_title, count=8).start()
        kills = []
        for _ in range(3):
            time.sleep(rng.uniform(0.5, 2.0))
            pid = _serving(log)[-1][1]
            kills.append(time.monotonic())
            os.kill(pid, signal.SIGKILL)
            _wait_until(lambda pid=pid: _serving(log)[-1][1] != pid and _up(port), 30,
                        "a new Datasette process")
        time.sleep(1.0)
        clients.stop()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    text = log.read_text()
    assert text.count("exited with code -9") == 3, text[-3000:]
    assert len({h for h, _ in _serving(log)}) == 1  # the same build all along
    for at, _, what in clients.failures:  # only what the killed process had in flight
        assert any(0 <= at - k < 3 for k in kills), (at, what)
    assert len(clients.failures) <= 3 * 8
    assert clients.answers[-1].at > kills[-1]


# -- catalog publish ---------------------------------------------------------------------------


def test_kill_9_during_publish(project: Path, tmp_path: Path, rng: random.Random) -> None:
    """``catalog publish`` to three folders, killed at random moments: each folder keeps
    a whole database of the previous or the new build (a replica serves a pair only when
    both agree), and the next publication completes and leaves no temporary file."""
    targets = [tmp_path / f"replica-{n}" for n in (1, 2, 3)]
    args = [a for t in targets for a in ("--to", str(t))]
    assert Catalog("publish", "--root", str(project), *args).wait().code == 0
    for n in range(6):
        old = meta(project / "build" / "public.db")["source_hash"]
        retitle(project, DS, f"Killed publication {n}")
        assert build(project, "-q").code == 0
        new = meta(project / "build" / "public.db")["source_hash"]
        child = Catalog("publish", "--root", str(project), *args)
        time.sleep(rng.uniform(0.0, 0.6))
        child.kill()
        for t in targets:
            for db in DATABASES:
                assert integrity(t / db) == "ok"
                assert meta(t / db)["source_hash"] in (old, new)
        done = Catalog("publish", "--root", str(project), *args).wait()
        assert done.code == 0, done.stderr
        for t in targets:
            assert {meta(t / db)["source_hash"] for db in DATABASES} == {new}
            assert [p.name for p in t.iterdir() if p.name.endswith(".tmp")] == []


# -- the usage store under a serving site ---------------------------------------------------


def test_store_outage_and_freeze_under_load(project: Path, tmp_path: Path,
                                            own_pg: PgCluster) -> None:
    """PostgreSQL stopped, then frozen, while 16 clients read and two builds land: no
    request fails, both builds are served within seconds, every count reaches the store
    once it is back, and each process logs one line per outage and one on recovery."""
    url = own_pg.create_database("usage")
    port, log = free_port(), tmp_path / "serve.log"
    env = {"CATALOG_USAGE_URL": url, "CATALOG_USAGE_FLUSH_SECONDS": "1"}
    server = _serve(project, port, log, env=env)
    base = f"http://127.0.0.1:{port}"
    from .load import wait_for_build

    def build_and_serve(title: str) -> None:
        retitle(project, DS, title)
        assert build(project, "-q").code == 0
        wait_for_build(base, meta(project / "build/public.db")["source_hash"], 10)

    try:
        _wait_until(lambda: _up(port), 60, "the server")
        clients = KeepAliveClients("127.0.0.1", port, ROW, _row_title, count=16).start()
        time.sleep(2.0)
        own_pg.stop()
        time.sleep(2.0)
        build_and_serve("Built while the store is down")
        time.sleep(2.0)
        own_pg.start()
        time.sleep(3.0)
        own_pg.freeze()
        build_and_serve("Built while the store is frozen")
        time.sleep(3.0)
        own_pg.thaw()
        time.sleep(3.0)
        clients.stop()
    finally:
        own_pg.thaw()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=90)
    text = log.read_text()
    assert clients.failures == [], clients.failures[:5]
    assert "Traceback" not in text, text[-4000:]
    store = Store(url)
    stored = store.totals("dataset_id").get("tst-town-counts", 0)
    store.close()
    assert stored == len(clients.answers), (stored, len(clients.answers))
    processes = len(_serving(log))
    down = text.count("unreachable:")
    assert 1 <= down <= 2 * processes, text[-4000:]
    assert text.count("reachable again") >= 1


def test_new_stores_opened_at_once_many_times(store_url: str) -> None:
    open_at_once(store_url, processes=6, rounds=12)


# -- full disks and read-only folders ------------------------------------------------------


def in_namespace(scenario: str, root: Path) -> dict[str, Any]:
    """tests/faultenv.py SCENARIO in a private mount namespace (mounts vanish with it)."""
    done = subprocess.run(["unshare", "--mount", "--map-root-user", sys.executable, "-m",
                           "tests.faultenv", scenario, str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"the mount namespace failed ({done.returncode}): {done.stderr[-3000:]}"
                    "\nthese tests need unshare (util-linux) and user namespaces")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("scenario", ["disk-full-build", "disk-full-full-build"])
def test_disk_full_build_is_a_clear_error_and_leaves_nothing(project: Path,
                                                             scenario: str) -> None:
    r = in_namespace(scenario, project)
    failed = r["failed"]
    assert failed["code"] == 1
    assert re.search(r"cannot write the build in \S+: No space left on device",
                     failed["stderr"]), failed["stderr"]
    assert "hint: free some space" in failed["stderr"]
    assert "Traceback" not in failed["stderr"] + failed["stdout"]
    assert r["after"]["digests"] == r["before"]  # the previous build, untouched
    assert r["after"]["served"] == r["served_before"] == "Town counts"  # and still served
    assert not [f for f in r["after"]["files"] if f.endswith((".tmp", "-journal"))]
    assert r["again"]["code"] == 0 and r["switched"], r["again"]
    assert "Traceback" not in r["server_log"]


def test_read_only_build_folder(project: Path) -> None:
    r = in_namespace("read-only-build", project)
    assert r["build"]["code"] == 1
    assert "cannot build in" in r["build"]["stderr"]
    assert "Read-only file system" in r["build"]["stderr"]
    assert "hint:" in r["build"]["stderr"] and "Traceback" not in r["build"]["stderr"]
    assert r["no_watch_up"] and r["no_watch_page"] == [200, True]  # was a 500
    assert r["no_watch_usage"] == 503  # the store cannot be made there: said so
    assert r["watch_up"] and r["page"] == [200, True]
    assert "serving copies of its databases" in r["watch_log"]
    assert r["health"]["store"]["reachable"] is False
    for text in (r["watch_log"], r["no_watch_log"]):
        assert "Traceback" not in text
        assert text.count("unreachable:") == 1, text  # one line, not one per request
    assert r["files"] == [".build.lock", ".cache/manifest", "inventory.db", "last-attempt.json",
                          "public.db"]  # as the earlier build left them


def test_disk_full_publish_changes_no_replica(project: Path) -> None:
    r = in_namespace("disk-full-publish", project)
    assert r["seeded"]["code"] == 0 and r["built"]["code"] == 0
    assert r["failed"]["code"] == 1
    assert "cannot stage the build" in r["failed"]["stderr"]
    assert "No space left on device" in r["failed"]["stderr"]
    assert "Traceback" not in r["failed"]["stderr"]
    assert r["after"] == r["before"]
    for names in r["files"].values():
        assert names == [".build.lock", "inventory.db", "public.db"]


def test_faults_leave_no_process_behind() -> None:
    """Nothing these tests started still runs (catalog, Datasette, postgres, haproxy)."""
    mine = {p for p in os.listdir("/proc") if p.isdigit()}
    leftover = []
    for pid in mine:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(REPO) in cmd and ("catalog serve" in cmd or "-m catalog" in cmd) \
                and int(pid) != os.getpid() and _alive(int(pid)):
            leftover.append(cmd[:200])
    assert leftover == []
