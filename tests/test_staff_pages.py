"""The staff workspace (docs/site.md): Today, problems, the whole inventory and the canned
queries, through the site's own routes on the sample build — staff only, ranked, linked,
an agency's slice, paged, sorted, filtered and downloadable."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3
from catalog.site.pages.staff import PAGE_SIZE, RANKS, agency_of

from .conftest import staff_cookies

STAFF_PAGES = ["/staff", "/staff/problems", "/staff/datasets", "/staff/datasets.csv",
               "/staff/queries"]


def get(ds: Any, url: str, cookies: dict[str, str] | None = None) -> Any:
    return asyncio.run(ds.client.get(url, cookies=cookies))


def staff_json(ds: Any, url: str) -> Any:
    response = get(ds, url, staff_cookies(ds))
    assert response.status_code == 200, (url, response.text[:300])
    return response.json()


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_are_refused_to_the_public(ds: Any, url: str) -> None:
    assert get(ds, url).status_code == 403


def test_today_ranks_what_needs_attention_and_links_each_item(ds: Any) -> None:
    today = staff_json(ds, "/staff.json")
    items = today["items"]
    assert items, "the sample has overdue plan entries and agreements coming up"
    order = [rank for rank, _ in RANKS]
    ranks = [order.index(i["rank"]) for i in items]
    assert ranks == sorted(ranks), "the most urgent first"
    assert today["counts"] == {rank: sum(1 for i in items if i["rank"] == rank)
                               for rank in order}
    overdue = [i for i in items if i["rank"] == "overdue"]
    assert all(i["days"] is None or i["days"] < 0 for i in overdue)
    assert [i["days"] for i in overdue if i["days"] is not None] == sorted(
        i["days"] for i in overdue if i["days"] is not None), "the most overdue first"
    cookies = staff_cookies(ds)
    for href in {i["href"].split("#")[0] for i in items}:
        assert href.startswith("/"), href
        assert get(ds, href, cookies).status_code == 200, href


def test_today_shows_an_agencys_slice(ds: Any) -> None:
    everything = staff_json(ds, "/staff.json")["items"]
    agencies = {i["agency_id"] for i in everything if i["agency_id"]}
    assert len(agencies) > 1
    for agency in sorted(agencies):
        mine = staff_json(ds, f"/staff.json?agency={agency}")["items"]
        assert mine and all(agency in (i["agencies"] or [i["agency_id"]]) for i in mine)
        assert len(mine) < len(everything)


def test_problems_are_grouped_by_agency_and_file(ds: Any) -> None:
    sections = staff_json(ds, "/staff/problems.json")["sections"]
    build = next(s for s in sections if s["id"] == "build")
    assert build["groups"], "the sample's notes (deprecated standards) are listed"
    for group in build["groups"]:
        for f in group["files"]:
            assert agency_of(f["file"]) in (group["agency_id"], None), f["file"]
            assert f["problems"] and all(p["file"] == f["file"] for p in f["problems"])
            if f["dataset_id"]:
                assert get(ds, f"/datasets/{f['dataset_id']}",
                           staff_cookies(ds)).status_code == 200


def _all_ids(sample_build: Path) -> list[str]:
    conn = sqlite3.connect(sample_build / "inventory.db")
    try:
        return [r[0] for r in conn.execute("select id from datasets")]
    finally:
        conn.close()


def test_the_whole_inventory_is_paged_sorted_filtered_and_downloadable(
        ds: Any, sample_build: Path) -> None:
    ids = _all_ids(sample_build)
    first = staff_json(ds, "/staff/datasets.json")
    assert first["total"] == len(ids) and len(first["datasets"]) == min(PAGE_SIZE, len(ids))
    seen = [d["id"] for page in range(1, first["pages"] + 1)
            for d in staff_json(ds, f"/staff/datasets.json?page={page}")["datasets"]]
    assert sorted(seen) == sorted(ids), "every dataset on exactly one page"
    titles = [d["title"].lower() for d in first["datasets"]]
    assert titles == sorted(titles)
    newest = staff_json(ds, "/staff/datasets.json?sort=-modified")["datasets"]
    assert [d["modified"] for d in newest] == sorted((d["modified"] for d in newest),
                                                     reverse=True)
    dcf = staff_json(ds, "/staff/datasets.json?agency=dcf&visibility=hidden")
    assert dcf["total"] >= 1
    assert all(d["agency_id"] == "dcf" and d["visibility"] == "hidden"
               for d in dcf["datasets"])
    response = get(ds, "/staff/datasets.csv?agency=dcf&visibility=hidden", staff_cookies(ds))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["id"] for r in rows} == {d["id"] for d in dcf["datasets"]}
    assert "_" not in "".join(rows[0]), "titled columns"
    assert get(ds, f"/staff/datasets?page={first['pages'] + 1}",
               staff_cookies(ds)).status_code == 404


def test_every_canned_query_has_a_titled_page_and_a_csv(ds: Any) -> None:
    listed = staff_json(ds, "/staff/queries.json")["queries"]
    assert len(listed) >= 5 and all(q["title"] != q["name"] for q in listed)
    cookies = staff_cookies(ds)
    for q in listed:
        page = get(ds, q["url"], cookies)
        assert page.status_code == 200, q["url"]
        assert q["title"] in page.text
        assert "select " not in page.text.split("<details", 1)[0].lower(), \
            f"{q['url']}: the SQL is tucked away, not the page"
        found = staff_json(ds, q["url"] + ".json")
        download = get(ds, q["url"] + ".csv", cookies)
        assert download.status_code == 200
        header = next(csv.reader(io.StringIO(download.text)), [])
        assert len(header) == len(found["columns"])
        assert not any("_" in title for title in header), (q["name"], header)
        if "dataset_id" in found["columns"] and found["rows"]:
            assert f'href="/datasets/{found["rows"][0]["dataset_id"]}"' in page.text


def test_today_lists_what_falls_due_from_the_one_due_list(ds: Any, sample_build: Path) -> None:
    """Today reads the build's due_items (what `catalog due` and /due list): everything
    overdue or due within 90 days is there, linked to its agreement, request or dataset."""
    import datetime as dt

    from catalog.governance.due import DueItem

    conn = sqlite3.connect(sample_build / "inventory.db")
    conn.row_factory = sqlite3.Row
    try:
        due = [DueItem.from_row(r) for r in conn.execute("select * from due_items")]
    finally:
        conn.close()
    today = dt.date.fromisoformat(staff_json(ds, "/staff.json")["as_of"])
    expected = {(d.label, d.title) for d in due if d.days(today) <= 90}
    assert expected, "the sample has an agreement, a request and a tool review coming up"
    items = staff_json(ds, "/staff.json")["items"]
    assert expected <= {(i["kind"], i["title"]) for i in items}
    assert len({d.kind for d in due if d.days(today) <= 90}) >= 3
