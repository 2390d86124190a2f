"""Serve stage: build when the sources changed, then run Datasette on the two databases.

``public.db`` is open to everyone; ``inventory.db`` is staff only. The Datasette
configuration (settings, plugins, templates) is in :mod:`catalog.site.config`.

A build replaces ``build/*.db`` by rename. A Datasette process that keeps running on the
old paths is inconsistent afterwards: SQL threads that had opened a database keep reading
the old file, threads that open it later read the new one, table counts and hashes stay
cached, and the exports (which open the file by path) read the new one. So ``catalog
serve`` watches the build instead (docs/robustness.md):

* it holds the listening socket itself; each Datasette process accepts on that inherited
  socket, so connections wait in its queue while one process hands over to the next;
* each Datasette process serves a *snapshot* of one build: hard links to both databases
  in ``build/.serving/<pid>.<n>/``, which later builds never touch;
* it imports Datasette and everything the plugins import once, and *forks* each
  Datasette process from itself (a few milliseconds, where starting Python and importing
  takes seconds), so that a new build is served well within a second of its last rename;
* twenty times a second it looks at the build; once both databases carry a new source
  hash it forks a Datasette process on a snapshot of them, lets it warm up, stops the
  old process from accepting, then lets the new one accept. The old one drains: every response it
  still sends says ``Connection: close``, idle keep-alive connections are left to their
  idle timeout, so no client sees a connection closed under a request it sent;
* a build that cannot be started is tried again later (with back-off), and a Datasette
  process that dies is replaced on the same build.

``--no-watch`` runs Datasette itself on ``build/`` (restart it after each build).
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile import INVENTORY_FILE, PUBLIC_FILE, built_hash, built_meta
from .interop import EXPORTS
from .problems import CatalogError, Report, Severity
from .procs import alive
from .project import Project

DATABASES = (INVENTORY_FILE, PUBLIC_FILE)
SERVING_DIR = ".serving"  # build/.serving/<supervisor pid>.<generation>/
POLL_SECONDS = 0.05  # two stat() calls; the hashes are read only when a file changed
READY_SECONDS = 120.0  # a new Datasette process must be warm by then
# the home page, a search (the facet index) and every catalog export (their bytes)
WARM_PATHS = ("/", "/search.json?q=data", *(f"/{f.filename}" for f in EXPORTS.values()))
HANDOVER_SECONDS = 10.0  # the old one must have stopped accepting by then
STOP_SECONDS = 30.0  # and finished its requests by then
RETRY_FIRST, RETRY_MAX = 5.0, 300.0  # a build that failed to start is tried again
CRASHES_ALLOWED = 5  # Datasette processes that may die within CRASH_WINDOW seconds
CRASH_WINDOW = 60.0
IDLE_SECONDS = 5  # a keep-alive connection idle this long is closed (uvicorn's default)
DRAIN_SECONDS = 30  # a draining process cancels what is still running after this long
DRAIN_IDLE_SECONDS = IDLE_SECONDS  # a draining process closes connections idle this long
# the supervisor owns the socket; Datasette's own reloader would fork around it
WATCH_REFUSES = ("-h", "--host", "-p", "--port", "--uds", "--reload", "--get")


def ensure_built(project: Project, out_dir: Path | None = None) -> Path:
    """Build when the sources changed since the last build (with the build cache, and
    under the build lock, as `catalog build` does; warnings do not stop it)."""
    from .build import build

    out_dir = out_dir or project.build_dir
    outcome = build(project, out_dir, allow_warnings=True, if_changed=True)
    if outcome.mode == "blocked":
        from .report_formats import text

        print(text(outcome.report, project.root), file=sys.stderr)
        raise CatalogError(f"the inventory has {len(outcome.report.errors)} error(s); "
                           "not serving", hint="fix them (catalog validate), or serve the "
                           "last build with --no-build")
    if outcome.result is not None:
        print(f"built {out_dir}", file=sys.stderr)
    warned = [p for p in outcome.report if p.severity is Severity.WARNING]
    if warned:
        from .report_formats import text

        print(text(Report(warned), project.root), file=sys.stderr)
        print(f"served with {len(warned)} warning(s): fix them before `catalog build` "
              "(which refuses warnings); staff see them at /staff/problems", file=sys.stderr)
    return out_dir


def serve(project: Project, *, host: str, port: int, build: bool, extra: list[str],
          watch: bool = True, build_dir: Path | None = None) -> int:
    """Serve the build; with ``watch``, switch to each new build without dropping requests.
    Returns the exit code (``watch``) or never returns (Datasette replaces this process)."""
    from .auth import environment
    from .site.access import sso_problem
    from .site.config import Site
    from .site.security import proxy_environment

    if "--crossdb" in extra:
        raise CatalogError("--crossdb would expose inventory.db to public SQL; refused")
    refused = [a for a in extra if a.split("=")[0] in WATCH_REFUSES]
    if watch and refused:
        raise CatalogError(f"{' '.join(refused)} cannot be passed to Datasette when "
                           "`catalog serve` watches the build",
                           hint="use catalog serve's own --host/--port, or --no-watch")
    out_dir = (ensure_built(project, build_dir) if build else build_dir or project.build_dir)
    for db in (PUBLIC_FILE, INVENTORY_FILE):
        if not (out_dir / db).is_file():
            raise CatalogError(f"{out_dir / db} does not exist", hint="run `catalog build`")
        check_layout(out_dir / db)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    env, notice = environment(project.root, signin_url=f"http://{shown}:{port}/-/login")
    problem = sso_problem({**os.environ, **env})
    if problem:
        raise CatalogError(problem, hint="docs/security.md, \"Staff sign-in\"")
    env.update(proxy_environment(os.environ))
    check_usage_settings(out_dir, {**os.environ, **env})
    if not watch:
        argv = Site(project, out_dir).argv(host, port) + extra
        print(" ".join(argv), file=sys.stderr)
        if notice:
            print(notice, file=sys.stderr)
        os.execvpe(sys.executable, [sys.executable, "-m", "datasette", *argv[1:]],
                   {**os.environ, **env})
    if notice:
        print(notice, file=sys.stderr)
    return Supervisor(project, out_dir, host, port, extra, env).run()


def check_layout(db: Path) -> None:
    """Refuse a database whose table layout is not the one this code reads (a build
    made by another version of the catalog: its pages and search would fail)."""
    from .compile import layout

    found = built_meta(db, "layout_version")
    if found != layout.LAYOUT_VERSION:
        raise CatalogError(
            f"{db} has table layout {found or 'unknown'}; this catalog reads layout "
            f"{layout.LAYOUT_VERSION}",
            hint="rebuild it with this version (`catalog build`, or `catalog publish` a "
                 "new build to a replica)")


def check_usage_settings(build_dir: Path, environ: dict[str, str]) -> None:
    """The usage settings and store URL, checked before anything starts (the store itself
    is not opened: a site never waits for it)."""
    from .usage.config import UsageConfig
    from .usage.store import normalise_url

    normalise_url(UsageConfig.from_env(build_dir, environ).url)


# -- the supervisor ---------------------------------------------------------------------------


def _stamp(build_dir: Path) -> tuple[tuple[int, int, int] | None, ...]:
    """Cheap identity of the current pair of databases (inode, mtime, size)."""
    out: list[tuple[int, int, int] | None] = []
    for db in DATABASES:
        try:
            st = os.stat(build_dir / db)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)


def serving_roots(build_dir: Path) -> list[Path]:
    """Where snapshots go: ``build/.serving/``, or a private temporary folder when the
    build folder is read-only (then they are copies, not links)."""
    return [build_dir / SERVING_DIR,
            Path(tempfile.gettempdir()) / f"catalog-serving-{os.getuid()}"]


def snapshot(source: Path, target: Path) -> str | None:
    """Pin the pair of databases in ``source`` (a build folder, or another snapshot):
    hard links (copies where links are impossible) in ``target``. Returns the source
    hash, or None while the two databases come from different builds (a build between
    its two renames)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    try:
        for db in DATABASES:
            try:
                os.link(source / db, target / db)
            except FileNotFoundError:
                shutil.rmtree(target, ignore_errors=True)
                return None
            except OSError:  # a file system without hard links, or another one
                shutil.copy2(source / db, target / db)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    digests = {built_hash(target / db) for db in DATABASES}
    digest = digests.pop() if len(digests) == 1 else None
    if digest is None:
        shutil.rmtree(target, ignore_errors=True)
    return digest


