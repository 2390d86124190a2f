"""Build switches under load, measured in one run.

``single``: one ``catalog serve`` (watching its build folder) answers ``wrk`` at 32
keep-alive connections while new builds land (a title edited, ``catalog build``, which
patches the databases); reports wrk's errors (socket errors and statuses of 400 or
more: the target is none), the seconds from each build's end to the new build being
served (``/-/health`` polled on new connections: the target is under one), and the
request rate with switches against a run of the same length without.

``replicas``: N ``catalog serve --build-dir`` replicas behind HAProxy
(docs/deploy/haproxy.cfg with this run's ports), sharing one usage store; each new
build goes out with ``catalog publish --wait`` (one replica at a time), and with
``--kill-one`` one replica is killed (``kill -9`` of its process group) after the
rollouts, while wrk goes on.
Reports wrk's errors at the balancer and each replica's switch time.

    scripts/bench_switch --datasets 2000 --switches 5
    scripts/bench_switch --datasets 2000 --replicas 3 --kill-one
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .generate import Scale, generate
from .serve import Run, public_dataset, wrk
from .usage import _free_port as free_port

REPO = Path(__file__).resolve().parents[2]
HAPROXY = Path("/usr/sbin/haproxy")
HAPROXY_CFG = REPO / "docs" / "deploy" / "haproxy.cfg"
SWITCH_TARGET = 1.0  # seconds from a build's end to the new build being served


def served(base: str, timeout: float = 5.0) -> str | None:
    """The source hash a new connection to ``base`` is served from."""
    try:
        with urllib.request.urlopen(base + "/-/health", timeout=timeout) as r:
            return str(json.loads(r.read())["build"]["source_hash"])
    except (OSError, ValueError, KeyError):
        return None


def catalog(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "catalog", *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


def built_hash(build_dir: Path) -> str:
    from catalog.dbapi import sqlite3

    conn = sqlite3.connect(f"file:{build_dir / 'public.db'}?mode=ro", uri=True)
    try:
        return str(conn.execute("select value from meta where key = 'source_hash'")
                   .fetchone()[0])
    finally:
        conn.close()


def prepare(out: Path, scale: Scale, *, reuse: bool) -> Path:
    """A synthetic project at ``scale`` in ``out``, built with ``catalog build`` (so that
    the next builds are incremental, as in use)."""
    stamp = out / "bench-switch-scale.json"
    if not (reuse and stamp.is_file() and json.loads(stamp.read_text()) == asdict(scale)):
        generate(out, scale, REPO / "standards")
        stamp.write_text(json.dumps(asdict(scale)))
    # the site as the repository serves it: its metadata (the plugins come with the package)
    shutil.copy(REPO / "metadata.yml", out / "metadata.yml")
    done = catalog("build", "--root", str(out), "-q")
    if done.returncode != 0:
        raise RuntimeError(f"the synthetic inventory does not build:\n{done.stderr}")
    return out


def edit_and_build(root: Path, n: int) -> float:
    """Change one title, build; returns when the build ended (time.monotonic())."""
    path = root / "inventory" / "ag000" / "ag000-dataset-00000.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^title: .*$", f"title: Switched {n} at {time.time():.0f}",
                           text, count=1), encoding="utf-8")
    done = catalog("build", "--root", str(root), "-q")
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return time.monotonic()


def wait_served(base: str, digest: str, since: float, limit: float = 60.0) -> float:
    """Seconds from ``since`` until new connections to ``base`` get build ``digest``."""
    while served(base, timeout=2.0) != digest:
        if time.monotonic() - since > limit:
            raise RuntimeError(f"build {digest[:12]} not served after {limit:g} s")
        time.sleep(0.01)
    return time.monotonic() - since


class Background(threading.Thread):
    """One wrk run in a thread."""

    def __init__(self, url: str, **kwargs: object) -> None:
        super().__init__(daemon=True)
        self.url, self.kwargs = url, kwargs
        self.result: Run | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = wrk(self.url, **self.kwargs)  # type: ignore[arg-type]
        except BaseException as e:  # noqa: BLE001 -- reported by the caller
            self.error = e

    def finish(self) -> Run:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def start_server(root: Path, port: int, log: Path, *extra: str,
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "catalog", "serve", "--root", str(root), "--no-build",
             "--port", str(port), *extra], stdout=out, stderr=subprocess.STDOUT,
            env={**clean, **(env or {})}, start_new_session=True)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_up(base: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while served(base, timeout=2.0) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not start")
        time.sleep(0.1)


@dataclass
class Figures:
    mode: str
    requests: int
    rate: float
    errors: int
    socket_errors: int
    non_2xx: int
    switches: list[float] = field(default_factory=list)  # seconds each build took to serve
    rate_without: float | None = None  # the same run without switches
    notes: list[str] = field(default_factory=list)

    def checks(self) -> list[tuple[str, str, bool]]:
        out = [("errors under load", f"{self.errors}", self.errors == 0)]
        if self.switches and self.mode == "single":
            out.append((f"new build served within {SWITCH_TARGET:g} s",
                        f"max {max(self.switches):.2f} s", max(self.switches) <= SWITCH_TARGET))
        return out


def single(root: Path, *, duration: int, switches: int, connections: int, threads: int,
           log: Path, baseline: bool = True) -> Figures:
    """One server; ``baseline``: first a run of the same length without switches."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/public/datasets/{public_dataset(root / 'build')}.json"
    server = start_server(root, port, log)
    try:
        wait_up(base)
        wrk(url, duration=1, connections=connections, threads=threads)  # warm
        quiet = wrk(url, duration=duration, connections=connections, threads=threads) \
            if baseline else None
        load = Background(url, duration=duration, connections=connections, threads=threads)
        load.start()
        started = time.monotonic()
        gap = duration / (switches + 1)
        delays = []
        for n in range(switches):
            time.sleep(max(0.0, started + gap * (n + 1) - time.monotonic()))
            ended = edit_and_build(root, n)
            delays.append(wait_served(base, built_hash(root / "build"), ended))
        result = load.finish()
    finally:
        stop_server(server)
    return Figures("single", result.requests, result.rate, result.errors,
                   result.socket_errors, result.non_2xx, delays,
                   quiet.rate if quiet else None)


