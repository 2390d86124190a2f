"""`catalog serve` end to end: a real Datasette process on a free localhost port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .conftest import REPO, MakeProject


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def start(root: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CATALOG_") and k != "DATASETTE_SECRET"}
    return subprocess.Popen(
        [sys.executable, "-m", "catalog", "serve", "--root", str(root), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def wait(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if fetch(f"http://127.0.0.1:{port}/-/actor.json")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_serve_builds_then_serves_public_and_guards_inventory(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    for part in ("inventory", "standards"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "metadata.yml", root / "metadata.yml")
    port = free_port()
    proc = start(root, port)
    try:
        wait(port, proc)
        base = f"http://127.0.0.1:{port}"
        assert fetch(f"{base}/public.json")[0] == 200
        assert fetch(f"{base}/inventory.json")[0] == 403
        status, body = fetch(f"{base}/-/databases.json")
        assert status == 200 and "inventory" not in body
    finally:
        out = stop(proc)
    assert (root / "build" / "public.db").is_file()
    assert "built " in out and "  Password:   " in out and "--crossdb" not in out
    assert f"      http://127.0.0.1:{port}/-/login" in out.splitlines()
    assert (root / "catalog-auth.yml").is_file()

    port = free_port()
    proc = start(root, port)  # unchanged inventory: no rebuild, no new password
    try:
        wait(port, proc)
    finally:
        out = stop(proc)
    assert "built " not in out and "Password:" not in out


def test_serve_prints_the_warnings_it_builds_through(make_project: MakeProject) -> None:
    """`catalog serve` builds with warnings (a steward previews a change), and shows them:
    the file, line and code of each, and how many, before the server's log."""
    from .conftest import DATASET

    text = DATASET.split("distributions:")[0] + "license:" + DATASET.split("license:")[1]
    root = make_project({"inventory/tst/tst-town-counts.yml": text})
    port = free_port()
    proc = start(root, port)
    try:
        wait(port, proc)
    finally:
        out = stop(proc)
    assert "inventory/tst/tst-town-counts.yml:14:3 warning public-without-distribution" in out
    # as many as were printed (the fixture's classification date also falls due as days pass)
    served = re.search(r"served with (\d+) warning\(s\)", out)
    assert served and int(served[1]) == len(re.findall(r"^\S+:\d+:\d+ warning ", out, re.M))
    assert served.start() < out.index("  Password:   ")


def test_once_computes_one_value_for_concurrent_callers() -> None:
    """Single flight (catalog.site.caching.once): concurrent misses of one per-build
    value wait for one computation; its exception reaches every waiter; a waiter that is
    cancelled does not cancel it for the others; a later call computes afresh."""
    import asyncio

    from catalog.site.caching import once

    calls: list[str] = []

    async def slow(value: str) -> str:
        calls.append(value)
        await asyncio.sleep(0.05)
        return value

    async def boom() -> str:
        calls.append("boom")
        await asyncio.sleep(0.01)
        raise ValueError("no")

    async def main() -> None:
        results = await asyncio.gather(*(once("k", lambda: slow("a")) for _ in range(32)))
        assert results == ["a"] * 32 and calls == ["a"]
        errors = await asyncio.gather(*(once("e", boom) for _ in range(8)),
                                      return_exceptions=True)
        assert all(isinstance(e, ValueError) for e in errors) and calls.count("boom") == 1
        first = asyncio.ensure_future(once("c", lambda: slow("c")))
        second = asyncio.ensure_future(once("c", lambda: slow("c")))
        await asyncio.sleep(0.01)
        first.cancel()
        assert await second == "c" and calls.count("c") == 1
        assert await once("k", lambda: slow("b")) == "b"  # done: a new computation

    asyncio.run(main())


def test_a_response_goes_out_in_one_write() -> None:
    """docs/deploy.md: a replica writes a response's head and body in one write, so a
    kill leaves the balancer a whole response or none (which it retries elsewhere)."""
    import asyncio

    from catalog.serve import OneWrite

    class Wire:
        def __init__(self) -> None:
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

        def get_extra_info(self, name: str) -> str:
            return f"info:{name}"

    async def respond() -> tuple[list[bytes], list[bytes], Wire]:
        wire = Wire()
        transport = OneWrite(wire)
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(bytearray(b"ok"))
        same_turn = list(wire.writes)
        await asyncio.sleep(0)  # the loop turns
        after = list(wire.writes)
        transport.write(b"HTTP/1.1 404 Not Found\r\n\r\n")
        transport.close()  # closing sends what is waiting first
        assert transport.get_extra_info("socket") == "info:socket"
        return same_turn, after, wire

    same_turn, after, wire = asyncio.run(respond())
    assert same_turn == []
    assert after == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    assert wire.writes[1:] == [b"HTTP/1.1 404 Not Found\r\n\r\n"] and wire.closed


def test_every_export_is_computed_before_ready(sample_build: Path, tmp_path: Path,
                                               auth_env: dict[str, str]) -> None:
    """The warm-up a new process runs before it says ready computes every catalog export
    of its build (a new build: a new file), so no reader waits for one."""
    import asyncio

    from catalog.interop import EXPORTS
    from catalog.project import Project
    from catalog.serve import _warm_up
    from catalog.site import exports
    from catalog.site.config import Site

    build = tmp_path / "build"
    shutil.copytree(sample_build, build)
    before = exports._encoded.cache_info()
    asyncio.run(_warm_up(Site(Project(REPO), build).app().app()))
    warmed = exports._encoded.cache_info()
    assert warmed.misses - before.misses == len(EXPORTS)
    for name in EXPORTS:
        assert exports.encoded(name, build / "public.db").identity
    assert exports._encoded.cache_info().misses == warmed.misses  # none computed again


def test_serve_refuses_a_build_of_another_table_layout(sample_build: Path,
                                                       tmp_path: Path) -> None:
    """A build folder made by another version (its meta says another layout) is refused
    with the reason and the way out, before anything starts: its pages would fail."""
    from catalog.compile import layout
    from catalog.dbapi import sqlite3

    old = tmp_path / "build"
    shutil.copytree(sample_build, old)
    conn = sqlite3.connect(old / "public.db")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'layout_version'")
    conn.commit()
    conn.close()
    done = subprocess.run([sys.executable, "-m", "catalog", "serve", "--root", str(REPO),
                           "--build-dir", str(old), "--no-build", "--port", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"has table layout 1; this catalog reads layout {layout.LAYOUT_VERSION}" \
        in done.stderr, done.stderr
    assert "catalog build" in done.stderr and "Traceback" not in done.stderr
