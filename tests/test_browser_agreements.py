"""The agreement register in a real `datasette serve` driven by Debian's Chromium: the
public summary and its data-flow picture, staff filters, an agreement's DCF 5-4
checklist and the renewals due. Screenshots go to test-artifacts/agreements-*.png."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

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