def haproxy_config(frontend: int, ports: list[int], *, fast_checks: bool = False) -> str:
    """docs/deploy/haproxy.cfg with this machine's ports for the frontend and replicas."""
    text = HAPROXY_CFG.read_text(encoding="utf-8")
    text = text.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{frontend}")
    text, n = re.subn(r"(?m)^    server r\d+ 127\.0\.0\.1:\d+\n", "", text)
    if n == 0:
        raise RuntimeError(f"{HAPROXY_CFG} lists no server")
    if fast_checks:
        text = text.replace("check inter 1s fall 2 rise 2", "check inter 300ms fall 2 rise 1")
    return text.rstrip("\n") + "\n" + "".join(
        f"    server r{i} 127.0.0.1:{port}\n" for i, port in enumerate(ports, 1))


def replicas(root: Path, *, count: int, duration: int, switches: int, connections: int,
             threads: int, kill_one: bool, work: Path) -> Figures:
    if not HAPROXY.is_file():
        raise RuntimeError("HAProxy is not installed (Debian: apt-get install haproxy)")
    folders = [work / f"replica-{n}" for n in range(1, count + 1)]
    ports = [free_port() for _ in folders]
    frontend = free_port()
    cfg = work / "haproxy.cfg"
    cfg.write_text(haproxy_config(frontend, ports, fast_checks=True), encoding="utf-8")
    publish = ["publish", "--root", str(root)]
    done = catalog(*publish, *[a for f in folders for a in ("--to", str(f))])
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    env = {"CATALOG_USAGE_URL": f"sqlite:///{work / 'usage.db'}",
           "DATASETTE_SECRET": "one-secret-for-every-replica"}
    servers = [start_server(root, port, work / f"replica-{n}.log", "--build-dir", str(f),
                            env=env)
               for n, (port, f) in enumerate(zip(ports, folders, strict=True), 1)]
    haproxy = None
    notes: list[str] = []
    try:
        for port in ports:
            wait_up(f"http://127.0.0.1:{port}")
        haproxy = subprocess.Popen([str(HAPROXY), "-f", str(cfg), "-db"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        balancer = f"http://127.0.0.1:{frontend}"
        wait_up(balancer)
        time.sleep(1.0)
        url = f"{balancer}/public/datasets/{public_dataset(root / 'build')}.json"
        load = Background(url, duration=duration, connections=connections, threads=threads)
        load.start()
        started = time.monotonic()
        gap = duration / (switches + 2)
        rollouts: list[float] = []
        for n in range(switches):
            time.sleep(max(0.0, started + gap * (n + 1) - time.monotonic()))
            edit_and_build(root, n)
            rolled = catalog(*publish, *[a for f, p in zip(folders, ports, strict=True)
                                         for a in ("--to", str(f), "--wait",
                                                   f"http://127.0.0.1:{p}")])
            if rolled.returncode != 0:
                raise RuntimeError(rolled.stderr)
            rollouts += [float(s) for s in re.findall(r"after ([\d.]+) s", rolled.stdout)]
        if kill_one:
            time.sleep(max(0.0, started + gap * (switches + 1) - time.monotonic()))
            os.killpg(servers[-1].pid, signal.SIGKILL)
            servers[-1].wait()
            notes.append(f"replica {count} killed (kill -9 of its process group) "
                         f"{time.monotonic() - started:.1f} s into the run")
        result = load.finish()
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait()
        for server in servers:
            stop_server(server)
    return Figures(f"{count} replicas", result.requests, result.rate, result.errors,
                   result.socket_errors, result.non_2xx, rollouts, notes=notes)


def table(figures: Figures) -> str:
    lines = [f"{figures.mode}: {figures.requests} requests, {figures.rate:.1f} req/s, "
             f"errors {figures.errors} (socket {figures.socket_errors}, status >= 400 "
             f"{figures.non_2xx})"]
    if figures.rate_without:
        lines.append(f"  req/s with switches / without: {figures.rate:.1f} / "
                     f"{figures.rate_without:.1f} = {figures.rate / figures.rate_without:.2f}")
    if figures.switches:
        lines.append(f"  new build served after (s): "
                     f"{', '.join(f'{s:.2f}' for s in figures.switches)}; median "
                     f"{statistics.median(figures.switches):.2f}, max "
                     f"{max(figures.switches):.2f}")
    lines += [f"  {note}" for note in figures.notes]
    for what, measured, met in figures.checks():
        lines.append(f"  {'met   ' if met else 'MISSED'} {what}: {measured}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--duration", type=int, default=40, help="seconds of the wrk run")
    parser.add_argument("--switches", type=int, default=5, help="builds during the run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=0,
                        help="N replicas behind HAProxy instead of one server")
    parser.add_argument("--kill-one", action="store_true",
                        help="with --replicas: kill -9 one replica after the rollouts")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir())
                        / "catalog-bench-switch")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    scale = Scale(agencies=args.agencies, datasets=args.datasets, fields=args.fields,
                  agreements=max(2, args.datasets // 200))
    root = prepare(args.out, scale, reuse=args.reuse)
    work = Path(tempfile.mkdtemp(prefix="bench-switch-"))
    if args.replicas:
        figures = replicas(root, count=args.replicas, duration=args.duration,
                           switches=args.switches, connections=args.connections,
                           threads=args.threads, kill_one=args.kill_one, work=work)
    else:
        figures = single(root, duration=args.duration, switches=args.switches,
                         connections=args.connections, threads=args.threads,
                         log=work / "serve.log")
    print(f"{scale.datasets} datasets x {scale.fields} fields; wrk -c {args.connections} "
          f"-t {args.threads} for {args.duration} s, {args.switches} builds during it")
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    return 0 if all(met for _, _, met in figures.checks()) else 1


if __name__ == "__main__":
    sys.exit(main())