def clean_stale_snapshots(build_dir: Path) -> None:
    """Remove the snapshots of supervisors that no longer run (e.g. killed with -9)."""
    for serving in serving_roots(build_dir):
        if not serving.is_dir():
            continue
        for entry in serving.iterdir():
            pid = entry.name.split(".")[0]
            if not pid.isdigit() or not alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)


def _listen(host: str, port: int, wait: float = 10.0) -> socket.socket:
    """The listening socket; waits a little for a port that a process which was just
    stopped (or killed) still holds while it finishes its last requests."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    deadline = time.monotonic() + wait
    while True:
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            break
        except OSError as e:
            sock.close()
            if e.errno == errno.EADDRINUSE and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise CatalogError(f"cannot listen on {host}:{port}: {e.strerror}",
                               hint="is another server running? choose another --port"
                               ) from None
    sock.listen(2048)
    return sock


class Forked:
    """A child process made with ``fork()``, with the part of ``subprocess.Popen``'s
    interface the supervisor uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = 1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.01)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@dataclass
class Child:
    """One Datasette process serving one snapshot."""

    proc: Forked
    control: int  # we write "go" and "stop" here; closing it = stop
    status: int  # it writes "ready" and "stopped" here
    snapshot: Path
    digest: str
    said: list[bytes] = field(default_factory=list)
    _partial: bytes = b""

    def tell(self, line: bytes) -> bool:
        try:
            os.write(self.control, line + b"\n")
        except OSError:  # it died: the caller sees it
            return False
        return True

    def wait_for(self, word: bytes, timeout: float,
                 give_up: Callable[[], bool] = lambda: False) -> bool:
        """Wait until the child says ``word`` (False: it exited, timed out, or give_up())."""
        deadline = time.monotonic() + timeout
        while word not in self.said:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.status], [], [], max(0.0, min(remaining, 0.1)))
            if ready:
                chunk = os.read(self.status, 256)
                if not chunk:
                    return False
                *lines, self._partial = (self._partial + chunk).split(b"\n")
                self.said += [line.strip() for line in lines]
            elif remaining <= 0 or give_up():
                return False
        return True

    def close(self) -> None:
        for fd in (self.control, self.status):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.snapshot is not None:
            shutil.rmtree(self.snapshot, ignore_errors=True)


