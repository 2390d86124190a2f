"""Real servers for the tests, from Debian's packages: a PostgreSQL cluster and HAProxy.

Each is made in a temporary folder on a free loopback port and torn down afterwards. A
missing binary fails the test with the command that installs it (CI installs them:
.ci/run); these tests are never skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from catalog.bench.usage import _free_port as free_port
from catalog.procs import process_table

PG_INSTALL = "apt-get install -y postgresql"
HAPROXY_INSTALL = "apt-get install -y haproxy"
HAPROXY = Path("/usr/sbin/haproxy")


def pg_bin() -> Path:
    """The newest Debian PostgreSQL server's bin folder."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if not found:
        pytest.fail(f"PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/"
                    f"initdb): {PG_INSTALL} (Debian's package; .ci/run installs it)")
    return found[-1].parent


def _children(pid: int) -> list[int]:
    return [child for child, parent, _ in process_table() if parent == pid]


class PgCluster:
    """A PostgreSQL cluster made with initdb in a temporary folder, listening on
    127.0.0.1 only (no Unix socket), trust authentication for the ``catalog`` role."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="catalog-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self._as = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                        "--"]
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "catalog",
                  "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self._as, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://catalog@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        out = open(self.log, "ab")
        if self._as:
            shutil.chown(self.log, "postgres", "postgres")
        self.proc = subprocess.Popen(
            [*self._as, str(self.bin / "postgres"), "-D", str(self.data),
             "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
             "-c", "unix_socket_directories=", "-c", "fsync=off",
             "-c", "max_connections=100", "-c", "shared_buffers=16MB"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        deadline = time.monotonic() + 60
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def ready(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.url(), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    @property
    def postmaster(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # setpriv execs the server itself

    def stop(self) -> None:
        """A fast shutdown (clients disconnected, nothing lost): an outage."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.postmaster, signal.SIGINT)
        self.proc.wait(timeout=60)

    def freeze(self) -> None:
        """Stop every server process (SIGSTOP): connections stay open and nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, signum: int) -> None:
        for pid in [self.postmaster, *_children(self.postmaster)]:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:  # a backend that ended after it was listed
                pass

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.thaw()
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def _running_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL server for the session (each test gets a database of its own)."""
    with _running_cluster() as cluster:
        yield cluster


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """The URL of a new, empty database on the session's PostgreSQL."""
    if pg_cluster.proc is None or pg_cluster.proc.poll() is not None:
        pg_cluster.start()  # a test stopped it
    return pg_cluster.create_database(f"test_{os.getpid()}_{next(_databases)}")


@pytest.fixture
def own_pg() -> Iterator[PgCluster]:
    """A PostgreSQL server for one test alone (it may stop, freeze or kill it)."""
    with _running_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new usage store on each backend: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'usage.db'}"
    return str(request.getfixturevalue("pg_url"))


def haproxy_binary() -> Path:
    if not HAPROXY.is_file():
        pytest.fail(f"{HAPROXY} is missing: {HAPROXY_INSTALL} (Debian's package; .ci/run "
                    "installs it)")
    return HAPROXY
