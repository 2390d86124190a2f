"""The usage plugin's settings (``CATALOG_USAGE_*`` in :mod:`catalog.settings`, which
says what each means and its default), read from the environment when a site starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..problems import CatalogError
from ..settings import SETTINGS, value

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
    submit_limit: str = SETTINGS["CATALOG_USAGE_SUBMIT_LIMIT"].default

    @classmethod
    def from_env(cls, build_dir: Path, environ: Mapping[str, str] | None = None
                 ) -> UsageConfig:
        try:
            seconds = float(value("CATALOG_USAGE_FLUSH_SECONDS", environ))
            events = int(value("CATALOG_USAGE_FLUSH_EVENTS", environ))
        except ValueError as e:
            raise CatalogError(f"bad usage flush setting: {e}",
                               hint="CATALOG_USAGE_FLUSH_SECONDS is a number of seconds, "
                               "CATALOG_USAGE_FLUSH_EVENTS a whole number") from None
        if seconds <= 0 or events <= 0:
            raise CatalogError("usage flush settings must be positive")
        return cls(
            url=value("CATALOG_USAGE_URL", environ) or default_url(build_dir),
            tracking=value("CATALOG_USAGE_TRACKING", environ).lower() not in OFF,
            flush_seconds=seconds, flush_events=events,
            submit_limit=value("CATALOG_USAGE_SUBMIT_LIMIT", environ),
        )