def yield_cpu(pid: int, niceness: int = 19) -> None:
    """Set the niceness of every thread of ``pid`` (Linux priorities are per thread; a
    process may always lower its own children's priority, and raise it back only with
    CAP_SYS_NICE: a process whose successor failed to start then stays at the lowest
    priority until the next switch replaces it)."""
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        threads = [pid]
    for tid in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
        except OSError:
            pass


@dataclass
class Failed:
    """A build that could not be started, and when to try it again."""

    stamp: tuple[tuple[int, int, int] | None, ...]
    attempts: int
    retry_at: float


class Supervisor:
    """Serve one build at a time from a socket this process owns (see the module doc)."""

    def __init__(self, project: Project, build_dir: Path, host: str, port: int,
                 extra: list[str], env: dict[str, str]) -> None:
        import secrets

        from .usage.config import default_url

        self.project = project
        self.build_dir = build_dir
        self.host, self.port, self.extra = host, port, extra
        self.env = {**os.environ, **env}
        # one secret for every process: signed cookies survive the switch to a new build
        self.env.setdefault("DATASETTE_SECRET", secrets.token_hex(32))
        # the usage store stays beside build/public.db, not beside a snapshot
        self.env.setdefault("CATALOG_USAGE_URL", default_url(build_dir))
        self.current: Child | None = None
        self.retired: list[Child] = []
        self.failed: dict[str, Failed] = {}
        self.crashes: list[float] = []
        self.generation = 0
        self.stopping = False
        self.sock: socket.socket | None = None
        self.serving_root = serving_roots(build_dir)[0]

    def _stop_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _spawn(self, snap: Path, digest: str) -> Child:
        """Fork a Datasette process on ``snap`` (this process imported what it needs)."""
        from .site.config import Site

        assert self.sock is not None
        argv = Site(self.project, snap).argv(self.host, self.port)[2:] + self.extra
        control_r, control_w = os.pipe()
        status_r, status_w = os.pipe()
        listen = self.sock.fileno()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the supervisor's code
            forked_child(listen, control_r, status_w, argv, self.env)
        os.close(control_r)
        os.close(status_w)
        return Child(Forked(pid), control_w, status_r, snap, digest)

    def _retire(self, child: Child, *, force: bool = False, quit: bool = False) -> None:
        """Stop ``child`` (it finishes its requests unless ``force``); reaped later.
        ``quit``: the whole server stops, so its last usage flushes are kept short."""
        if force:
            child.proc.kill()
        elif child.proc.poll() is None and b"stopped" not in child.said:
            if not child.tell(b"quit" if quit else b"stop"):
                child.proc.send_signal(signal.SIGTERM)
        self.retired.append(child)

    def _reap(self, *, wait: float = 0.0) -> None:
        deadline = time.monotonic() + wait
        for child in list(self.retired):
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                if wait:
                    child.proc.kill()
                    child.proc.wait()
                else:
                    continue
            child.close()
            self.retired.remove(child)

    def _snapshot_dir(self) -> Path:
        self.generation += 1
        name = f"{os.getpid()}.{self.generation}"
        try:
            self.serving_root.mkdir(exist_ok=True)
        except OSError as e:
            if e.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise CatalogError(f"cannot write {self.serving_root}: {e.strerror}",
                                   hint="the server pins each build there") from None
            fallback = serving_roots(self.build_dir)[1]
            print(f"{self.build_dir} is read-only ({e.strerror}): serving copies of its "
                  f"databases from {fallback}", file=sys.stderr)
            self.serving_root = fallback
            fallback.mkdir(mode=0o700, exist_ok=True)
        return self.serving_root / name

    def pin(self, source: Path) -> tuple[Path, str] | None:
        target = self._snapshot_dir()
        digest = snapshot(source, target)
        return (target, digest) if digest else None

    def switch(self, snap: Path, digest: str) -> bool:
        """Start Datasette on ``snap``; once it is warm, hand the socket over to it. The
        old process (which is about to go) yields the processor to the new one."""
        child = self._spawn(snap, digest)
        if self.current is not None:
            yield_cpu(self.current.proc.pid)
        if not child.wait_for(b"ready", READY_SECONDS, lambda: self.stopping):
            self._retire(child, force=True)
            if self.current is not None:  # it goes on serving: its priority back, if allowed
                yield_cpu(self.current.proc.pid, 0)
            if not self.stopping:
                print(f"Datasette did not start on build {digest[:12]}"
                      + (f"; still serving {self.current.digest[:12]}" if self.current else ""),
                      file=sys.stderr, flush=True)
            return False
        old = self.current
        if old is not None:
            self._retire(old)
            # connections wait in the socket's queue until the new process accepts them
            old.wait_for(b"stopped", HANDOVER_SECONDS)
        child.tell(b"go")  # if it died after saying ready, the main loop sees its exit
        self.current = child
        print(f"serving build {digest[:12]} on http://{self.host}:{self.port}/ "
              f"(Datasette pid {child.proc.pid})", file=sys.stderr, flush=True)
        return True

    def run(self) -> int:
        clean_stale_snapshots(self.build_dir)
        os.environ.update(self.env)  # what every forked process runs with
        preload()
        self.sock = _listen(self.host, self.port)
        previous = {s: signal.signal(s, self._stop_signal) for s in (signal.SIGINT,
                                                                     signal.SIGTERM)}
        try:
            return self._loop()
        finally:
            if self.current is not None:
                self._retire(self.current, quit=True)
            self.current = None
            self._reap(wait=STOP_SECONDS)
            self.sock.close()
            try:
                (self.build_dir / SERVING_DIR).rmdir()
            except OSError:
                pass
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _failed(self, digest: str, stamp: tuple[tuple[int, int, int] | None, ...]) -> None:
        before = self.failed.get(digest)
        attempts = before.attempts + 1 if before and before.stamp == stamp else 1
        delay = min(RETRY_MAX, RETRY_FIRST * 2 ** (attempts - 1))
        self.failed[digest] = Failed(stamp, attempts, time.monotonic() + delay)
        print(f"build {digest[:12]} will be tried again in {delay:g} s (or as soon as it "
              "is rebuilt)", file=sys.stderr, flush=True)

    def _waiting(self, digest: str, stamp: tuple[tuple[int, int, int] | None, ...]) -> bool:
        """A build that failed to start and whose retry is not due (nor rebuilt since)."""
        failed = self.failed.get(digest)
        return failed is not None and failed.stamp == stamp and \
            time.monotonic() < failed.retry_at

    def _replace_dead(self, code: int) -> bool:
        """The current Datasette process died: start another on its build (False: it
        died too often; the supervisor gives up)."""
        assert self.current is not None
        dead, self.current = self.current, None
        now = time.monotonic()
        self.crashes = [t for t in self.crashes if now - t < CRASH_WINDOW] + [now]
        print(f"Datasette (pid {dead.proc.pid}) exited with code {code}",
              file=sys.stderr, flush=True)
        if len(self.crashes) > CRASHES_ALLOWED:
            self.retired.append(dead)
            print(f"it died {len(self.crashes)} times within {CRASH_WINDOW:g} s: giving up",
                  file=sys.stderr, flush=True)
            return False
        pinned = self.pin(dead.snapshot)
        self.retired.append(dead)
        return pinned is not None and self.switch(*pinned)

    def _loop(self) -> int:
        first = self.pin(self.build_dir)
        if first is None:
            raise CatalogError(f"{self.build_dir}: inventory.db and public.db come from "
                               "different builds", hint="run `catalog build`")
        if not self.switch(*first):
            return 1
        # () compares the hashes once: a build may have landed while the first one started
        seen: tuple[tuple[int, int, int] | None, ...] = ()
        while not self.stopping:
            time.sleep(POLL_SECONDS)
            self._reap()
            assert self.current is not None
            code = self.current.proc.poll()
            if code is not None and not self.stopping:
                if not self._replace_dead(code):
                    return code or 1
                continue
            stamp = _stamp(self.build_dir)
            if stamp == seen and not any(f.stamp == stamp for f in self.failed.values()):
                continue
            seen = stamp
            hashes = {built_hash(self.build_dir / db) for db in DATABASES}
            if len(hashes) != 1 or None in hashes:
                continue  # mid-build or unreadable
            digest = hashes.pop()
            assert digest is not None
            if digest == self.current.digest or self._waiting(digest, stamp):
                continue  # already served, or failed to start and not due again
            pinned = self.pin(self.build_dir)
            if pinned is None:
                seen = ()  # a build renamed a file meanwhile: look again
                continue
            if self.switch(*pinned):
                self.failed.pop(digest, None)
            elif not self.stopping:
                self._failed(digest, stamp)
        return 0


