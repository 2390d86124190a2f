"""Load for the serving tests: clients that keep their connections alive, as browsers,
harvesters and load balancers do, and record every answer and every failure."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Answer:
    at: float
    client: int
    connection: int  # how many connections this client had opened, this one included
    status: int
    value: str


@dataclass
class KeepAliveClients:
    """``count`` threads, each with one HTTP/1.1 keep-alive connection, requesting
    ``path`` in a loop. A response saying ``Connection: close`` is followed by a new
    connection (as any client does); anything else that ends a request without a
    complete answer (a reset, a connection closed under a request, a timeout, a status
    of 500 or more) is a failure."""

    host: str
    port: int
    path: str
    value_of: Callable[[bytes], str] = lambda body: ""
    count: int = 32
    timeout: float = 20.0
    answers: list[Answer] = field(default_factory=list)
    failures: list[tuple[float, int, str]] = field(default_factory=list)
    halt: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> KeepAliveClients:
        for n in range(self.count):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _run(self, client: int) -> None:
        opened = 0
        conn: http.client.HTTPConnection | None = None
        while not self.halt.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                opened += 1
            try:
                conn.request("GET", self.path, headers={"User-Agent": "catalog-load-test"})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as e:
                with self._lock:
                    self.failures.append((time.monotonic(), client, repr(e)))
                conn.close()
                conn = None
                continue
            answer = Answer(time.monotonic(), client, opened, response.status,
                            self.value_of(body) if response.status == 200 else "")
            with self._lock:
                if response.status >= 500:
                    self.failures.append((answer.at, client, f"status {response.status}"))
                else:
                    self.answers.append(answer)
            if response.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self.halt.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def reconnections(self) -> int:
        """Connections opened after the first one of each client."""
        last: dict[int, int] = {}
        for a in self.answers:
            last[a.client] = max(last.get(a.client, 0), a.connection)
        return sum(n - 1 for n in last.values())

    def values_by_client(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for a in sorted(self.answers, key=lambda a: a.at):
            out.setdefault(a.client, []).append(a.value)
        return out


def served_build(base: str, timeout: float = 5.0) -> str:
    """The source hash that a new connection to ``base`` is served from (/-/health)."""
    with urllib.request.urlopen(base + "/-/health", timeout=timeout) as r:
        return str(json.loads(r.read())["build"]["source_hash"])


def wait_for_build(base: str, digest: str, seconds: float) -> float:
    """Seconds until new connections get the build ``digest`` (AssertionError after
    ``seconds``)."""
    started = time.monotonic()
    while True:
        try:
            if served_build(base) == digest:
                return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > seconds:
            raise AssertionError(f"build {digest[:12]} not served within {seconds:g} s")
        time.sleep(0.01)


def changes(values: list[str]) -> list[str]:
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]
