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
* several times a second it looks at the build; once both databases carry a new source
  hash it starts Datasette on a snapshot of them, warms it up, stops the old process
  from accepting (it finishes what it has), then lets the new one accept.

``--no-watch`` runs Datasette itself on ``build/`` (restart it after each build).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile import INVENTORY_DB, PUBLIC_DB, built_hash
from .problems import CatalogError, Report, Severity
from .project import Project

DATABASES = (INVENTORY_DB, PUBLIC_DB)
SERVING_DIR = ".serving"  # build/.serving/<supervisor pid>.<generation>/
POLL_SECONDS = 0.2  # two stat() calls; the hashes are read only when a file changed
READY_SECONDS = 120.0  # a new Datasette process must be warm by then
HANDOVER_SECONDS = 10.0  # the old one must have stopped accepting by then
STOP_SECONDS = 30.0  # and finished its requests by then
# the supervisor owns the socket; Datasette's own reloader would fork around it
WATCH_REFUSES = ("-h", "--host", "-p", "--port", "--uds", "--reload", "--get")


def ensure_built(project: Project, out_dir: Path | None = None) -> Path:
    """Build when the sources changed since the last build (with the build cache, and
    under the build lock, as `catalog build` does; warnings do not stop it)."""
    from .build import build

    out_dir = out_dir or project.build_dir
    outcome = build(project, out_dir, allow_warnings=True, if_changed=True)
    if outcome.mode == "blocked":
        from .render import text

        print(text(outcome.report, project.root), file=sys.stderr)
        raise CatalogError(f"the inventory has {len(outcome.report.errors)} error(s); "
                           "not serving", hint="fix them (catalog validate), or serve the "
                           "last build with --no-build")
    if outcome.result is not None:
        print(f"built {out_dir}", file=sys.stderr)
    warned = [p for p in outcome.report if p.severity is Severity.WARNING]
    if warned:
        from .render import text

        print(text(Report(warned), project.root), file=sys.stderr)
        print(f"served with {len(warned)} warning(s): fix them before `catalog build` "
              "(which refuses warnings); staff see them at /staff/problems", file=sys.stderr)
    return out_dir


def serve(project: Project, *, host: str, port: int, build: bool, extra: list[str],
          watch: bool = True) -> int:
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
    out_dir = ensure_built(project) if build else project.build_dir
    for db in (PUBLIC_DB, INVENTORY_DB):
        if not (out_dir / db).is_file():
            raise CatalogError(f"{out_dir / db} does not exist", hint="run `catalog build`")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    env, notice = environment(project.root, signin_url=f"http://{shown}:{port}/-/login")
    problem = sso_problem({**os.environ, **env})
    if problem:
        raise CatalogError(problem, hint="docs/security.md, \"Staff sign-in\"")
    env.update(proxy_environment(os.environ))
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


def snapshot(build_dir: Path, name: str) -> tuple[Path, str] | None:
    """Pin the current pair of databases: hard links (copies where links are impossible)
    in ``build/.serving/<name>/``. Returns the folder and the source hash, or None while
    the two databases come from different builds (a build between its two renames)."""
    target = build_dir / SERVING_DIR / name
    shutil.rmtree(target, ignore_errors=True)
    try:
        target.mkdir(parents=True)
    except OSError as e:
        raise CatalogError(f"cannot write {target}: {e.strerror}",
                           hint="the server pins each build there; make build/ writable, "
                           "or serve with --no-watch") from None
    for db in DATABASES:
        try:
            os.link(build_dir / db, target / db)
        except FileNotFoundError:
            shutil.rmtree(target, ignore_errors=True)
            return None
        except OSError:  # a file system without hard links
            shutil.copy2(build_dir / db, target / db)
    digests = {built_hash(target / db) for db in DATABASES}
    digest = digests.pop() if len(digests) == 1 else None
    if digest is None:
        shutil.rmtree(target, ignore_errors=True)
        return None
    return target, digest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_snapshots(build_dir: Path) -> None:
    """Remove the snapshots of supervisors that no longer run (e.g. killed with -9)."""
    serving = build_dir / SERVING_DIR
    if not serving.is_dir():
        return
    for entry in serving.iterdir():
        pid = entry.name.split(".")[0]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise CatalogError(f"cannot listen on {host}:{port}: {e.strerror}",
                           hint="is another server running? choose another --port") from None
    sock.listen(2048)
    return sock


