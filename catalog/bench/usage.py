"""Usage-tracking benchmark: what counting costs the reader, measured in one run.

Starts two real ``datasette serve`` processes (the catalog's own command line,
``Site.argv``) on localhost, one with tracking off and one with it on
(``CATALOG_USAGE_TRACKING``), and drives the same mix of anonymous requests (dataset
pages, their JSON, Datasette row JSON and CSV, search) at both with a fixed number of
client threads over keep-alive connections. The requests go in short blocks that
alternate between the two servers (off-on, then on-off), so that anything else the
machine does slows both alike. Prints requests per second of each, their ratio (the
median of the blocks' paired ratios; target at least 0.95), and checks that the
tracked server stored one count per request (flushed on its timer and at exit).

    python scripts/bench_usage.py --requests 3000 --concurrency 4
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from catalog.dbapi import sqlite3

TARGET = 0.95
MIXES = {
    "site": ("/datasets/{id}", "/datasets/{id}.json", "/public/datasets/{id}.json",
             "/public/fields.csv?dataset_id={id}&_sort=position", "/search?q=town"),
    # the cheapest counted requests: where the cost of counting shows most
    "json": ("/datasets/{id}.json", "/public/datasets/{id}.json"),
}


@dataclass
class Mode:
    tracking: bool
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class BenchResult:
    off: Mode = field(default_factory=lambda: Mode(False))
    on: Mode = field(default_factory=lambda: Mode(True))
    pairs: list[float] = field(default_factory=list)  # per block: off seconds / on seconds
    counted: int = 0
    expected: int = 0

    @property
    def blocks(self) -> int:
        return len(self.pairs)

    @property
    def overall(self) -> float:
        """Requests/s on over requests/s off, all blocks together."""
        return self.on.rate / self.off.rate

    @property
    def ratio(self) -> float:
        """The median of the blocks' paired ratios: a burst of other load on the machine
        during one block moves it less than it moves the overall ratio."""
        return statistics.median(self.pairs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _public_ids(build: Path) -> list[str]:
    conn = sqlite3.connect(build / "public.db")
    try:
        return [r[0] for r in conn.execute(
            "select id from datasets where visibility = 'public' order by id")]
    finally:
        conn.close()


def _serve(root: Path, build: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    from ..project import Project
    from ..site.config import Site
    from ..site.security import proxy_environment

    argv = Site(Project(root), build).argv("127.0.0.1", port)
    merged = {**os.environ, **env}
    proc = subprocess.Popen([sys.executable, "-m", "datasette", *argv[1:]],
                            env={**merged, **proxy_environment(merged)},
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("datasette exited at start")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/actor.json", timeout=1).status_code \
                    == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("datasette did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)  # a graceful stop: the tracked server flushes at exit
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _drive(base: str, urls: list[str], concurrency: int) -> tuple[float, int]:
    """Send every URL once with ``concurrency`` threads; (seconds, errors)."""
    lock = threading.Lock()
    queue = iter(urls)
    errors = [0]

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30,
                          headers={"user-agent": "Mozilla/5.0 (bench)"}) as client:
            while True:
                with lock:
                    url = next(queue, None)
                if url is None:
                    return
                status = client.get(url).status_code
                if status != 200:
                    with lock:
                        errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, errors[0]


def run(root: Path, build: Path, *, requests: int = 2000, concurrency: int = 4,
        block: int = 100, warmup: int = 100, mix_name: str = "site") -> BenchResult:
    ids = _public_ids(build)
    mix = [p.format(id=i) for i, p in itertools.product(ids, MIXES[mix_name])]
    urls = list(itertools.islice(itertools.cycle(mix), requests))
    result = BenchResult()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "usage.db"
        servers: dict[bool, tuple[subprocess.Popen[bytes], str]] = {}
        try:
            for tracking in (False, True):
                port = _free_port()
                env = {"CATALOG_USAGE_TRACKING": "on" if tracking else "off",
                       "CATALOG_USAGE_URL": f"sqlite:///{store}",
                       "DATASETTE_SECRET": secrets.token_hex(16)}
                servers[tracking] = (_serve(root, build, port, env),
                                     f"http://127.0.0.1:{port}")
            for tracking in (False, True):
                _drive(servers[tracking][1], urls[:warmup], concurrency)
            for i in range(0, len(urls), block):
                chunk = urls[i:i + block]
                order = (False, True) if (i // block) % 2 == 0 else (True, False)
                took = {}
                for tracking in order:
                    seconds, errors = _drive(servers[tracking][1], chunk, concurrency)
                    mode = result.on if tracking else result.off
                    mode.requests += len(chunk)
                    mode.seconds += seconds
                    mode.errors += errors
                    took[tracking] = seconds
                result.pairs.append(took[False] / took[True])
        finally:
            for proc, _ in servers.values():
                _stop(proc)
        result.expected = warmup + requests
        if store.exists():
            conn = sqlite3.connect(store)
            result.counted = int(conn.execute(
                "select coalesce(sum(hits), 0) from usage_daily").fetchone()[0])
            conn.close()
    return result


def _sample_build(root: Path, out: Path) -> Path:
    from ..build import build
    from ..project import Project

    outcome = build(Project(root), out, allow_warnings=True)
    if outcome.result is None:
        raise RuntimeError("the inventory has errors; run `catalog validate`")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000,
                        help="requests to each server")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--block", type=int, default=100,
                        help="requests per block; blocks alternate between the servers")
    parser.add_argument("--mix", choices=sorted(MIXES), default="site",
                        help="site: pages, JSON, CSV and search; json: JSON only")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2],
                        help="project folder (default: this repository)")
    parser.add_argument("--build", type=Path, default=None,
                        help="a built catalog (default: the project's inventory compiled "
                             "into a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        build = args.build or _sample_build(args.root, Path(tmp))
        result = run(args.root, build, requests=args.requests,
                     concurrency=args.concurrency, block=args.block, mix_name=args.mix)
    print(f"{args.requests} requests ({args.mix} mix) to each server in {result.blocks} "
          f"alternating blocks, {args.concurrency} client threads")
    for mode in (result.off, result.on):
        print(f"tracking {'on: ' if mode.tracking else 'off:'} {mode.rate:8.1f} req/s "
              f"({mode.seconds:.2f} s, {mode.errors} errors)")
    print(f"ratio on/off: {result.ratio:.3f} median of the blocks' paired ratios "
          f"(overall {result.overall:.3f}; target >= {TARGET})")
    print(f"counted: {result.counted} of {result.expected} requests to the tracked server")
    ok = result.ratio >= TARGET and result.counted == result.expected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
