"""One usage state per Datasette instance: settings, store, recorder, salt, limiter.

Made on first use from the environment (:class:`~.config.UsageConfig`) and the path of
the instance's public.db, so two sites in one process (tests) never share a store.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import UsageConfig
from .published import PublishedCache
from .recorder import DailySalt, Recorder
from .store import Store
from .usecases import SubmitLimiter

PUBLIC_DB = "public"
PANEL_SECONDS = 60.0


@dataclass
class UsageState:
    config: UsageConfig
    store: Store
    published: PublishedCache
    salt: DailySalt
    limiter: SubmitLimiter
    recorder: Recorder | None
    panels: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def client_key(self, scope: dict[str, Any]) -> str:
        """Today's salted hash of the client address (never the address itself)."""
        client = scope.get("client") or ("", 0)
        return self.salt.digest("client", str(client[0])).hex()

    def cached_panel(self, dataset_id: str) -> dict[str, Any] | None:
        hit = self.panels.get(dataset_id)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def keep_panel(self, dataset_id: str, panel: dict[str, Any]) -> None:
        if len(self.panels) > 20_000:
            self.panels.clear()
        self.panels[dataset_id] = (time.monotonic() + PANEL_SECONDS, panel)

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
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
