"""Counting through the real ASGI stack, the download redirect, what the usage store
holds (no address, no user agent, no guessed id), and usage published as open data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3
from catalog.usage.state import state_for
from catalog.usage.store import Key, Tally

from .conftest import staff_cookies
from .test_usage_support import (
    BROWSER,
    CLIENT_IP,
    HIDDEN_DATASET,
    LISTED_DATASET,
    OPEN_DATASET,
    UsageSite,
    make_site,
)

D = OPEN_DATASET


@pytest.fixture
def us(site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageSite]:
    usage_site = make_site(site, tmp_path, monkeypatch)
    yield usage_site
    state_for(usage_site.ds).close()


def public_ids(sample_build: Path) -> set[str]:
    conn = sqlite3.connect(sample_build / "public.db")
    try:
        return {r[0] for r in conn.execute("select id from datasets")}
    finally:
        conn.close()


def test_anonymous_use_is_counted_per_dataset_and_channel(us: UsageSite) -> None:
    paths = [f"/datasets/{D}", f"/datasets/{D}", f"/datasets/{D}.json",
             f"/public/datasets/{D}.json", f"/public/fields.csv?dataset_id={D}",
             f"/datasets/{D}/datapackage.json", f"/-/download/{D}/csv",
             "/search?q=town", "/search.json?q=town", "/data.json",
             "/public.json?sql=select+count(*)+from+datasets", f"/datasets/{LISTED_DATASET}"]
    for path in paths:
        assert us.get(path).status_code in (200, 302), path
    assert us.counts() == {
        (D, "page", "human"): 2, (D, "json", "human"): 2, (D, "csv", "human"): 1,
        (D, "export", "human"): 1, (D, "download", "human"): 1,
        ("*", "search", "human"): 2, ("*", "export", "human"): 1, ("*", "sql", "human"): 1,
        (LISTED_DATASET, "page", "human"): 1,
    }


def test_staff_failures_and_other_methods_are_not_counted(us: UsageSite) -> None:
    staff = staff_cookies(us.ds)
    assert us.get(f"/datasets/{D}", cookies=staff).status_code == 200
    assert us.get(f"/datasets/{D}.json", cookies=staff).status_code == 200
    assert us.get("/datasets/no-such-dataset").status_code == 404
    assert us.get("/inventory/datasets.json").status_code == 403
    assert us.request("HEAD", f"/datasets/{D}").status_code in (200, 405)
    assert us.counts() == {}


def test_bots_are_counted_apart(us: UsageSite) -> None:
    us.get(f"/datasets/{D}", agent="Mozilla/5.0 (compatible; Googlebot/2.1)")
    us.get(f"/datasets/{D}", agent="")
    us.get(f"/datasets/{D}")
    assert us.counts() == {(D, "page", "bot"): 2, (D, "page", "human"): 1}


def test_guessed_and_hidden_ids_never_reach_the_store(us: UsageSite, sample_build: Path
                                                       ) -> None:
    for path in [f"/datasets/{HIDDEN_DATASET}", f"/datasets/{HIDDEN_DATASET}.json",
                 f"/public/fields.json?dataset_id={HIDDEN_DATASET}",
                 "/public/fields.json?dataset_id=made-up-id", f"/-/download/{HIDDEN_DATASET}/csv",
                 "/datasets/made-up-id", "/public/datasets/made-up-id.json"]:
        us.get(path)
    ids = {d for d, _, _ in us.counts()}
    assert ids <= public_ids(sample_build) | {"*"}
    assert HIDDEN_DATASET not in ids and "made-up-id" not in ids


def test_visitors_are_estimated_without_storing_address_or_agent(us: UsageSite) -> None:
    agent = "Mozilla/5.0 UniqueAgentString/9.87"
    for ip in (CLIENT_IP, CLIENT_IP, "198.51.100.23"):
        us.get(f"/datasets/{D}", ip=ip, agent=agent)
    us.flush()
    state_for(us.ds).close()
    conn = sqlite3.connect(us.store_path)
    row = conn.execute("select hits, visitors from usage_daily where dataset_id = ?",
                       (D,)).fetchone()
    assert tuple(row) == (3, 2)
    values = []
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
        for record in conn.execute(f"select * from [{table}]"):
            values += [str(v) for v in record]
    conn.close()
    text = " ".join(values)
    for secret in (CLIENT_IP, "198.51.100.23", "UniqueAgentString", "Mozilla"):
        assert secret not in text
    for path in us.store_path.parent.glob("usage.db*"):
        data = path.read_bytes()
        for secret in (CLIENT_IP, "198.51.100.23", "UniqueAgentString"):
            assert secret.encode() not in data, (path.name, secret)


def test_tracking_off_counts_nothing_but_keeps_the_routes(
        site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    off = make_site(site, tmp_path, monkeypatch, CATALOG_USAGE_TRACKING="off")
    try:
        assert off.get(f"/datasets/{D}").status_code == 200
        assert off.get(f"/-/download/{D}/csv").status_code == 302
        assert off.get("/usage.json").json()["report"]["total"] == 0
        assert off.state.recorder is None
    finally:
        off.state.close()


# the download redirect --------------------------------------------------------------

def distributions(sample_build: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(sample_build / "public.db")
    try:
        return list(conn.execute("select dataset_id, distribution_id, url from distributions"))
    finally:
        conn.close()


def test_download_redirects_to_the_catalog_url_only(us: UsageSite, sample_build: Path) -> None:
    rows = distributions(sample_build)
    assert rows
    for dataset_id, distribution_id, url in rows:
        r = us.get(f"/-/download/{dataset_id}/{distribution_id}?next=https://evil.example/",
                   headers={"referer": "https://evil.example/"})
        assert r.status_code == 302
        assert r.headers["location"] == url
        assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", [
    "/-/download/no-such/csv", f"/-/download/{D}/no-such",
    f"/-/download/{HIDDEN_DATASET}/csv", f"/-/download/{LISTED_DATASET}/csv",
    "/-/download/https:/evil.example", "/-/download//evil.example/x",
    "/-/download/%2F%2Fevil.example/csv", f"/-/download/{D}/csv/../../evil",
    "/-/download/..%2F..%2Fpublic/datasets",
])
def test_download_refuses_anything_not_in_the_catalog(us: UsageSite, path: str) -> None:
    r = us.get(path)
    assert r.status_code == 404
    assert "location" not in r.headers


def test_download_refuses_urls_that_are_not_web_links() -> None:
    from catalog.usage.published import Published

    p = Published(distributions={("a", "x"): "javascript:alert(1)",
                                 ("a", "y"): "https://data.ct.gov/x", ("a", "z"): "//evil"})
    assert p.download_url("a", "x") is None and p.download_url("a", "z") is None
    assert p.download_url("a", "y") == "https://data.ct.gov/x"


# usage as open data -----------------------------------------------------------------

def test_usage_page_publishes_aggregates_with_charts(us: UsageSite) -> None:
    us.get(f"/datasets/{D}")
    us.get(f"/datasets/{D}.json")
    us.get("/search?q=x")
    us.get(f"/datasets/{D}", agent="Googlebot/2.1")
    us.flush()
    data = us.get("/usage.json").json()
    report = data["report"]
    assert report["total"] == 3
    assert {c["channel"]: c["hits"] for c in report["channels"]}["page"] == 1
    assert report["datasets"][0]["dataset_id"] == D
    assert report["agencies"][0]["agency_id"] == "dcf"
    assert sum(d["hits"] for d in report["days"]) == 3
    assert report["catalog_wide_channels"] == [{"channel": "search", "hits": 1}]
    assert "bots" not in data and "pending_use_cases" not in data
    html = us.get("/usage").text
    charts = html.count('class="ct-bars ') + html.count('class="ct-columns-chart"')
    assert charts == 5 and "Requests per day" in html and "Crawlers" not in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_staff_also_see_bot_traffic(us: UsageSite) -> None:
    us.get(f"/datasets/{D}", agent="Googlebot/2.1")
    us.flush()
    staff = staff_cookies(us.ds)
    r = us.get("/usage.json", cookies=staff)
    data = r.json()
    assert data["bots"]["total"] == 1 and data["pending_use_cases"] == 0
    assert r.headers["cache-control"] == "private, no-store"
    assert us.get("/usage.json").headers["cache-control"].startswith("public")
    html = us.get("/usage", cookies=staff).text
    assert "Crawlers and bots" in html and "/usage/moderation" in html
    rows = us.get("/usage/daily.json?bots=1", cookies=staff).json()
    assert {r["audience"] for r in rows} == {"bot"}
    assert us.get("/usage/daily.json?bots=1").json() == []  # not for the public


def test_daily_counts_as_csv_and_json(us: UsageSite) -> None:
    us.get(f"/datasets/{D}")
    us.get(f"/-/download/{D}/csv")
    us.flush()
    r = us.get("/usage/daily.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {(x["dataset_id"], x["channel"], x["hits"]) for x in rows} == {
        (D, "page", "1"), (D, "download", "1")}
    assert list(rows[0]) == ["day", "dataset_id", "title", "agency_id", "channel", "source",
                             "hits", "visitors"]
    assert us.get("/usage/daily.json").json()[0]["day"] == dt.datetime.now(
        dt.timezone.utc).date().isoformat()
    assert us.get("/usage/daily.json?since=2001-01-01&until=2001-01-31").json() == []


@pytest.mark.parametrize("query", ["since=yesterday", "since=2025-02-01&until=2025-01-01",
                                   "since=1990-01-01&until=2025-01-01"])
def test_bad_periods_are_400(us: UsageSite, query: str) -> None:
    assert us.get(f"/usage.json?{query}").status_code == 400
    assert us.get(f"/usage/daily.csv?{query}").status_code == 400


def test_withdrawn_datasets_do_not_reveal_their_ids(us: UsageSite) -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    us.state.store.add_counts({Key(today, HIDDEN_DATASET, "page", "human"): Tally(4),
                               Key(today, D, "page", "human"): Tally(1)})
    public = us.get("/usage/daily.json").json()
    assert {r["dataset_id"] for r in public} == {"-", D}
    assert HIDDEN_DATASET not in us.get("/usage.json").text
    assert HIDDEN_DATASET not in us.get("/usage").text
    staff = us.get("/usage/daily.json", cookies=staff_cookies(us.ds)).json()
    assert HIDDEN_DATASET in {r["dataset_id"] for r in staff}


def test_store_survives_a_rebuild(us: UsageSite, sample_build: Path) -> None:
    """usage.db lives beside the build but the compiler replaces only its own files."""
    from catalog.build import build as build_project
    from catalog.project import Project

    from .conftest import REPO

    us.get(f"/datasets/{D}")
    us.flush()
    build = us.store_path.parent
    build_project(Project(REPO), build, full=True)
    assert (build / "public.db").is_file()
    assert us.counts() == {(D, "page", "human"): 1}


def test_default_store_is_beside_public_db(tmp_path: Path) -> None:
    from catalog.usage.config import UsageConfig

    config = UsageConfig.from_env(tmp_path, {})
    assert config.url == f"sqlite:///{tmp_path.resolve() / 'usage.db'}"
    assert config.tracking
    assert not UsageConfig.from_env(tmp_path, {"CATALOG_USAGE_TRACKING": "off"}).tracking
    pg = "postgresql://usage@db/usage"
    assert UsageConfig.from_env(tmp_path, {"CATALOG_USAGE_URL": pg}).url == pg


def test_extra_browser_agent_is_human() -> None:
    from catalog.usage.classify import is_bot

    assert not is_bot(BROWSER)


def test_dataset_page_shows_its_recent_use(us: UsageSite) -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    us.state.store.add_counts({Key(today, D, "page", "human"): Tally(1234),
                               Key(today, D, "json", "human"): Tally(2),
                               Key(today, D, "page", "bot"): Tally(99)})
    us.state.store.replace_counts({Key(today, D, "api", "human"): Tally(3),
                                   Key(today, D, "download", "human"): Tally(1)}, "portal")
    html = us.get(f"/datasets/{D}").text
    assert "1,234 page views" in html and "5 API requests" in html and "1 download" in html
