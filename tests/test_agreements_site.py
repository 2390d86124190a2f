"""The agreement register on the site: what the public and staff see, the filters, the
agreement page and its checklist, what is due, the iCalendar feed, and that no
anonymous response of these routes reveals anything of a non-public agreement."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import types
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

import pytest

from catalog.dbapi import sqlite3

from .conftest import staff_cookies

TODAY = dt.date(2026, 11, 23)
MIN_LEN = 8


def get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    async def go() -> Any:
        return await ds.client.get(path, cookies=cookies or {})
    return asyncio.run(go())


def strings(db: Path, sql: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [str(r[0]) for r in conn.execute(sql) if r[0] is not None]
    finally:
        conn.close()


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text[:500]
    return {a["id"] for a in response.json()["agreements"]}


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages see TODAY as the date (the sample's dates are relative to it)."""
    from catalog.site.pages import common

    class Day(dt.date):
        @classmethod
        def today(cls) -> dt.date:  # type: ignore[override]
            return TODAY

    monkeypatch.setattr(common, "dt", types.SimpleNamespace(date=Day))


@pytest.fixture(scope="module")
def private_ids(sample_build: Path) -> list[str]:
    found = strings(sample_build / "inventory.db", "select id from agreements where public = 0")
    assert found, "the sample has agreements that are not public"
    return sorted(found)


# -- what the public sees --------------------------------------------------------------------


def test_public_register_is_the_public_summary(ds: Any, sample_build: Path) -> None:
    public = set(strings(sample_build / "inventory.db",
                         "select id from agreements where public = 1"))
    response = get(ds, "/agreements.json")
    assert ids(response) == public
    for a in response.json()["agreements"]:
        assert not {"source_file", "consent_plan", "summary_of_terms", "next_review",
                    "missing_reviews", "checklist_problems"} & set(a)
        assert all(d["visibility"] != "hidden" for d in a["datasets"])
    page = get(ds, "/agreements")
    assert page.status_code == 200
    assert '<a href="/agreements" aria-current="page">Agreements</a>' in page.text
    assert 'class="agr-flowmap"' in page.text and "shares data with" in page.text


def test_non_public_agreements_do_not_exist_for_the_public(ds: Any,
                                                          private_ids: list[str]) -> None:
    for agreement_id in private_ids:
        assert get(ds, f"/agreements/{agreement_id}").status_code == 404
        assert get(ds, f"/agreements/{agreement_id}.json").status_code == 404
        assert get(ds, f"/agreements/{agreement_id}", staff_cookies(ds)).status_code == 200


@pytest.mark.parametrize("path", ["/agreements/due", "/agreements/due.json",
                                  "/agreements/due?within=365", "/agreements.ics"])
def test_due_and_calendar_are_staff_only(ds: Any, path: str) -> None:
    assert get(ds, path).status_code == 403
    assert get(ds, path, staff_cookies(ds)).status_code == 200


def test_public_agreement_page_is_a_summary(ds: Any) -> None:
    data = get(ds, "/agreements/dcf-dss-husky-foster-care-exchange.json").json()
    assert set(data) == {"agreement"}
    assert data["agreement"]["purpose"].startswith("Keep children in DCF out-of-home care")
    assert [p["display_name"] for p in data["agreement"]["parties"]] == [
        "Department of Children and Families", "Department of Social Services"]
    page = get(ds, "/agreements/dcf-dss-husky-foster-care-exchange").text
    assert "The public summary" in page and "review checklist" not in page
    assert "SharePoint" not in page


# -- privacy sweep: no anonymous response of these routes reveals a non-public agreement -------


def _secrets(sample_build: Path) -> set[str]:
    inventory, public = sample_build / "inventory.db", sample_build / "public.db"
    queries = [
        "select id from agreements where public = 0",
        "select title from agreements where public = 0",
        "select p.name from agreement_parties p join agreements a on a.id = p.agreement_id "
        "where a.public = 0 and p.agency_id is null",
        "select title from datasets where visibility = 'hidden'",
        "select archive_ref from agreement_reviews", "select reviewer from agreement_reviews",
        "select summary from agreement_reviews", "select reference from agreement_approvals",
        "select approver from agreement_approvals", "select source_file from agreements",
    ] + [f"select {c} from agreements" for c in (
        "summary_of_terms", "risks_and_benefits", "racial_justice_assessment",
        "equity_conformance", "risk_mitigation", "data_security", "privacy", "client_data_use",
        "consent_plan", "consent_approved_by", "notes")]
    public_bytes = public.read_bytes()
    return {s for q in queries for s in strings(inventory, q)
            if len(s) >= MIN_LEN and s.encode() not in public_bytes}