@dataclass
class Child:
    """One Datasette process serving one snapshot."""

    proc: subprocess.Popen[bytes]
    snapshot: Path
    digest: str
    control: int  # we write "go" here; closing it tells the child to stop
    status: int  # it writes "ready" and "stopped" here
    said: list[bytes] = field(default_factory=list)
    _partial: bytes = b""

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
        shutil.rmtree(self.snapshot, ignore_errors=True)


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
        self.generation = 0
        self.stopping = False
        self.sock: socket.socket | None = None

    def _stop_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _spawn(self, snap: Path, digest: str) -> Child:
        from .site.config import Site

        assert self.sock is not None
        control_r, control_w = os.pipe()
        status_r, status_w = os.pipe()
        listen = self.sock.fileno()
        argv = Site(self.project, snap).argv(self.host, self.port)[2:] + self.extra
        proc = subprocess.Popen(
            [sys.executable, "-m", "catalog.serve", str(listen), str(control_r),
             str(status_w), *argv],
            pass_fds=(listen, control_r, status_w), env=self.env)
        os.close(control_r)
        os.close(status_w)
        return Child(proc, snap, digest, control_w, status_r)

    def _retire(self, child: Child, *, force: bool = False) -> None:
        """Stop ``child`` (it finishes its requests unless ``force``); reaped later."""
        if force:
            child.proc.kill()
        elif child.proc.poll() is None and not child.wait_for(b"stopped", 0):
            child.proc.send_signal(signal.SIGTERM)  # not already stopping (e.g. on Ctrl-C)
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

    def switch(self, snap: Path, digest: str) -> bool:
        """Start Datasette on ``snap``; once it is warm, hand the socket over to it."""
        child = self._spawn(snap, digest)
        if not child.wait_for(b"ready", READY_SECONDS, lambda: self.stopping):
            self._retire(child, force=True)
            if not self.stopping:
                print(f"Datasette did not start on build {digest[:12]}"
                      + (f"; still serving {self.current.digest[:12]}" if self.current else ""),
                      file=sys.stderr)
            return False
        old = self.current
        if old is not None:
            self._retire(old)
            # connections wait in the socket's queue until the new process accepts them
            old.wait_for(b"stopped", HANDOVER_SECONDS)
        try:
            os.write(child.control, b"go\n")
        except BrokenPipeError:
            pass  # it died after saying ready: the main loop sees its exit
        self.current = child
        print(f"serving build {digest[:12]} on http://{self.host}:{self.port}/ "
              f"(Datasette pid {child.proc.pid})", file=sys.stderr, flush=True)
        return True

    def run(self) -> int:
        clean_stale_snapshots(self.build_dir)
        self.sock = _listen(self.host, self.port)
        previous = {s: signal.signal(s, self._stop_signal) for s in (signal.SIGINT,
                                                                     signal.SIGTERM)}
        try:
            return self._loop()
        finally:
            if self.current is not None:
                self._retire(self.current)
                self.current = None
            self._reap(wait=STOP_SECONDS)
            self.sock.close()
            try:
                (self.build_dir / SERVING_DIR).rmdir()
            except OSError:
                pass
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _next_snapshot(self) -> tuple[Path, str] | None:
        self.generation += 1
        return snapshot(self.build_dir, f"{os.getpid()}.{self.generation}")

    def _loop(self) -> int:
        first = self._next_snapshot()
        if first is None:
            raise CatalogError(f"{self.build_dir}: inventory.db and public.db come from "
                               "different builds", hint="run `catalog build`")
        if not self.switch(*first):
            return 1
        # () compares the hashes once: a build may have landed while the first one started
        seen: tuple[tuple[int, int, int] | None, ...] = ()
        failed = ""
        while not self.stopping:
            time.sleep(POLL_SECONDS)
            self._reap()
            assert self.current is not None
            code = self.current.proc.poll()
            if code is not None:
                print(f"Datasette exited with code {code}", file=sys.stderr)
                return code or 1
            stamp = _stamp(self.build_dir)
            if stamp == seen:
                continue
            seen = stamp
            hashes = {built_hash(self.build_dir / db) for db in DATABASES}
            if len(hashes) != 1 or None in hashes or hashes & {self.current.digest, failed}:
                continue  # mid-build, unreadable, already served, or failed to start
            pinned = self._next_snapshot()
            if pinned is None:
                seen = ()  # a build renamed a file meanwhile: look again
                continue
            if not self.switch(*pinned) and not self.stopping:
                failed = pinned[1]
        return 0


