"""``/-/health``: the build a process serves and the usage store's state, answered 200
whatever the store's state (a balancer must not take a replica out for it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3
from catalog.usage.state import state_for

from .conftest import staff_cookies
from .services import free_port
from .test_usage_support import UsageSite, make_site


def _hash(sample_build: Path) -> str:
    conn = sqlite3.connect(sample_build / "public.db")
    try:
        return str(conn.execute("select value from meta where key = 'source_hash'")
                   .fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def health_site(site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                request: pytest.FixtureRequest) -> Iterator[UsageSite]:
    env = {}
    if getattr(request, "param", "") == "down":  # nothing listens there
        env["CATALOG_USAGE_URL"] = f"postgresql://catalog@127.0.0.1:{free_port()}/usage"
    us = make_site(site, tmp_path, monkeypatch, **env)
    yield us
    state_for(us.ds).close(timeout=1)


def test_health_names_the_build_and_a_reachable_store(health_site: UsageSite,
                                                      sample_build: Path) -> None:
    r = health_site.get("/-/health")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["status"] == "ok"
    assert body["build"]["source_hash"] == _hash(sample_build)
    assert body["build"]["built_at"]
    assert body["store"]["backend"] == "sqlite" and body["store"]["reachable"] is True
    assert health_site.counts() == {}  # not counted as use


@pytest.mark.parametrize("health_site", ["down"], indirect=True)
def test_health_with_the_store_down_is_still_ok(health_site: UsageSite) -> None:
    body = health_site.get("/-/health").json()
    assert body["status"] == "ok"
    assert body["store"]["backend"] == "postgresql"
    assert body["store"]["reachable"] is False
    assert body["store"]["error"] == "unreachable"  # the public is not told where
    staff = health_site.get("/-/health", cookies=staff_cookies(health_site.ds)).json()
    assert "Connection refused" in staff["store"]["error"]