def _routes(ds: Any, sample_build: Path) -> list[str]:
    inventory = sample_build / "inventory.db"
    routes = ["/agreements", "/agreements.json", "/agreements/due", "/agreements/due.json",
              "/agreements.ics", "/agreements?missing=reviews", "/agreements.json?missing=reviews",
              "/agreements?expiring=30", "/agreements.json?expiring=90"]
    options = get(ds, "/agreements.json", staff_cookies(ds)).json()["options"]
    for name, values in options.items():  # every value staff can filter by, private ones too
        for v in values:
            routes += [f"/agreements?{name}={quote(v['value'])}",
                       f"/agreements.json?{name}={quote(v['value'])}"]
    for agreement_id in strings(inventory, "select id from agreements"):
        routes += [f"/agreements/{agreement_id}", f"/agreements/{agreement_id}.json"]
    for dataset_id in strings(inventory, "select distinct dataset_id from agreement_datasets"):
        routes += [f"/datasets/{dataset_id}", f"/datasets/{dataset_id}.json"]
    return routes


def test_no_anonymous_route_reveals_a_non_public_agreement(ds: Any,
                                                           sample_build: Path) -> None:
    secrets = _secrets(sample_build)
    assert len(secrets) > 40, "the sample should have plenty of staff-only agreement text"
    routes = _routes(ds, sample_build)
    leaks, seen_by_staff = [], set()
    for route in routes:
        response = get(ds, route)
        assert response.status_code in (200, 403, 404), (route, response.status_code)
        asked = unquote_plus(route)  # a filter value may be echoed back
        leaks += [(route, s[:60]) for s in secrets if s in response.text and s not in asked]
        staff = get(ds, route, staff_cookies(ds)).text
        seen_by_staff |= {s for s in secrets if s in staff}
    assert leaks == []
    assert len(routes) > 60
    assert len(seen_by_staff) > 0.8 * len(secrets), "the sweep is not vacuous"


def test_anonymous_agreement_pages_read_only_public_db(ds: Any, sample_build: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.site.pages import common

    routes = [r for r in _routes(ds, sample_build) if r.startswith("/agreements")]
    opened: list[str] = []
    real = common.Reader.__init__

    def spy(self: Any, datasette: Any, actor: Any, **kw: Any) -> None:
        real(self, datasette, actor, **kw)
        opened.append(self.name)

    monkeypatch.setattr(common.Reader, "__init__", spy)
    refused = 0
    for route in routes:
        before = len(opened)
        status = get(ds, route).status_code
        refused += status == 403
        # a staff page is refused before it opens any database
        assert len(opened) == before + (status != 403), (route, status)
    assert set(opened) == {"public"} and 0 < refused < len(routes)


# -- what staff see -------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ("", {"dot-deep-flood-vulnerability-roads", "dcf-dss-husky-foster-care-exchange",
          "dph-dmhas-overdose-followup", "dss-opm-p20-win-snap-employment",
          "sde-dcf-educational-stability", "dcf-uconn-kinship-permanency-study"}),
    ("status=active", {"dcf-dss-husky-foster-care-exchange",
                       "dcf-uconn-kinship-permanency-study"}),
    ("status=draft&status=expired", {"dot-deep-flood-vulnerability-roads",
                                     "sde-dcf-educational-stability"}),
    ("agency=dss", {"dcf-dss-husky-foster-care-exchange", "dss-opm-p20-win-snap-employment"}),
    ("party=Yale+Tobin+Center+for+Economic+Policy", {"dss-opm-p20-win-snap-employment"}),
    ("dataset=dcf-out-of-home-placements", {"dcf-dss-husky-foster-care-exchange",
                                            "dcf-uconn-kinship-permanency-study",
                                            "sde-dcf-educational-stability"}),
    ("expiring=60", {"dcf-dss-husky-foster-care-exchange"}),
    ("expiring=30", set()),
    ("missing=reviews", set()),  # only DCF 5-4 requires the written reviews: all are there
    ("status=active&agency=dss", {"dcf-dss-husky-foster-care-exchange"}),
])
def test_staff_filters(ds: Any, on_day: None, query: str, expected: set[str]) -> None:
    assert ids(get(ds, f"/agreements.json?{query}", staff_cookies(ds))) == expected


def test_unknown_filter_values_are_ignored(ds: Any, on_day: None) -> None:
    everything = ids(get(ds, "/agreements.json", staff_cookies(ds)))
    assert ids(get(ds, "/agreements.json?status=bogus&expiring=45",
                   staff_cookies(ds))) == everything
    public = ids(get(ds, "/agreements.json"))
    assert ids(get(ds, "/agreements.json?missing=reviews")) == public  # staff-only filter


