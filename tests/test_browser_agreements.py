"""The agreement register in a real `datasette serve` driven by Debian's Chromium: the
public summary and its data-flow picture, staff filters, an agreement's DCF 5-4
checklist and the renewals due. Screenshots go to test-artifacts/agreements-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3

from .test_browser import page, server, shot, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _titles(db: Path, where: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(f"select title from agreements where {where}")]
    finally:
        conn.close()


def test_register_public_then_staff(server: str, page: Any,  # noqa: F811
                                    sample_build: Path) -> None:
    from playwright.sync_api import expect

    public = _titles(sample_build / "public.db", "1 order by title")
    private = _titles(sample_build / "inventory.db", "public = 0 order by title")
    assert public and private

    # the public: the summary register and the picture, nothing that is not public
    page.goto(server + "/agreements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data-sharing agreements")
    expect(page.get_by_role("link", name="Agreements", exact=True)).to_have_attribute(
        "aria-current", "page")
    for title in public:
        expect(page.get_by_role("link", name=title, exact=True).first).to_be_visible()
    body = page.content()
    assert not any(title in body for title in private)
    flow_map = page.get_by_role("list", name="Data flows, by the party that provides the data")
    expect(flow_map).to_be_visible()
    expect(page.get_by_label("Written reviews")).to_have_count(0)  # a staff-only filter
    shot(page, "agreements-01-public-register")
    page.get_by_role("link", name=public[0], exact=True).first.click()
    page.wait_for_url(re.compile(r"/agreements/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(public[0])
    expect(page.get_by_role("heading", name="The public summary")).to_be_visible()
    shot(page, "agreements-02-public-agreement")
    response = page.goto(server + "/agreements.ics")
    assert response is not None and response.status == 403

    # staff: every agreement, the filters, one agreement's checklist, what is due
    sign_in(page, server, "staff")
    page.goto(server + "/agreements")
    for title in private:
        expect(page.get_by_role("link", name=title, exact=True).first).to_be_visible()
    shot(page, "agreements-03-staff-register")

    page.get_by_label("State agency").select_option("dcf")
    page.get_by_label(re.compile(r"^Active")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"/agreements\?.*status=active.*agency=dcf"))
    expect(page.get_by_role("status")).to_contain_text("2 of 6 agreements")
    shot(page, "agreements-04-staff-filtered")

    page.goto(server + "/agreements?missing=reviews")  # DCF 5-4's reviews: all written
    expect(page.get_by_role("status")).to_contain_text("0 of 6 agreements")
    page.goto(server + "/agreements")
    page.get_by_role("link", name=re.compile("^DPH-DMHAS")).first.click()
    page.wait_for_url("**/agreements/dph-dmhas-overdose-followup")
    checklist = page.get_by_role("table", name=re.compile("^Approvals and written reviews"))
    row = checklist.get_by_role("row", name=re.compile("Racial Justice Workgroup"))
    expect(row).to_contain_text("DCF Policy 5-4 does not apply")
    shot(page, "agreements-05-staff-agreement-checklist")

    page.locator("summary", has_text="Staff").click()  # the one Staff menu
    page.get_by_role("link", name="Agreements due").first.click()
    page.wait_for_url("**/agreements/due")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Agreements due for renewal or review")
    expect(page.get_by_role("table", name=re.compile("Overdue first"))).to_be_visible()
    shot(page, "agreements-06-staff-due")
    feed = page.request.get(server + "/agreements.ics")
    assert feed.status == 200 and feed.text().startswith("BEGIN:VCALENDAR")


def test_the_flow_map_stays_legible_at_fifty_agreements(
        browser: Any, auth_env: dict[str, str], tmp_path: Path) -> None:
    """50 agreements among 20 agencies (the scale generator's): signed in, at 1366 and
    390 px, the flow map names every agreement, each line fits its box (nothing cut off or
    scrolled sideways) and no two lines overlap."""
    from catalog.bench.generate import Scale, generate
    from catalog.build import build
    from catalog.project import Project
    from catalog.site.config import Site

    from .conftest import REPO
    from .test_browser import datasette

    root = tmp_path / "project"
    generate(root, Scale(agencies=20, datasets=60, fields=4, agreements=50), REPO / "standards")
    outcome = build(Project(root), allow_warnings=True, jobs=1)
    assert outcome.mode != "blocked", [p.as_line() for p in outcome.report.errors]
    with datasette(Site(Project(root), root / "build"), auth_env, tmp_path) as base:
        for width in (1366, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.set_default_timeout(15_000)
            try:
                page = context.new_page()
                sign_in(page, base, "staff")
                page.goto(base + "/agreements")
                flow_map = page.get_by_role(
                    "list", name="Data flows, by the party that provides the data")
                ids = set(re.findall(r'href="/agreements/(agreement-\d{4})"',
                                     flow_map.inner_html()))
                assert len(ids) == 50, sorted(ids)
                boxes = flow_map.evaluate("""map => [...map.querySelectorAll('li')]
                    .filter(li => !li.querySelector('li'))
                    .map(li => { const r = li.getBoundingClientRect();
                        return {x: r.left, y: r.top, w: r.width, h: r.height,
                                right: r.right, sw: li.scrollWidth, cw: li.clientWidth,
                                text: li.innerText.slice(0, 60)}; })""")
                assert boxes
                viewport = page.evaluate("document.documentElement.clientWidth")
                for b in boxes:
                    assert b["sw"] <= b["cw"] + 1, f"{width}px: cut off: {b['text']}"
                    assert b["right"] <= viewport + 1, f"{width}px: off screen: {b['text']}"
                ordered = sorted(boxes, key=lambda b: (b["y"], b["x"]))
                for upper, lower in zip(ordered, ordered[1:], strict=False):
                    same_row = lower["y"] < upper["y"] + upper["h"] - 1
                    apart = lower["x"] >= upper["right"] - 1 or upper["x"] >= lower["right"] - 1
                    assert not same_row or apart, f"{width}px: overlap: {upper['text']}"
                shot(page, f"agreements-50-flow-map-{width}")
            finally:
                context.close()
