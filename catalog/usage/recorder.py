"""Counting without cost to the reader.

:meth:`Recorder.record` adds one to a counter in memory under a lock (no I/O). A
background thread writes all waiting counters to the store in one transaction every
``flush_seconds``, or sooner once ``flush_events`` events wait. A process that dies
loses at most what waited since the last flush; the store itself is only ever changed
by whole transactions.

Nothing waits on the store. A failed flush keeps its counts for the next one; while the
store is down, flushes back off (the store's :class:`~.store.Health`: 1 s, doubling up
to a minute, one log line when the outage starts and one when it ends) and counts wait
in memory, at most ``max_counters`` distinct counters (a counter is one dataset,
channel, audience and day: a day of heavy use is a few thousand); events that would
need a new counter beyond that are dropped, counted and logged once. A flush that hangs
(a frozen server) is declared failed after ``FLUSH_TIMEOUT`` seconds; at exit, flushes
are tried for ``EXIT_SECONDS`` (``HANDOVER_SECONDS`` for a process that a new build's
replaced: the store may be back in a moment, and nobody waits for it), then what is
left is reported lost.

Unique visitors are estimated from a keyed hash of (client address, user agent,
counter) under a salt that is random, held only in memory and replaced every UTC day:
the store receives a number, never an address, a user agent or a hash.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable

from .store import Key, Store, StoreUnavailable, Tally

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
MAX_SEEN = 200_000  # visitor hashes kept per day; beyond it new visitors are not added
MAX_COUNTERS = 100_000  # distinct counters waiting in memory; beyond it events are dropped
FLUSH_TIMEOUT = 15.0  # a flush that takes longer marks the store down
EXIT_SECONDS = 5.0  # the last flushes, at exit (someone may wait for the process)
HANDOVER_SECONDS = 20.0  # the same for a process replaced by a new build's (nobody waits)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class DailySalt:
    """A random salt per UTC day, never written anywhere."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._salt = b""

    def current(self) -> tuple[dt.date, bytes]:
        day = self._clock().date()
        with self._lock:
            if day != self._day:
                self._day, self._salt = day, secrets.token_bytes(32)
            return day, self._salt

    def digest(self, *parts: str) -> bytes:
        """A keyed hash of ``parts`` under today's salt (16 bytes)."""
        _, salt = self.current()
        h = hashlib.blake2b(key=salt, digest_size=16)
        for part in parts:
            h.update(part.encode("utf-8", "replace"))
            h.update(b"\0")
        return h.digest()


class Recorder:
    def __init__(self, store: Store, *, flush_seconds: float = 10.0,
                 flush_events: int = 1000, salt: DailySalt | None = None,
                 clock: Clock = utc_now, max_counters: int = MAX_COUNTERS) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.flush_events = flush_events
        self.max_counters = max_counters
        self.salt = salt or DailySalt(clock)
        self._clock = clock
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._hits: dict[Key, int] = {}
        self._visitors: dict[Key, int] = {}
        self._seen: set[bytes] = set()
        self._seen_day: dt.date | None = None
        self._events = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self.dropped = 0  # events not counted: the buffer was full
        self._writing = 0  # events in the flush under way
        self._drop_logged = False  # once per outage

    # recording (request path) -----------------------------------------------------------

    def record(self, dataset_id: str, channel: str, audience: str = "human",
               visitor: tuple[str, str] | None = None) -> None:
        """Count one event; ``visitor`` = (client address, user agent), hashed at once."""
        day = self._clock().date()
        key = Key(day, dataset_id, channel, audience)
        mark = None
        if visitor is not None:
            mark = self.salt.digest(visitor[0], visitor[1], dataset_id, channel, audience)
        with self._lock:
            if key not in self._hits and len(self._hits) >= self.max_counters:
                self.dropped += 1
                first_drop, self._drop_logged = not self._drop_logged, True
            else:
                first_drop = False
                self._hits[key] = self._hits.get(key, 0) + 1
                if mark is not None:
                    if self._seen_day != day:
                        self._seen.clear()
                        self._seen_day = day
                    if mark not in self._seen and len(self._seen) < MAX_SEEN:
                        self._seen.add(mark)
                        self._visitors[key] = self._visitors.get(key, 0) + 1
                self._events += 1
            full = self._events == self.flush_events  # crossing the mark, once
        if first_drop:
            log.warning("usage counts: %d counters wait for the store; new ones are "
                        "dropped until it answers", self.max_counters)
        if full:
            self._wake.set()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._events

    # flushing (background) --------------------------------------------------------------

    def _take(self) -> dict[Key, Tally]:
        with self._lock:
            hits, visitors = self._hits, self._visitors
            self._hits, self._visitors, self._events = {}, {}, 0
        return {k: Tally(n, visitors.get(k, 0)) for k, n in hits.items()}

    def _put_back(self, counts: dict[Key, Tally]) -> None:
        with self._lock:
            for key, tally in counts.items():
                self._hits[key] = self._hits.get(key, 0) + tally.hits
                if tally.visitors:
                    self._visitors[key] = self._visitors.get(key, 0) + tally.visitors
                self._events += tally.hits

    def flush(self, *, force: bool = False) -> int:
        """Write every waiting counter in one transaction; the number of counters. While
        the store is down this returns 0 at once, but for one attempt per back-off period
        (``force``: attempt anyway)."""
        with self._flush_lock:
            with self._lock:
                if not self._hits:
                    return 0
            health = self.store.health
            if not force and not health.allow():
                return 0
            counts = self._take()
            watchdog = threading.Timer(FLUSH_TIMEOUT, health.failed, (TimeoutError(
                f"no answer within {FLUSH_TIMEOUT:g} s"),))
            watchdog.daemon = True
            watchdog.start()
            self._writing = sum(t.hits for t in counts.values())
            try:
                self.store.add_counts(counts)
            except StoreUnavailable:
                self.failures += 1
                self._put_back(counts)
                return 0
            finally:
                self._writing = 0
                watchdog.cancel()
            self._drop_logged = False
            return len(counts)

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.flush_seconds
            if not self.store.health.up:
                wait = min(wait, max(0.05, self.store.health.retry_in()))
            self._wake.wait(wait)
            self._wake.clear()
            if not self._stop.is_set():
                self.flush()

    def start(self) -> Recorder:
        """Start the flush thread (once) and flush at interpreter exit."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="usage-flush",
                                            daemon=True)
            self._thread.start()
            atexit.register(self.close)
        return self

    def close(self, timeout: float | None = None) -> int:
        """Stop the thread and write what waits (within ``timeout`` seconds, by default
        :data:`EXIT_SECONDS`); returns the events that could not be written, which are
        logged as lost."""
        if timeout is None:
            timeout = EXIT_SECONDS
        self._stop.set()
        self._wake.set()
        atexit.unregister(self.close)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)
        deadline = time.monotonic() + timeout

        def last_flushes() -> None:  # the store may be back in a moment: try again
            while True:
                self.flush(force=True)
                if not self.pending or time.monotonic() + 0.5 > deadline:
                    return
                time.sleep(0.5)

        last = threading.Thread(target=last_flushes, name="usage-last-flush", daemon=True)
        last.start()
        last.join(max(0.0, deadline - time.monotonic()))
        lost = self.pending + (self._writing if last.is_alive() else 0)
        if lost or self.dropped:
            log.warning("usage counts: %d events not written at exit (the store %s did "
                        "not answer)%s", lost, self.store.name,
                        f"; {self.dropped} dropped earlier (buffer full)" if self.dropped
                        else "")
        return lost