def test_register_draws_who_shares_with_whom(ds: Any) -> None:
    staff = get(ds, "/agreements.json", staff_cookies(ds)).json()["flows"]
    public = get(ds, "/agreements.json").json()["flows"]
    assert "party:yale tobin center for economic policy" in {n["key"] for n in staff["nodes"]}
    assert all(n["kind"] == "state-agency" for n in public["nodes"])
    dcf_dss = [e for e in staff["edges"]
               if e["agreement_id"] == "dcf-dss-husky-foster-care-exchange"]
    assert [(e["source"], e["target"], e["both_ways"]) for e in dcf_dss] == [
        ("agency:dcf", "agency:dss", True)]
    page = get(ds, "/agreements?agency=dph", staff_cookies(ds)).text
    flow_map = page.split('class="agr-flowmap"', 1)[1].split("</section>", 1)[0]
    assert flow_map.count('class="agr-provider"') >= 1
    assert {a for a in re.findall(r'href="/agreements/([a-z0-9-]+)"', flow_map)} == {
        "dph-dmhas-overdose-followup"}


def test_agreement_page_for_staff(ds: Any, on_day: None) -> None:
    data = get(ds, "/agreements/dph-dmhas-overdose-followup.json", staff_cookies(ds)).json()
    # DPH and DMHAS share no DCF data: DCF Policy 5-4 does not apply to them
    assert {i["state"] for i in data["checklist"]} == {"not-applicable"}
    assert data["problems"] == [] and data["due"] == []  # under review: nothing due yet
    assert len(data["reviews"]) == 2
    data = get(ds, "/agreements/dcf-uconn-kinship-permanency-study.json",
               staff_cookies(ds)).json()
    states = {i["key"]: i["state"] for i in data["checklist"]}
    assert set(states.values()) == {"done"}, states
    data = get(ds, "/agreements/dcf-dss-husky-foster-care-exchange.json",
               staff_cookies(ds)).json()
    states = {i["key"]: i["state"] for i in data["checklist"]}
    assert states["consent-plan"] == "done"  # DSS is external to DCF: consent is planned
    page = get(ds, "/agreements/dcf-uconn-kinship-permanency-study", staff_cookies(ds)).text
    for text in ("DCF 5-4 review checklist", "SharePoint: ORE/IRB/2025-006",
                 "Client notification and consent plan", "Not in the public register",
                 'href="/datasets/dcf-sdm-risk-assessments"'):
        assert text in page, text
    due = get(ds, "/agreements/dcf-dss-husky-foster-care-exchange.json",
              staff_cookies(ds)).json()["due"]
    assert [(d["kind"], d["date"]) for d in due] == [("term-end", "2026-12-31"),
                                                      ("ongoing-review", "2027-01-12")]


def test_due_page(ds: Any, on_day: None) -> None:
    data = get(ds, "/agreements/due.json?within=60", staff_cookies(ds)).json()
    assert data["within"] == 60 and data["overdue"] == 0 and data["in_force"] == 3
    assert [(i["agreement_id"], i["kind"]) for i in data["items"]] == [
        ("dcf-dss-husky-foster-care-exchange", "term-end"),
        ("dcf-dss-husky-foster-care-exchange", "ongoing-review")]
    assert get(ds, "/agreements/due.json?within=soon",
               staff_cookies(ds)).json()["within"] == 90
    page = get(ds, "/agreements/due", staff_cookies(ds)).text
    assert "Agreements due for renewal or review" in page and "in 38 days" in page


def test_calendar_feed(ds: Any, sample_build: Path) -> None:
    import icalendar

    response = get(ds, "/agreements.ics", staff_cookies(ds))
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.content == get(ds, "/agreements.ics", staff_cookies(ds)).content
    cal = icalendar.Calendar.from_ical(response.content)
    in_force = strings(sample_build / "inventory.db", "select id from agreements "
                       "where status in ('approved', 'active') order by id")
    uids = sorted(str(e["uid"]) for e in cal.walk("VEVENT"))
    assert uids == sorted(f"agreement-{i}-{kind}@inventory.data.ct.gov"
                          for i in in_force for kind in ("term-end", "ongoing-review"))
    built = strings(sample_build / "inventory.db", "select value from meta "
                    "where key = 'built_at'")[0]
    event = cal.walk("VEVENT")[0]
    assert event.decoded("dtstamp") == dt.datetime.fromisoformat(built)
    assert str(event["url"]).startswith("http://localhost/agreements/")


def test_dataset_page_lists_the_agreements_sharing_it(ds: Any) -> None:
    public = get(ds, "/datasets/dcf-out-of-home-placements.json").json()["agreements"]
    staff = get(ds, "/datasets/dcf-out-of-home-placements.json",
                staff_cookies(ds)).json()["agreements"]
    assert {a["id"] for a in public} == {"dcf-dss-husky-foster-care-exchange",
                                         "sde-dcf-educational-stability"}
    assert {a["id"] for a in staff} == {a["id"] for a in public} | {
        "dcf-uconn-kinship-permanency-study"}
