"""The usage plugin's settings, read from the environment when a site starts.

``CATALOG_USAGE_URL``            SQLAlchemy URL of the usage store (default: usage.db
                                 beside public.db)
``CATALOG_USAGE_TRACKING``       ``off`` stops counting (pages and forms still work)
``CATALOG_USAGE_FLUSH_SECONDS``  longest time counts wait in memory (default 10)
``CATALOG_USAGE_FLUSH_EVENTS``   flush early once this many events wait (default 1000)
``CATALOG_USAGE_SUBMIT_LIMIT``   use-case submissions allowed per client (``limits``
                                 notation, default ``5/hour;20/day``)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..problems import CatalogError

STORE_FILE = "usage.db"
OFF = frozenset({"off", "0", "false", "no"})


def default_url(build_dir: Path) -> str:
    return f"sqlite:///{(build_dir / STORE_FILE).resolve()}"


@dataclass(frozen=True)
class UsageConfig:
    url: str
    tracking: bool = True
    flush_seconds: float = 10.0
    flush_events: int = 1000
    submit_limit: str = "5/hour;20/day"

    @classmethod
    def from_env(cls, build_dir: Path, environ: Mapping[str, str] | None = None
                 ) -> UsageConfig:
        env = os.environ if environ is None else environ
        try:
            seconds = float(env.get("CATALOG_USAGE_FLUSH_SECONDS", "10"))
            events = int(env.get("CATALOG_USAGE_FLUSH_EVENTS", "1000"))
        except ValueError as e:
            raise CatalogError(f"bad usage flush setting: {e}",
                               hint="CATALOG_USAGE_FLUSH_SECONDS is a number of seconds, "
                               "CATALOG_USAGE_FLUSH_EVENTS a whole number") from None
        if seconds <= 0 or events <= 0:
            raise CatalogError("usage flush settings must be positive")
        return cls(
            url=env.get("CATALOG_USAGE_URL") or default_url(build_dir),
            tracking=env.get("CATALOG_USAGE_TRACKING", "on").strip().lower() not in OFF,
            flush_seconds=seconds, flush_events=events,
            submit_limit=env.get("CATALOG_USAGE_SUBMIT_LIMIT") or cls.submit_limit,
        )
