"""The site never depends on the usage store: with a real PostgreSQL stopped or frozen
(SIGSTOP), dataset pages render (without the usage panel, or with the last one read),
the usage pages answer 503 with Retry-After at once, the use-case form keeps what was
typed, counts wait in memory and reach the store when it is back; one log line per
outage and one on recovery; the command line says what is wrong, without a traceback."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog.usage.state import state_for

from .conftest import REPO
from .services import PgCluster
from .test_usage_support import OPEN_DATASET, UsageSite, make_site, post_form, submission

PANEL = "How this data is used"
OTHER_OPEN = "deep-flood-zones"  # public and open, never visited before the outage


@pytest.fixture
def pg_site(site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_pg: PgCluster
            ) -> Iterator[tuple[UsageSite, PgCluster, str]]:
    url = own_pg.create_database("usage")
    usage_site = make_site(site, tmp_path, monkeypatch, CATALOG_USAGE_URL=url)
    yield usage_site, own_pg, url
    state_for(usage_site.ds).close(timeout=1)


def _timed(us: UsageSite, path: str, **kw: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = us.get(path, **kw)
    return response, time.monotonic() - started


def stored(url: str) -> dict[str, int]:
    from catalog.usage.store import Store

    store = Store(url)
    try:
        return {k: v for k, v in store.totals("channel").items()}
    finally:
        store.close()


def test_pages_render_while_the_store_is_down(pg_site: tuple[UsageSite, PgCluster, str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    us, pg, url = pg_site
    assert PANEL in us.get(f"/datasets/{OPEN_DATASET}").text  # the panel, read once
    us.flush()
    caplog.set_level(logging.WARNING, logger="catalog.usage")
    pg.stop()
    try:
        page, seconds = _timed(us, f"/datasets/{OPEN_DATASET}")
        assert page.status_code == 200 and PANEL in page.text  # the last panel read
        other, seconds2 = _timed(us, f"/datasets/{OTHER_OPEN}")
        assert other.status_code == 200 and PANEL not in other.text  # none to show
        assert "Flood" in other.text
        assert max(seconds, seconds2) < 5
        for path in ("/usage", "/usage.json", "/usage/daily.csv", "/usage/daily.json",
                     "/usage/use-cases", "/usage/use-cases.json",
                     f"/datasets/{OPEN_DATASET}/use-cases.json"):
            r, took = _timed(us, path)
            assert r.status_code == 503, (path, r.status_code)
            assert r.headers["retry-after"] == "60" and took < 5, path
            assert "Traceback" not in r.text and "try again" in r.text, path
        form = us.get(f"/datasets/{OPEN_DATASET}/use-cases")
        assert form.status_code == 200 and "cannot be shown right now" in form.text
        sent = post_form(us, f"/datasets/{OPEN_DATASET}/use-cases", submission())
        assert sent.status_code == 503 and "could not be saved" in sent.text
        assert "Placement dashboard" in sent.text  # what was typed is kept
        assert us.state.recorder.pending >= 2  # counting goes on, in memory
        us.flush()
        assert us.state.recorder.pending >= 2
    finally:
        pg.start()
    health = us.state.store.health
    time.sleep(health.retry_in())
    us.flush()
    assert us.state.recorder.pending == 0
    assert stored(url)["page"] >= 3  # one before, two during the outage
    assert us.get("/usage").status_code == 200
    assert PANEL in us.get(f"/datasets/{OTHER_OPEN}").text
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("catalog.usage")]
    assert len(lines) == 2, lines
    assert "unreachable" in lines[0] and "reachable again" in lines[1]


def test_a_frozen_store_costs_a_page_at_most_a_second(
        pg_site: tuple[UsageSite, PgCluster, str]) -> None:
    """SIGSTOP: connections open and nothing answers. The dataset page gives up on the
    panel after a second, then does not wait again while the store is down."""
    us, pg, url = pg_site
    assert us.get(f"/datasets/{OPEN_DATASET}").status_code == 200  # a pooled connection
    pg.freeze()
    try:
        first, took = _timed(us, f"/datasets/{OTHER_OPEN}")
        assert first.status_code == 200 and PANEL not in first.text
        assert took < 3, took
        again, took = _timed(us, "/datasets/deep-protected-open-space")
        assert again.status_code == 200 and took < 1, took
        usage, took = _timed(us, "/usage.json")
        assert usage.status_code == 503 and took < 1
    finally:
        pg.thaw()


def test_cli_report_with_the_store_down_is_one_clear_error(
        own_pg: PgCluster, sample_build: Path, tmp_path: Path) -> None:
    import shutil

    from catalog.cli import main

    project = tmp_path / "project"
    shutil.copytree(REPO / "standards", project / "standards")
    (project / "inventory").mkdir()
    shutil.copytree(sample_build, project / "build")
    url = own_pg.url("postgres")
    own_pg.stop()
    result = CliRunner().invoke(main, ["usage", "report", "--root", str(project),
                                       "--store", url])
    assert result.exit_code == 1
    assert "usage store" in result.output and "unavailable" in result.output
    assert "hint: is PostgreSQL running" in result.output
    assert "Traceback" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)


def test_serve_refuses_a_store_url_it_cannot_use(sample_build: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that is down is not a reason not to serve; a URL that can never work is
    a clear error before anything starts."""
    import shutil

    from catalog.cli import main

    project = tmp_path / "project"
    shutil.copytree(REPO / "standards", project / "standards")
    (project / "inventory").mkdir()
    shutil.copytree(sample_build, project / "build")
    monkeypatch.setenv("CATALOG_USAGE_URL", "mysql://u@127.0.0.1/usage")
    result = CliRunner().invoke(main, ["serve", "--root", str(project), "--no-build",
                                       "--port", "1"])
    assert result.exit_code == 1
    assert "the usage store does not support mysql" in result.output
    assert "hint: use sqlite:///" in result.output and "Traceback" not in result.output
