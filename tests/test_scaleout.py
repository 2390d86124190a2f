"""Scale-out on loopback: three ``catalog serve`` replicas, each over its own published
build folder, behind a real HAProxy (docs/deploy/haproxy.cfg, with the test's ports),
sharing a real PostgreSQL usage store; 32 keep-alive clients at the balancer all along.

* ``catalog publish`` with ``--wait`` switches the replicas one at a time;
* a replica stopped (SIGTERM) or killed (``kill -9`` of its whole process tree) under
  load: not one request fails at the balancer;
* counts from all replicas add up to the requests answered (exactly when replicas stop
  normally; after a ``kill -9``, less at most what that replica counted in its last
  flush interval).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.bench.switch import haproxy_config
from catalog.usage.store import Store

from .conftest import REPO
from .load import KeepAliveClients, served_build, wait_for_build
from .services import free_port, haproxy_binary
from .test_corpus import DS
from .test_robustness import (
    ROW,
    _row_title,
    _serve,
    _wait_until,
    build,
    built_template,  # noqa: F401 -- a fixture
    copy_of,
    meta,
    retitle,
    session_processes,
)

FLUSH_SECONDS = 1
SECRET = "one-secret-for-all-replicas"  # DATASETTE_SECRET, the same on every replica


@dataclass
class Replica:
    number: int
    folder: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, root: Path, env: dict[str, str]) -> None:
        self.proc = _serve(root, self.port, self.log, "--build-dir", str(self.folder),
                           env=env)

    def stop(self, wait: bool = True) -> None:
        """SIGTERM, as systemd or a container runtime stops it: it drains and flushes."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if wait:
                self.proc.wait(timeout=60)


    def kill(self) -> None:
        """``kill -9`` of the whole replica: supervisor and Datasette process at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        _wait_until(lambda: session_processes(self.proc.pid) == [], 10,  # type: ignore
                    "every process of the replica to go")


def stop_all(replicas: list[Replica]) -> None:
    for r in replicas:
        r.stop(wait=False)
    for r in replicas:
        r.stop()


@dataclass
class Farm:
    root: Path
    replicas: list[Replica]
    balancer: str
    store_url: str

    def publish(self, rolling: bool = True) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "-m", "catalog", "publish", "--root", str(self.root)]
        for r in self.replicas:
            args += ["--to", str(r.folder)] + (["--wait", r.url] if rolling else [])
        return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=180)

    def stored(self) -> int:
        store = Store(self.store_url)
        try:
            return store.totals("dataset_id").get("tst-town-counts", 0)
        finally:
            store.close()


@pytest.fixture
def farm(built_template: Path, tmp_path: Path, pg_url: str,  # noqa: F811
         auth_env: dict[str, str]) -> Iterator[Farm]:
    root = copy_of(built_template, tmp_path / "site")
    replicas = [Replica(n, tmp_path / f"replica-{n}", free_port(), tmp_path / f"r{n}.log")
                for n in (1, 2, 3)]
    # as deployed (docs/deploy.md, "Secrets"): every replica gets the same settings
    env = {**auth_env, "CATALOG_USAGE_URL": pg_url, "DATASETTE_SECRET": SECRET,
           "CATALOG_USAGE_FLUSH_SECONDS": str(FLUSH_SECONDS)}
    frontend = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(frontend, [r.port for r in replicas], fast_checks=True),
                   encoding="utf-8")
    farm = Farm(root, replicas, f"http://127.0.0.1:{frontend}", pg_url)
    first = farm.publish(rolling=False)
    assert first.returncode == 0, first.stderr
    haproxy = None
    try:
        for r in replicas:
            r.start(root, env)
        for r in replicas:
            _wait_until(lambda r=r: _health(r.url), 60, f"replica {r.number}")
        haproxy = subprocess.Popen([str(haproxy_binary()), "-f", str(cfg), "-db"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_until(lambda: _health(farm.balancer), 30, "the balancer")
        time.sleep(1.0)  # every replica's health check passed (rise 1, every 300 ms)
        yield farm
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait(timeout=10)
        try:
            stop_all(replicas)
        except subprocess.TimeoutExpired:
            for r in replicas:
                if r.proc is not None and r.proc.poll() is None:
                    r.kill()


def _health(base: str) -> bool:
    try:
        served_build(base, timeout=2)
    except OSError:
        return False
    return True


def staff_signed_in_everywhere(farm: Farm) -> None:
    """docs/deploy.md: with one DATASETTE_SECRET, a staff cookie from any replica is
    good on all of them (the balancer may send each request elsewhere)."""
    import httpx
    from datasette.app import Datasette

    cookie = Datasette(secret=SECRET).sign({"a": {"id": "staff", "roles": ["staff"]}},
                                           "actor")
    for r in farm.replicas:
        assert httpx.get(r.url + "/inventory.json").status_code == 403
        staff = httpx.get(r.url + "/inventory.json", cookies={"ds_actor": cookie})
        assert staff.status_code == 200, (r.number, staff.status_code)


def _republish(farm: Farm, title: str) -> str:
    retitle(farm.root, DS, title)
    rebuilt = build(farm.root, "-q")
    assert rebuilt.code == 0, rebuilt.stderr
    published = farm.publish()
    print(published.stdout)
    assert published.returncode == 0, published.stderr
    digest = meta(farm.root / "build" / "public.db")["source_hash"]
    lines = [line for line in published.stdout.splitlines() if "published build" in line]
    assert [line.split(" to ")[1].split(" (")[0] for line in lines] == \
        [str(r.folder) for r in farm.replicas], "not one replica after the other"
    for r in farm.replicas:
        assert served_build(r.url) == digest
    return digest


def test_rolling_publish_and_a_stopped_replica_lose_no_request_and_no_count(
        farm: Farm) -> None:
    staff_signed_in_everywhere(farm)
    clients = KeepAliveClients(farm.balancer.split("//")[1].split(":")[0],
                               int(farm.balancer.rsplit(":", 1)[1]), ROW, _row_title,
                               count=32).start()
    try:
        _wait_until(lambda: len(clients.answers) >= 200, 60, "the first answers")
        for n in range(2):
            digest = _republish(farm, f"Town counts, release {n}")
            wait_for_build(farm.balancer, digest, 5)
        farm.replicas[1].stop()  # one replica goes while the clients go on
        time.sleep(2.0)
        before = len(clients.answers)
        _wait_until(lambda: len(clients.answers) >= before + 200, 60, "answers without it")
    finally:
        clients.stop()
    stop_all(farm.replicas)
    print(len(clients.answers), "answers,", clients.reconnections(), "reconnections")
    assert clients.failures == [], clients.failures[:5]
    assert {a.value for a in clients.answers[-64:]} == {"Town counts, release 1"}
    assert farm.stored() == len(clients.answers)  # every replica's counts, added up


def test_a_replica_killed_under_load_drops_nothing_at_the_balancer(farm: Farm) -> None:
    clients = KeepAliveClients(farm.balancer.split("//")[1].split(":")[0],
                               int(farm.balancer.rsplit(":", 1)[1]), ROW, _row_title,
                               count=32).start()
    try:
        _wait_until(lambda: len(clients.answers) >= 300, 60, "the first answers")
        killed_at = time.monotonic()
        farm.replicas[2].kill()
        before = len(clients.answers)
        _wait_until(lambda: len(clients.answers) >= before + 300, 60, "answers without it")
    finally:
        clients.stop()
    stop_all(farm.replicas)
    assert clients.failures == [], clients.failures[:5]
    served, stored = len(clients.answers), farm.stored()
    # what the killed replica had not flushed: at most its last flush interval's share
    window = [a for a in clients.answers
              if killed_at - 2 * FLUSH_SECONDS - 0.5 <= a.at <= killed_at + 0.5]
    print(f"{served} answered, {stored} counted, {served - stored} lost with the "
          f"killed replica (bound {len(window)})")
    assert stored <= served
    assert served - stored <= len(window)
