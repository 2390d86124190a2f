"""One usage state per Datasette instance: settings, store, recorder, salt, limiter.

Made on first use from the environment (:class:`~.config.UsageConfig`) and the path of
the instance's public.db, so two sites in one process (tests) never share a store.
Making it never connects to the store: pages reach the store only through
:meth:`UsageState.read`, which fails fast (:class:`~.store.StoreUnavailable`) while the
store is known to be down and gives up on a store that does not answer in time.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..site.access import PUBLIC_DB
from .config import UsageConfig
from .published import PublishedCache
from .recorder import DailySalt, Recorder
from .store import Store, StoreUnavailable
from .usecases import SubmitLimiter

PANEL_SECONDS = 60.0
PANEL_READ_SECONDS = 1.0  # a dataset page waits no longer for its usage panel
PAGE_READ_SECONDS = 10.0  # the usage pages themselves
STORE_THREADS = 4  # a store that hangs ties up these, never Datasette's own threads
T = TypeVar("T")


@dataclass
class UsageState:
    config: UsageConfig
    store: Store
    published: PublishedCache
    salt: DailySalt
    limiter: SubmitLimiter
    recorder: Recorder | None
    panels: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        STORE_THREADS, thread_name_prefix="usage-store"))

    async def read(self, fn: Callable[..., T], *args: Any,
                   timeout: float = PAGE_READ_SECONDS, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` (a store call) in the store's threads, or
        :class:`StoreUnavailable` at once while the store is down and after ``timeout``
        seconds without an answer."""
        store = self.store
        if not store.health.allow():
            raise StoreUnavailable(f"the usage store {store.name} is unavailable: "
                                   f"{store.health.error}", hint=store.hint)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            store.health.failed(TimeoutError(f"no answer within {timeout:g} s"))
            raise StoreUnavailable(f"the usage store {store.name} did not answer within "
                                   f"{timeout:g} s", hint=store.hint) from None

    def client_key(self, scope: dict[str, Any]) -> str:
        """Today's salted hash of the client address (never the address itself)."""
        client = scope.get("client") or ("", 0)
        return self.salt.digest("client", str(client[0])).hex()

    def cached_panel(self, dataset_id: str) -> dict[str, Any] | None:
        hit = self.panels.get(dataset_id)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def stale_panel(self, dataset_id: str) -> dict[str, Any] | None:
        hit = self.panels.get(dataset_id)
        return hit[1] if hit else None

    def keep_panel(self, dataset_id: str, panel: dict[str, Any]) -> None:
        if len(self.panels) > 20_000:
            self.panels.clear()
        self.panels[dataset_id] = (time.monotonic() + PANEL_SECONDS, panel)

    def close(self, timeout: float | None = None) -> None:
        if self.recorder is not None:
            self.recorder.close(timeout)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.store.close()


_states: weakref.WeakKeyDictionary[Any, UsageState] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def public_db_path(datasette: Any) -> Path:
    return Path(datasette.get_database(PUBLIC_DB).path)


def state_for(datasette: Any) -> UsageState:
    with _lock:
        state = _states.get(datasette)
        if state is None:
            public_db = public_db_path(datasette)
            config = UsageConfig.from_env(public_db.parent)
            store = Store(config.url)
            salt = DailySalt()
            recorder = None
            if config.tracking:
                recorder = Recorder(store, flush_seconds=config.flush_seconds,
                                    flush_events=config.flush_events, salt=salt).start()
            state = UsageState(config, store, PublishedCache(public_db), salt,
                               SubmitLimiter(config.submit_limit), recorder)
            _states[datasette] = state
        return state