# -- one Datasette process on the supervisor's socket ------------------------------------------


async def _warm_up(app: Any) -> None:
    """First requests in-process (schemas, table counts, the home page) before accepting."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        for path in ("/public.json", "/"):
            response = await client.get(path)
            if response.status_code >= 500:
                raise SystemExit(f"{path} answered {response.status_code} while warming up")


def child_main(args: list[str]) -> None:
    """``python -m catalog.serve LISTEN_FD CONTROL_FD STATUS_FD DATASETTE-SERVE-ARGS...``:
    ``datasette serve`` on the inherited listening socket, started by :class:`Supervisor`.

    Says ``ready`` when warm, accepts only after ``go``, says ``stopped`` as soon as it no
    longer accepts (on SIGTERM, or when the supervisor's end of CONTROL_FD closes because
    the supervisor is gone), finishes its requests and exits normally (so atexit handlers,
    such as the usage counts' last flush, run).
    """
    import asyncio
    import threading

    import uvicorn
    from datasette import cli as datasette_cli

    listen_fd, control_fd, status_fd = (int(a) for a in args[:3])
    go, orphaned = threading.Event(), threading.Event()
    serving: list[uvicorn.Server] = []

    def say(word: bytes) -> None:
        try:
            os.write(status_fd, word + b"\n")
        except OSError:  # the supervisor is gone
            pass

    def stop() -> None:
        for server in serving:
            server.should_exit = True

    def obey() -> None:
        with os.fdopen(control_fd, "rb") as control:
            for line in control:
                if line.strip() == b"go":
                    go.set()
        orphaned.set()
        go.set()
        stop()
        os.kill(os.getpid(), signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        if not serving:
            sys.exit(0)  # not accepting yet: nothing to finish
        stop()  # uvicorn's own handler is in place while it serves; this covers the edges

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            for server in self.servers:  # stop accepting first, then tell the supervisor
                server.close()
            say(b"stopped")
            await super().shutdown(sockets)

    def run(app: Any, **kwargs: Any) -> None:
        for key in ("host", "port", "uds"):
            kwargs.pop(key, None)
        asyncio.run(_warm_up(app))
        say(b"ready")
        go.wait()
        serving.append(Server(uvicorn.Config(app, **kwargs)))
        if orphaned.is_set():
            return
        listener = socket.socket(fileno=listen_fd)  # family and type read from the fd
        serving[0].run(sockets=[listener])

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    signal.signal(signal.SIGTERM, on_sigterm)
    threading.Thread(target=obey, name="supervisor", daemon=True).start()
    datasette_cli.uvicorn.run = run  # datasette serve ends with uvicorn.run(app, ...)
    datasette_cli.cli.main(["serve", *args[3:]], prog_name="datasette")


if __name__ == "__main__":
    child_main(sys.argv[1:])
