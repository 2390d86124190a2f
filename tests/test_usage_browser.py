"""Use cases in Chromium against a real `datasette serve`: the public opens a dataset,
fills the form with the keyboard (the honeypot is never reached), staff approve it, and
the usage page shows its charts. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer

from catalog.dbapi import sqlite3

from .conftest import watch_csp
from .test_browser import ARTIFACTS, answers, free_port

pytestmark = pytest.mark.browser

D = "dcf-entries-to-care-by-town"
# headless Chromium says "HeadlessChrome" and is rightly counted as a bot; act as a person
PERSON = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0 Safari/537.36")
SECRET = secrets.token_hex(32)


@pytest.fixture(scope="module")
def server(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("usage-server")
    store = folder / "usage.db"
    port = free_port()
    env = {**os.environ, "DATASETTE_SECRET": SECRET, "CATALOG_USAGE_URL": f"sqlite:///{store}",
           "CATALOG_USAGE_TRACKING": "on", "CATALOG_USAGE_FLUSH_SECONDS": "0.2"}
    log = open(folder / "datasette.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "datasette",
                             *site.argv("127.0.0.1", port)[1:]], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not answers(base + "/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail((folder / "datasette.log").read_text()[-3000:])
            time.sleep(0.1)
        yield base, store
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_use_case_from_form_to_publication(server: tuple[str, Path], browser: Any) -> None:
    from playwright.sync_api import expect

    base, store = server
    public = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=PERSON)
    page = public.new_page()
    violations = watch_csp(page)
    page.goto(f"{base}/datasets/{D}")
    expect(page.get_by_role("heading", name="How this data is used")).to_be_visible()
    page.get_by_label("Title").focus()
    page.keyboard.type("Foster care map")
    page.keyboard.press("Tab")  # the hint is text, the next stop is the description
    page.keyboard.type("A town map of entries to care for our county plan.")
    page.keyboard.press("Tab")
    page.keyboard.type("https://example.org/map")
    page.keyboard.press("Tab")
    page.keyboard.type("Regional Council")
    page.keyboard.press("Tab")
    page.keyboard.type("me@example.org")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.outerHTML")
    assert "Send for review" in focused, focused  # the honeypot is skipped
    shot(page, "usage-01-form")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    shot(page, "usage-02-thanks")
    assert not violations, violations
    public.close()

    conn = sqlite3.connect(store)
    [(use_case_id, status, hp)] = conn.execute(
        "select id, status, title from use_cases").fetchall()
    conn.close()
    assert status == "pending" and hp == "Foster care map"

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    cookie = URLSafeSerializer(SECRET, "actor").dumps({"a": {"id": "cdo", "roles": ["staff"]}})
    staff.add_cookies([{"name": "ds_actor", "value": cookie, "url": base}])
    page = staff.new_page()
    violations = watch_csp(page)
    page.goto(f"{base}/usage/moderation")
    expect(page.get_by_text("me@example.org")).to_be_visible()
    shot(page, "usage-03-moderation")
    page.get_by_role("button", name="Approve “Foster care map”").click()
    expect(page.get_by_role("status")).to_contain_text(f"Use case {use_case_id} approved")
    assert not violations, violations
    staff.close()

    public = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=PERSON)
    page = public.new_page()
    violations = watch_csp(page)
    page.goto(f"{base}/datasets/{D}/use-cases")
    expect(page.get_by_role("link", name="Foster care map")).to_be_visible()
    assert "me@example.org" not in page.content()
    time.sleep(0.5)  # the timer flushes the page views
    page.goto(f"{base}/usage")
    expect(page.get_by_role("img", name=re.compile(r"^Daily use\."))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Datasets' use by channel\."))).to_be_visible()
    expect(page.get_by_label("Use in this period")).to_contain_text("1 request in all")
    shot(page, "usage-04-report")
    assert not violations, violations
    public.close()
