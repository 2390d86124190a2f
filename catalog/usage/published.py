"""What public.db says exists: the only datasets usage is recorded for, the only URLs
the download endpoint redirects to, and the names reports show.

public.db is an immutable file replaced whole by a build; :class:`PublishedCache`
re-reads it when its modification time changes.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from catalog.dbapi import sqlite3

# Socrata asset ids ("abcd-1234") in the URL shapes the portal uses
SOCRATA_ID = re.compile(
    r"/(?:api/views|resource|d|api/geospatial|api/odata/v4|api/assets)/"
    r"([a-z0-9]{4}-[a-z0-9]{4})(?![a-z0-9-])"
    r"|/([a-z0-9]{4}-[a-z0-9]{4})/?(?:[?#]|$)")
OPEN_ACCESS = frozenset({"public", "restricted public"})


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    title: str
    agency_id: str
    access_level: str
    visibility: str

    @property
    def takes_use_cases(self) -> bool:
        """Open datasets whose whole record is public take use-case submissions."""
        return self.visibility == "public" and self.access_level in OPEN_ACCESS


@dataclass(frozen=True)
class Published:
    datasets: dict[str, DatasetInfo] = field(default_factory=dict)
    agencies: dict[str, str] = field(default_factory=dict)
    distributions: dict[tuple[str, str], str] = field(default_factory=dict)
    portal_ids: dict[str, str] = field(default_factory=dict)

    def download_url(self, dataset_id: str, distribution_id: str) -> str | None:
        """The catalog's URL of a distribution, only if it is an http(s) URL."""
        url = self.distributions.get((dataset_id, distribution_id))
        if url and url.lower().startswith(("https://", "http://")):
            return url
        return None


def socrata_ids(url: str | None) -> set[str]:
    return {a or b for a, b in SOCRATA_ID.findall(url or "")}


def read_published(public_db: Path) -> Published:
    """Read datasets, agencies, distributions and portal ids from public.db."""
    conn = sqlite3.connect(f"file:{public_db}?mode=ro&immutable=1", uri=True)
    try:
        datasets = {row[0]: DatasetInfo(*row) for row in conn.execute(
            "select id, title, agency_id, access_level, visibility from datasets")}
        agencies = dict(conn.execute("select id, name from agencies").fetchall())
        distributions = {(d, x): url for d, x, url in conn.execute(
            "select dataset_id, distribution_id, url from distributions")}
        landing = conn.execute("select id, landing_page from datasets").fetchall()
    finally:
        conn.close()
    portal: dict[str, str] = {}
    for (dataset_id, _), url in sorted(distributions.items()):
        for uid in socrata_ids(url):
            portal.setdefault(uid, dataset_id)
    for dataset_id, url in landing:
        for uid in socrata_ids(url):
            portal.setdefault(uid, dataset_id)
    return Published(datasets, agencies, distributions, portal)


class PublishedCache:
    """:func:`read_published` of one file, re-read at most every ``check_seconds`` when
    the file changed."""

    def __init__(self, public_db: Path, check_seconds: float = 10.0) -> None:
        self.path = public_db
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._value: Published | None = None
        self._mtime = 0.0
        self._checked = 0.0

    def get(self) -> Published:
        now = time.monotonic()
        if self._value is not None and now - self._checked < self.check_seconds:
            return self._value
        with self._lock:
            self._checked = now
            mtime = self.path.stat().st_mtime
            if self._value is None or mtime != self._mtime:
                self._value = read_published(self.path)
                self._mtime = mtime
            return self._value