# -- one Datasette process on the supervisor's socket ------------------------------------------


async def _warm_up(app: Any) -> None:
    """First requests in-process before accepting, so that the first readers of a new
    build find its per-build values computed (catalog.site.caching.once makes the rest
    wait for one computation, never compute their own): the home page (templates,
    public.db), a search (the facet index) and data.json (the exports' catalog). They
    never touch the usage store and are not counted as use."""
    import httpx

    from .usage.middleware import WARM_UP_HEADER

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost",
                                 headers={WARM_UP_HEADER: "1"}) as client:
        for path in WARM_PATHS:
            response = await client.get(path)
            if response.status_code >= 500:
                raise SystemExit(f"{path} answered {response.status_code} while warming up")


def preload() -> None:
    """Import Datasette, and with it the plugins (loaded through their ``datasette`` entry
    points when ``datasette.plugins`` is imported) and everything they import: the slow part
    of a start, done once by the supervisor and shared by every process it forks."""
    import datasette.app  # noqa: F401
    import datasette.cli  # noqa: F401
    import httpx  # noqa: F401
    import uvicorn  # noqa: F401


def forked_child(listen_fd: int, control_fd: int, status_fd: int, argv: list[str],
                 env: dict[str, str]) -> None:
    """The first code a forked Datasette process runs: it keeps only its own descriptors
    (so that it sees the supervisor's end of CONTROL_FD close when the supervisor dies),
    runs :func:`serve_child` and exits without ever returning into the supervisor's
    code; its own atexit handlers (the usage counts' last flush) run first."""
    import atexit
    import traceback

    code = 1
    try:
        atexit._clear()  # the supervisor's are not this process's
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        keep = {0, 1, 2, listen_fd, control_fd, status_fd}
        for fd in [int(n) for n in os.listdir("/proc/self/fd")]:
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.environ.update(env)
        health = sys.modules.get("catalog.site.health")
        if health is not None:
            health.STARTED = time.time()  # type: ignore[attr-defined]
        serve_child(listen_fd, control_fd, status_fd, argv)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 -- a Datasette that could not start: say why
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class OneWrite:
    """A transport that sends what one turn of the event loop writes as one write.

    uvicorn writes a response's head and its body separately; a replica killed
    between the two would leave the balancer a head without a body, which it can
    neither complete nor retry. Joined, a response is on the wire whole or not at
    all (then HAProxy retries it elsewhere: docs/deploy/haproxy.cfg). Nothing waits
    longer than the current turn of the loop."""

    def __init__(self, transport: Any) -> None:
        import asyncio

        self._loop = asyncio.get_running_loop()
        self._transport = transport
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._parts:
            self._loop.call_soon(self.flush)
        self._parts.append(bytes(data))

    def flush(self) -> None:
        if self._parts:
            data = b"".join(self._parts)
            self._parts.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def serve_child(listen_fd: int, control_fd: int, status_fd: int, argv: list[str]) -> None:
    """``datasette serve ARGV`` on the inherited listening socket, in a process forked by
    :class:`Supervisor`.

    It starts Datasette and warms it up, says ``ready`` on STATUS_FD, and accepts only
    after ``go`` on CONTROL_FD. On ``stop`` (or SIGTERM, or when the supervisor's end of
    CONTROL_FD closes because the supervisor is gone) it stops accepting at once and
    says ``stopped``, then drains: every response it still sends carries ``Connection:
    close`` and idle keep-alive connections close at their idle timeout, so that no
    client has a connection closed under a request it already sent; then it returns.
    """
    import asyncio
    import threading

    go, stopping = threading.Event(), threading.Event()
    serving: list[Any] = []
    draining = [False]

    def say(word: bytes) -> None:
        try:
            os.write(status_fd, word + b"\n")
        except OSError:  # the supervisor is gone
            pass

    def stop() -> None:
        stopping.set()
        go.set()
        for server in serving:
            server.begin_drain()

    def obey() -> None:
        with os.fdopen(control_fd, "rb") as control:
            for line in control:
                word = line.strip()
                if word == b"go":
                    go.set()
                elif word in (b"stop", b"quit"):
                    if word == b"stop":  # replaced by a new build's: nobody waits for it
                        recorder = sys.modules.get("catalog.usage.recorder")
                        if recorder is not None:
                            recorder.EXIT_SECONDS = recorder.HANDOVER_SECONDS  # type: ignore
                    stop()
        stop()  # the supervisor is gone

    def on_sigterm(signum: int, frame: Any) -> None:
        if not serving:
            raise SystemExit(0)  # not accepting yet: nothing to finish
        stop()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    signal.signal(signal.SIGTERM, on_sigterm)
    threading.Thread(target=obey, name="supervisor", daemon=True).start()

    import uvicorn
    from datasette import cli as datasette_cli
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Draining(H11Protocol):
        """On shutdown, leaves keep-alive connections open until they have been idle
        for ``DRAIN_IDLE_SECONDS`` (a client that is about to send a request on one is
        not cut off); responses say ``Connection: close``."""

        last_active = 0.0

        def connection_made(self, transport: Any) -> None:
            self.last_active = time.monotonic()
            super().connection_made(OneWrite(transport))  # type: ignore[arg-type]

        def data_received(self, data: bytes) -> None:
            self.last_active = time.monotonic()
            super().data_received(data)

        def on_response_complete(self) -> None:
            self.last_active = time.monotonic()
            super().on_response_complete()

        def unread(self) -> bool:
            """Bytes (a request) wait in the socket that the event loop has not read yet
            (it may have been busy, or starved of the processor): then it is not idle."""
            sock = self.transport.get_extra_info("socket")
            if sock is None:
                return False
            try:
                return bool(select.select([sock.fileno()], [], [], 0)[0])
            except (OSError, ValueError):
                return False

        def idle_for(self) -> float:
            if self.cycle is not None and not self.cycle.response_complete:
                return 0.0
            return time.monotonic() - self.last_active

        def shutdown(self) -> None:
            if self.cycle is not None and not self.cycle.response_complete \
                    and self.cycle.response_started:
                return  # this response is on its way; the next request is told to close
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.keep_alive = False

    def closing(app: Any) -> Any:
        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            async def send_closing(message: dict[str, Any]) -> None:
                if draining[0] and message.get("type") == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", [])
                               if k.lower() != b"connection"]
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
                await send(message)
            await app(scope, receive, send_closing if scope.get("type") == "http" else send)
        return wrapped

    class Server(uvicorn.Server):
        loop: asyncio.AbstractEventLoop | None = None

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            self.loop = asyncio.get_running_loop()
            await super().startup(sockets)
            if stopping.is_set():
                self.begin_drain()

        def begin_drain(self) -> None:
            if self.loop is not None:
                self.loop.call_soon_threadsafe(self._drain)

        def _drain(self) -> None:
            if draining[0]:
                return
            draining[0] = True
            assert self.loop is not None
            # stop accepting first, then tell the supervisor. Not Server.close(): a
            # connection accepted in the same loop iteration would find the server
            # closed when its transport is made, and be reset; uvicorn closes the
            # servers once those are set up.
            for server in self.servers:
                for sock in server.sockets:
                    self.loop.remove_reader(sock.fileno())
            say(b"stopped")
            self.should_exit = True
            self._close_idle()

        def _close_idle(self) -> None:
            """Close the connections idle for a while, again and again until none is
            left (uvicorn's shutdown waits for them)."""
            for connection in list(self.server_state.connections):
                if isinstance(connection, Draining) and \
                        connection.idle_for() >= DRAIN_IDLE_SECONDS and \
                        not connection.unread():
                    connection.transport.close()
            if self.server_state.connections and self.loop is not None:
                self.loop.call_later(0.25, self._close_idle)

    def run(app: Any, **kwargs: Any) -> None:
        for key in ("host", "port", "uds"):
            kwargs.pop(key, None)
        asyncio.run(_warm_up(app))
        say(b"ready")
        go.wait()
        if stopping.is_set():
            say(b"stopped")
            return
        server = Server(uvicorn.Config(closing(app), http=Draining,
                                       timeout_keep_alive=IDLE_SECONDS,
                                       timeout_graceful_shutdown=DRAIN_SECONDS, **kwargs))
        serving.append(server)
        listener = socket.socket(fileno=listen_fd)  # family and type read from the fd
        server.run(sockets=[listener])

    datasette_cli.uvicorn.run = run  # datasette serve ends with uvicorn.run(app, ...)
    datasette_cli.cli.main(["serve", *argv], prog_name="datasette")
