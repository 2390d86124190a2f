"""Serving benchmark: what the site answers per second at scale, measured in one run.

Generates a synthetic inventory (:mod:`catalog.bench.generate`; default 10,000 datasets
x 40 fields, 20 agencies) or reuses the last one (``--reuse``), builds it, starts two
real ``datasette serve`` processes on localhost with the catalog's own command line
(``Site.argv``), one with usage tracking off and one with it on, and drives both with
``wrk`` (anonymous GETs over keep-alive connections) against:

* ``home``: the home page ``/``;
* ``dataset``: a public dataset's page ``/datasets/<id>``;
* ``search``: the search JSON ``/search.json?q=<word>``, the same URL every time (after
  the first, the page comes from the in-process page cache);
* ``search-varied``: the search JSON for two words drawn at random from the generator's
  vocabulary on every request (a wrk Lua script), so nearly every one misses that cache;
  ``search-page-varied`` the same for the HTML page; ``datasets-search`` and
  ``fields-search``: Datasette's ``_search`` on those tables, one random word each time;
* ``facets``: Datasette's table JSON with a facet, ``/public/datasets.json?_facet=...``;
* each catalog export in ``catalog.interop.EXPORTS`` by its file name (``data.json``,
  ``catalog.jsonld``, ``catalog.ttl``, …), and ``<name>-gzip`` the same asked for with
  ``Accept-Encoding: gzip``; all also from nginx serving the same bytes (``static``,
  a static file server's rate, which the site's should come near);
* ``row``: the floor, Datasette's own row JSON for the same dataset,
  ``/public/datasets/<id>.json``.

Then, for each of ``FRESH_PATHS``, a freshly started ``catalog serve`` (the supervisor,
which warms a new Datasette process before it takes the socket) is driven by the same
32 connections for its first second after it answers its health check: it must answer
in that second, without errors (a cache stampede answered nothing for ten).

The runs go in rounds; in each round every endpoint is measured on both servers, in an
order that alternates (off-on, then on-off), so that anything else the machine does
slows every endpoint and both servers alike. Prints requests per second, p50 and p99
latency and errors per endpoint and server, and the checks against their targets
(``TARGETS``, ``P99_TARGETS``): dataset page / row JSON, each search (repeated and
varied) / row JSON, p99 of the varied searches and the facet listing, the exports / nginx,
tracking on / off, no errors, the fresh servers. The exit status is 1 when one is missed.

    scripts/bench_serve --datasets 10000 --fields 40 --duration 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from catalog.dbapi import sqlite3

from ..interop import EXPORTS
from .generate import WORDS, Scale, generate
from .usage import _free_port, _serve, _stop

REPO = Path(__file__).resolve().parents[2]
USER_AGENT = "Mozilla/5.0 (catalog serving benchmark)"
SEARCH_WORD = "town"
FACETS = ("agency_id", "access_level")
# (name, numerator, denominator, target): throughput ratios the site should reach
TARGETS = (("dataset page / row JSON", "dataset", "row", 0.7),
           ("search JSON / row JSON", "search", "row", 0.5),
           ("varied search JSON / row JSON", "search-varied", "row", 0.5),
           ("varied search page / row JSON", "search-page-varied", "row", 0.5),
           ("varied datasets _search / row JSON", "datasets-search", "row", 0.5),
           ("varied fields _search / row JSON", "fields-search", "row", 0.5))
# (endpoint, p99 in ms it should stay under, on every server)
P99_TARGETS = (("search-varied", 150.0), ("search-page-varied", 150.0),
               ("datasets-search", 150.0), ("fields-search", 150.0), ("facets", 200.0))
# (endpoint, what nginx serving the same bytes reaches that the site should reach)
# every catalog export, as is and asked for gzip-compressed (the endpoints of that name)
EXPORT_NAMES = tuple(n for f in EXPORTS.values() for n in (f.filename, f"{f.filename}-gzip"))
STATIC_TARGETS = tuple((name, 0.8) for name in EXPORT_NAMES)
TRACKING_TARGET = 0.95
# what a freshly started server must answer in its first second under the same load
FRESH_PATHS = (*(f"/{f.filename}" for f in EXPORTS.values()), "/search?q=town", "/search.json")
FRESH_SECONDS = 1
STAMP = "bench-scale.json"
GZIP = "Accept-Encoding: gzip"


# every request a different search: words of the generator's vocabulary put into the
# endpoint's path (a Lua format: each %%s one word); each wrk thread draws its own
# sequence (``setup`` numbers the threads)
VARIED_SEARCH = """
local path = "%s"
local words = {%s}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(seed * 7919 + os.time())
end
function request()
  local a, b = words[math.random(#words)], words[math.random(#words)]
  return wrk.format("GET", string.format(path, a, b))
end
"""


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # what is checked once; with ``varied``, an example of what wrk asks
    varied: str | None = None  # a Lua format: wrk asks for other words every time
    headers: tuple[str, ...] = ()  # request headers ("Name: value") besides wrk's

    def script(self) -> str:
        """The wrk Lua script of a varied endpoint."""
        return VARIED_SEARCH % (self.varied, ", ".join(f'"{w}"' for w in WORDS))


def endpoints(dataset_id: str) -> list[Endpoint]:
    facets = "&".join(f"_facet={f}" for f in FACETS)
    return [
        Endpoint("home", "/"),
        Endpoint("dataset", f"/datasets/{dataset_id}"),
        Endpoint("search", f"/search.json?q={SEARCH_WORD}"),
        Endpoint("search-varied", f"/search.json?q={WORDS[0]}+{WORDS[1]}",
                 varied="/search.json?q=%s+%s"),
        Endpoint("search-page-varied", f"/search?q={WORDS[0]}+{WORDS[1]}",
                 varied="/search?q=%s+%s"),
        Endpoint("datasets-search", f"/public/datasets.json?_search={WORDS[2]}",
                 varied="/public/datasets.json?_search=%s"),
        Endpoint("fields-search", f"/public/fields.json?_search={WORDS[3]}",
                 varied="/public/fields.json?_search=%s"),
        Endpoint("facets", f"/public/datasets.json?{facets}"),
        *(e for f in EXPORTS.values() for e in (
            Endpoint(f.filename, f"/{f.filename}"),
            Endpoint(f"{f.filename}-gzip", f"/{f.filename}", headers=(GZIP,)))),
        Endpoint("row", f"/public/datasets/{dataset_id}.json"),
    ]


# --- wrk ------------------------------------------------------------------------------

@dataclass
class Run:
    """One wrk run, as wrk reports it."""

    requests: int
    seconds: float
    rate: float  # requests/s
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0  # wrk counts status >= 400 ("Non-2xx or 3xx responses")
    socket_errors: int = 0  # connect + read + write + timeout

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.M)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(text: str) -> Run:
    """The figures of ``wrk --latency`` output; ValueError when they are not there."""
    total, rate = _TOTAL.search(text), _RATE.search(text)
    latency = {m[1]: float(m[2]) * _UNITS[m[3]] for m in _LATENCY.finditer(text)}
    if not total or not rate or set(latency) != {"50", "99"}:
        raise ValueError(f"not wrk --latency output:\n{text}")
    sockets, non_2xx = _SOCKET.search(text), _NON_2XX.search(text)
    return Run(requests=int(total[1]),
               seconds=float(total[2]) * _UNITS[total[3]] / 1000,
               rate=float(rate[1]), p50_ms=latency["50"], p99_ms=latency["99"],
               non_2xx=int(non_2xx[1]) if non_2xx else 0,
               socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0)


def wrk(url: str, *, duration: int, connections: int, threads: int,
        timeout: float = 10.0, script: Path | None = None,
        headers: tuple[str, ...] = ()) -> Run:
    """One wrk run against ``url`` (anonymous: no cookie is ever sent)."""
    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    threads = max(1, min(threads, connections))
    argv = [exe, "--latency", "-d", f"{duration}s", "-c", str(connections),
            "-t", str(threads), "--timeout", f"{timeout:g}s",
            "-H", f"User-Agent: {USER_AGENT}"]
    argv += ["-s", str(script)] if script else []
    for header in headers:
        argv += ["-H", header]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=False,
                          timeout=duration + timeout + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


# --- results --------------------------------------------------------------------------

@dataclass
class Figures:
    """All runs of one endpoint on one server."""

    runs: list[Run] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def rate(self) -> float:
        seconds = sum(r.seconds for r in self.runs)
        return self.requests / seconds if seconds else 0.0

    @property
    def p50_ms(self) -> float:
        """The median of the runs' medians (wrk gives percentiles, not the latencies)."""
        return statistics.median(r.p50_ms for r in self.runs) if self.runs else 0.0

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs) if self.runs else 0.0

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


MODE = {False: "off", True: "on"}


@dataclass
class Result:
    endpoints: list[Endpoint]
    modes: tuple[bool, ...] = (False, True)  # the servers measured: tracking off, on
    status: dict[str, int] = field(default_factory=dict)  # endpoint → status of a check GET
    by_mode: dict[bool, dict[str, Figures]] = field(default_factory=dict)
    pairs: list[float] = field(default_factory=list)  # per round and endpoint: on / off
    static: dict[str, Figures] = field(default_factory=dict)  # nginx, the same bytes
    fresh: dict[str, Run] = field(default_factory=dict)  # path → a fresh server's 1st s
    missing: list[str] = field(default_factory=list)  # what could not be measured, why

    def __post_init__(self) -> None:
        for mode in self.modes:
            self.by_mode.setdefault(mode, {e.name: Figures() for e in self.endpoints})

    def figures(self, tracking: bool) -> dict[str, Figures]:
        return self.by_mode[tracking]

    def ratio(self, numerator: str, denominator: str, tracking: bool) -> float:
        figures = self.figures(tracking)
        floor = figures[denominator].rate
        return figures[numerator].rate / floor if floor else 0.0

    @property
    def tracking_ratio(self) -> float | None:
        """The median of the paired ratios (on / off, same endpoint, same round): a burst
        of other load during one run moves it less than it moves an overall ratio."""
        return statistics.median(self.pairs) if self.pairs else None

    @property
    def errors(self) -> int:
        return sum(f.errors for figures in self.by_mode.values() for f in figures.values())

    def checks(self) -> list[tuple[str, str, bool]]:
        """(what, measured, met) for every target."""
        out = []

        def each(num: str, den: str) -> str:
            return ", ".join(f"{self.ratio(num, den, m):.2f} {MODE[m]}" for m in self.modes)

        for label, num, den, target in TARGETS:
            if not all({num, den} <= set(self.figures(m)) for m in self.modes):
                continue
            worst = min(self.ratio(num, den, m) for m in self.modes)
            out.append((f"{label} >= {target}", each(num, den), worst >= target))
        for name, limit in P99_TARGETS:
            if all(name in self.figures(m) for m in self.modes):
                worst_ms = max(self.figures(m)[name].p99_ms for m in self.modes)
                answered = all(self.figures(m)[name].requests for m in self.modes)
                out.append((f"{name} p99 <= {limit:.0f} ms", ", ".join(
                    f"{self.figures(m)[name].p99_ms:.0f} ms {MODE[m]}" if
                    self.figures(m)[name].requests else f"no answer {MODE[m]}"
                    for m in self.modes), answered and worst_ms <= limit))
        for name, target in STATIC_TARGETS:
            if name in self.static and all(name in self.figures(m) for m in self.modes):
                floor = self.static[name].rate
                ratios = {m: self.figures(m)[name].rate / floor if floor else 0.0
                          for m in self.modes}
                out.append((f"{name} / nginx (same bytes) >= {target}", ", ".join(
                    f"{r:.2f} {MODE[m]}" for m, r in ratios.items()),
                    min(ratios.values()) >= target))
        for path, r in self.fresh.items():
            out.append((f"fresh server answers {path} in its first {FRESH_SECONDS} s",
                        f"{r.requests} answers, {r.errors} errors",
                        r.requests > 0 and r.errors == 0))
        for what in self.missing:
            out.append((what, "not measured", False))
        if self.tracking_ratio is not None:
            out.append((f"tracking on / off >= {TRACKING_TARGET}",
                        f"{self.tracking_ratio:.3f}", self.tracking_ratio >= TRACKING_TARGET))
        # a run in which no request finished counts too: wrk reports none of them
        stalled = sum(1 for figures in self.by_mode.values() for f in figures.values()
                      for r in f.runs if r.requests == 0)
        ok = all(s == 200 for s in self.status.values()) and self.errors == 0 and not stalled
        out.append(("every endpoint answers 200, no errors", f"{self.errors} errors"
                    + (f", {stalled} runs with no answer" if stalled else ""), ok))
        return out

    def as_dict(self) -> dict[str, object]:
        def one(f: Figures) -> dict[str, object]:
            return {"requests": f.requests, "rate": f.rate, "p50_ms": f.p50_ms,
                    "p99_ms": f.p99_ms, "errors": f.errors,
                    "runs": [asdict(r) for r in f.runs]}

        return {
            "endpoints": {e.name: {"path": e.path, "status": self.status.get(e.name),
                                   **{MODE[m]: one(self.figures(m)[e.name])
                                      for m in self.modes}}
                          for e in self.endpoints},
            "static": {name: one(f) for name, f in self.static.items()},
            "fresh": {path: asdict(r) for path, r in self.fresh.items()},
            "tracking_ratio": self.tracking_ratio,
            "checks": [{"target": t, "measured": m, "met": ok} for t, m, ok in self.checks()],
        }


def table(result: Result) -> str:
    """One line per endpoint, the servers side by side; then the paths and the checks."""
    both = len(result.modes) == 2
    head = f"{'endpoint':<19}" + "".join(f"{'req/s ' + MODE[m]:>10}" for m in result.modes)
    head += f"{'on/off':>8}" if both else ""
    head += "".join(f"{'p50 ms ' + MODE[m]:>12}{'p99 ms ' + MODE[m]:>12}" for m in result.modes)
    head += f"{'errors':>8}"
    lines = [head, "-" * len(head)]
    for e in result.endpoints:
        figures = [result.figures(m)[e.name] for m in result.modes]
        line = f"{e.name:<19}" + "".join(f"{f.rate:10.1f}" for f in figures)
        if both:
            line += f"{figures[1].rate / figures[0].rate if figures[0].rate else 0.0:8.2f}"
        line += "".join(f"{f.p50_ms:12.2f}{f.p99_ms:12.2f}" for f in figures)
        lines.append(line + f"{sum(f.errors for f in figures):8d}")
    for name, f in result.static.items():
        lines.append(f"{'nginx ' + name:<19}{f.rate:10.1f}" + " " * (
            10 * (len(result.modes) - 1) + (8 if both else 0))
            + f"{f.p50_ms:12.2f}{f.p99_ms:12.2f}" + f"{f.errors:8d}")
    for path, r in result.fresh.items():
        lines.append(f"fresh {path}: {r.requests} answers in its first {r.seconds:.1f} s "
                     f"(p50 {r.p50_ms:.0f} ms, p99 {r.p99_ms:.0f} ms), {r.errors} errors")
    lines += ["", *(f"{e.name:<19}{e.path}{' (and others like it)' if e.varied else ''}"
                    for e in result.endpoints), ""]
    for what, measured, met in result.checks():
        lines.append(f"{'met   ' if met else 'MISSED'} {what:<44} {measured}")
    return "\n".join(lines)


# --- the run --------------------------------------------------------------------------

def public_dataset(build: Path) -> str:
    """A public dataset with fields: the median one by id, so neither end of the table."""
    conn = sqlite3.connect(build / "public.db")
    try:
        ids = [r[0] for r in conn.execute(
            "select id from datasets where visibility = 'public' and exists "
            "(select 1 from fields f where f.dataset_id = datasets.id) order by id")]
    finally:
        conn.close()
    if not ids:
        raise RuntimeError("the build has no public dataset with fields")
    return str(ids[len(ids) // 2])


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def settle(pid: int, *, interval: float = 0.1, limit: float = 120.0) -> None:
    """Wait until the server has stopped working: when wrk stops, the requests it had in
    flight are still being answered, and must not slow the next run."""
    deadline = time.monotonic() + limit
    before = _cpu_ticks(pid)
    if before is None:  # no /proc: a pause instead
        time.sleep(1.0)
        return
    while time.monotonic() < deadline:
        time.sleep(interval)
        now = _cpu_ticks(pid)
        if now is None or now - before <= 1:
            return
        before = now


def _headers(endpoint: Endpoint) -> dict[str, str]:
    out = {"user-agent": USER_AGENT, "accept-encoding": "identity"}
    out.update((k.strip().lower(), v.strip()) for k, _, v in
               (h.partition(":") for h in endpoint.headers))
    return out


def check(base: str, endpoint: Endpoint) -> int:
    """One GET (which also fills any cache the first request fills); its status."""
    return httpx.get(base + endpoint.path, timeout=300, headers=_headers(endpoint)).status_code


def raw_body(base: str, endpoint: Endpoint) -> bytes:
    """The body exactly as the server sends it (gzip-compressed when asked so)."""
    with httpx.stream("GET", base + endpoint.path, timeout=300,
                      headers=_headers(endpoint)) as response:
        response.raise_for_status()
        return b"".join(response.iter_raw())


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {{ application/json json; }}
  gzip_static on;
  server {{ listen 127.0.0.1:{port}; root {dir}/www; }}
}}
"""


def static_server(folder: Path, files: dict[str, bytes]) -> tuple[subprocess.Popen[bytes], str]:
    """nginx (Debian's nginx-light) serving ``files`` from ``folder``: one worker process,
    as the site is one process; ``name.gz`` beside ``name`` is what it sends a reader
    that accepts gzip (``gzip_static``)."""
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                    else None)
    if exe is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
    www = folder / "www"
    www.mkdir(parents=True, exist_ok=True)
    for path in (folder, www):  # its worker runs as another user: ``folder`` must be in a
        path.chmod(0o755)       # folder that user may enter (not a private temp folder)
    for name, body in files.items():
        (www / name).write_bytes(body)
        (www / name).chmod(0o644)
    port = _free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=folder, port=port))
    proc = subprocess.Popen([exe, "-c", str(conf), "-p", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited at start: {(folder / 'error.log').read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(base + "/", timeout=1)
            return proc, base
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("nginx did not start")


def fresh_server(root: Path, build: Path, path: str, *, connections: int, threads: int,
                 env: dict[str, str]) -> Run:
    """Start ``catalog serve`` on ``build`` (no build, watching: the supervisor, which warms
    each new Datasette process before it hands it the socket), wait until it answers its
    health check, and drive ``path`` at once for its first second."""
    port = _free_port()
    argv = [sys.executable, "-m", "catalog", "serve", "--no-build", "--build-dir",
            str(build), "--port", str(port), "--root", str(root)]
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError("catalog serve exited at start")
            if time.monotonic() > deadline:
                raise RuntimeError("catalog serve did not start")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/-/health", timeout=60).status_code == 200:
                    break
            time.sleep(0.05)
        return wrk(base + path, duration=FRESH_SECONDS, connections=connections,
                   threads=threads)
    finally:
        _stop(proc)


def run(build: Path, *, root: Path = REPO, duration: int = 5, warmup: int = 1,
        rounds: int = 2, connections: int = 32, threads: int = 2,
        modes: tuple[bool, ...] = (False, True), progress: bool = False,
        fresh: Path | None = None) -> Result:
    """Serve ``build`` once per mode (usage tracking off, on) and measure every endpoint
    on each, alternating between the servers (and the exports against nginx); then, with
    ``fresh`` (the project folder of ``build``), the first second of fresh servers."""
    result = Result(endpoints(public_dataset(build)), modes=modes)

    def say(text: str) -> None:
        if progress:
            print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[bool, tuple[subprocess.Popen[bytes], str]] = {}
        scripts = {}
        for e in result.endpoints:
            if e.varied:
                scripts[e.name] = Path(tmp) / f"{e.name}.lua"
                scripts[e.name].write_text(e.script())

        last: list[int] = []  # the server the previous run drove
        static: tuple[subprocess.Popen[bytes] | None, str] = (None, "")
        nginx_dir = Path(tempfile.mkdtemp(prefix="catalog-bench-nginx-"))

        def measure(tracking: bool, e: Endpoint, seconds: int) -> Run:
            proc, base = servers[tracking]
            if last:
                settle(last.pop())
            last.append(proc.pid)
            return wrk(base + ("/" if e.varied else e.path), duration=seconds,
                       connections=connections, threads=threads,
                       script=scripts.get(e.name), headers=e.headers)

        def measure_static(e: Endpoint, seconds: int) -> Run:
            if last:
                settle(last.pop())
            return wrk(static[1] + e.path, duration=seconds, connections=connections,
                       threads=threads, headers=e.headers)

        try:
            with ThreadPoolExecutor(2) as pool:  # both start at once: seconds each
                starting = {}
                for tracking in modes:
                    port = _free_port()
                    env = {"CATALOG_USAGE_TRACKING": "on" if tracking else "off",
                           "CATALOG_USAGE_URL": f"sqlite:///{Path(tmp) / 'usage.db'}",
                           "DATASETTE_SECRET": secrets.token_hex(16)}
                    starting[tracking] = (pool.submit(_serve, root, build, port, env), port)
                for tracking, (future, port) in starting.items():
                    with contextlib.suppress(Exception):  # raised again below
                        servers[tracking] = (future.result(), f"http://127.0.0.1:{port}")
                for future, _ in starting.values():
                    future.result()
            for e in result.endpoints:
                result.status[e.name] = max(check(servers[m][1], e) for m in modes)
                if warmup > 0:
                    for tracking in modes:
                        measure(tracking, e, warmup)
            same = {e.name: e for e in result.endpoints if e.name in dict(STATIC_TARGETS)}
            try:
                files = {}
                for e in same.values():  # the bytes the site sends, as it sends them
                    body = raw_body(servers[modes[0]][1], e)
                    files[e.path.lstrip("/") + (".gz" if GZIP in e.headers else "")] = body
                static = static_server(nginx_dir, files)
            except RuntimeError as error:
                result.missing.append(f"exports / nginx: {error}")
                same = {}
            for e in same.values():
                result.static[e.name] = Figures()
                if warmup > 0:
                    measure_static(e, warmup)
            for i in range(rounds):
                for j, e in enumerate(result.endpoints):
                    order = modes if (i + j) % 2 == 0 else modes[::-1]
                    rates = {}
                    for tracking in order:
                        r = measure(tracking, e, duration)
                        result.figures(tracking)[e.name].runs.append(r)
                        rates[tracking] = r.rate
                        say(f"round {i + 1}/{rounds} {e.name:<13} tracking "
                            f"{MODE[tracking]:<3} {r.rate:9.1f} req/s "
                            f"p50 {r.p50_ms:.2f} ms p99 {r.p99_ms:.2f} ms {r.errors} errors")
                    if rates.get(False) and True in rates:
                        result.pairs.append(rates[True] / rates[False])
                    if e.name in same:
                        r = measure_static(e, duration)
                        result.static[e.name].runs.append(r)
                        say(f"round {i + 1}/{rounds} {e.name:<13} nginx        "
                            f"{r.rate:9.1f} req/s p50 {r.p50_ms:.2f} ms p99 {r.p99_ms:.2f} ms")
        finally:
            for proc, _ in servers.values():
                _stop(proc)
            if static[0] is not None:
                static[0].terminate()
                static[0].wait(timeout=20)
            shutil.rmtree(nginx_dir, ignore_errors=True)
        if fresh:
            env = {"CATALOG_USAGE_TRACKING": "off",
                   "CATALOG_USAGE_URL": f"sqlite:///{Path(tmp) / 'fresh-usage.db'}",
                   "DATASETTE_SECRET": secrets.token_hex(16)}
            for path in FRESH_PATHS:
                r = fresh_server(fresh, build, path, connections=connections,
                                 threads=threads, env=env)
                result.fresh[path] = r
                say(f"fresh server {path:<16} {r.requests} answers in {r.seconds:.1f} s, "
                    f"p99 {r.p99_ms:.0f} ms, {r.errors} errors")
    return result


def prepare(out: Path, scale: Scale, *, reuse: bool, progress: bool = False) -> Path:
    """``out/build`` holding a build of the synthetic inventory at ``scale``: the one
    already there when ``reuse`` and it was made at the same scale, else a fresh one."""
    from ..build import build as build_project
    from ..project import Project

    build, stamp = out / "build", out / STAMP
    wanted = asdict(scale)
    if reuse and stamp.is_file() and json.loads(stamp.read_text()) == wanted \
            and (build / "public.db").is_file() and (build / "inventory.db").is_file():
        return build
    start = time.perf_counter()
    generate(out, scale, REPO / "standards")
    outcome = build_project(Project(out), build, allow_warnings=True, full=True)
    if outcome.result is None:
        raise RuntimeError(f"the synthetic inventory has {len(outcome.report.errors)} errors")
    stamp.write_text(json.dumps(wanted))
    if progress:
        print(f"generated and built {scale.datasets} datasets x {scale.fields} fields in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--fields", type=int, default=40)
    parser.add_argument("--agencies", type=int, default=20)
    parser.add_argument("--duration", type=int, default=5,
                        help="seconds of each wrk run (default 5)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of an unmeasured wrk run per endpoint and server first")
    parser.add_argument("--rounds", type=int, default=2,
                        help="measured runs per endpoint and server (default 2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--tracking", choices=("both", "on", "off"), default="both",
                        help="the servers to measure: usage tracking off and on (default), "
                             "or one of them")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir())
                        / "catalog-bench-serve", help="where the synthetic project goes")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the inventory and build in --out when made at this scale")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    scale = Scale(agencies=args.agencies, datasets=args.datasets, fields=args.fields,
                  agreements=max(5, args.datasets // 200))
    build = prepare(args.out, scale, reuse=args.reuse, progress=True)
    result = run(build, duration=args.duration, warmup=args.warmup, rounds=args.rounds,
                 connections=args.connections, threads=args.threads,
                 modes={"both": (False, True), "on": (True,), "off": (False,)}[args.tracking],
                 progress=True, fresh=args.out)
    print(f"{scale.datasets} datasets x {scale.fields} fields ({scale.agencies} agencies); "
          f"wrk -c {args.connections} -t {args.threads}, {args.rounds} x {args.duration} s "
          f"per endpoint and server, alternating")
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return 0 if all(met for _, _, met in result.checks()) else 1


if __name__ == "__main__":
    sys.exit(main())
