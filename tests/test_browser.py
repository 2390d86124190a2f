"""A real `datasette serve` driven by headless Chromium (Debian's, never a downloaded one):
the public path from the home page to a data dictionary, staff sign-in and sign-out, and
keyboard access. Screenshots of each step go to test-artifacts/."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3

from .conftest import REPO, STAFF_PASSWORD, watch_csp

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts"
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def datasette(site: Any, env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """A `datasette serve` process with the site's configuration on a free port."""
    port = free_port()
    argv = site.argv("127.0.0.1", port)
    log_path = log_dir / "datasette.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "datasette", *argv[1:]],
                            env={**os.environ, **env, "DATASETTE_SECRET": secrets.token_hex(32)},
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not answers(base + "/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"datasette did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def server(site: Any, auth_env: dict[str, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample catalog served by `datasette serve`."""
    with datasette(site, auth_env, tmp_path_factory.mktemp("server")) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        violations = watch_csp(page)
        yield page
        assert not violations, violations  # the site's pages pass its own CSP
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, server: str, user: str, *, next_path: str = "",
            screenshot: str = "") -> None:
    """Sign in on the sign-in page; staff land on their home page (or ``next_path``)."""
    page.goto(server + "/-/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server + (next_path or "/staff"))


def one(db: Path, sql: str) -> tuple[Any, ...]:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(sql).fetchone()
    finally:
        conn.close()
    assert row, sql
    return tuple(row)


def test_search_dictionary_and_staff_sign_in(server: str, page: Any,
                                             sample_build: Path) -> None:
    from playwright.sync_api import expect

    dataset_id, title = one(sample_build / "public.db", (
        "select d.id, d.title from datasets d join fields f on f.dataset_id = d.id "
        "where d.visibility = 'public' and f.name = 'town' order by d.title limit 1"))
    hidden_id, hidden_title = one(sample_build / "inventory.db", (
        "select id, title from datasets where visibility = 'hidden' order by id limit 1"))
    hidden_url = f"{server}/datasets/{hidden_id}"

    # the public: home → search → a dataset's data dictionary
    page.goto(server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Connecticut High-Value Data Inventory")
    shot(page, "01-home")
    box = page.get_by_label("Search the inventory")
    box.fill("town")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=town$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("town")
    shot(page, "02-search-town")
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(f"**/datasets/{dataset_id}")
    dictionary = page.get_by_role("table", name=re.compile(r"fields? of"))
    expect(dictionary).to_be_visible()
    names = dictionary.locator("tbody th code").all_inner_texts()
    assert "town" in names
    headers = dictionary.locator("thead th").all_inner_texts()
    assert headers[:5] == ["Field", "Type", "Description", "Standard", "Conformance"]
    assert not any("Flags" in h for h in headers)
    shot(page, "03-dataset-dictionary")

    # a hidden dataset does not exist for the public
    response = page.goto(hidden_url)
    assert response is not None and response.status == 404
    shot(page, "04-hidden-dataset-anonymous-404")

    # staff sign in and see it
    sign_in(page, server, "staff", screenshot="05-sign-in")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    response = page.goto(hidden_url)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(hidden_title)
    shot(page, "06-hidden-dataset-staff")

    # sign out: the dataset is gone again
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server + "/")
    expect(page.get_by_role("link", name=re.compile("^Sign in"))).to_be_visible()
    response = page.goto(hidden_url)
    assert response is not None and response.status == 404
    shot(page, "07-hidden-dataset-after-sign-out")


def test_keyboard_reaches_the_skip_link_first(server: str, page: Any) -> None:
    page.goto(server + "/search?q=town")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(),"
        " outline: getComputedStyle(document.activeElement).outlineStyle,"
        " top: document.activeElement.getBoundingClientRect().top})")
    assert focused["text"] == "Skip to main content"
    assert focused["outline"] == "solid" and focused["top"] >= 0  # visible when focused
    shot(page, "08-keyboard-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main-content"
    page.keyboard.press("Tab")
    assert page.evaluate("() => Boolean(document.activeElement.closest('main'))")
    shot(page, "09-keyboard-in-main")


CSP_PAGES = ["/", "/search?q=town", "/agencies", "/agencies/dcf", "/standards",
             "/standards/ct-town", "/access-plans", "/agreements", "/usage", "/-/login",
             "/public", "/public/datasets", "/public/datasets?_facet=agency_id",
             "/public/fields?_sort=name", "/public?sql=select+id,+title+from+datasets",
             "/datasets/dcf-entries-to-care-by-town", "/a/b/c/d"]
STAFF_PAGES = ["/scorecards", "/requests", "/inventory", "/inventory/datasets",
               "/inventory/problems", "/usage/moderation", "/-/threads", "/-/password-tool"]


def test_every_page_passes_the_content_security_policy(server: str, page: Any) -> None:
    """Chromium reports no CSP violation on the catalog's pages or Datasette's own
    (tables, the SQL editor), public or staff; the SQL editor's script still runs."""
    from playwright.sync_api import expect

    for url in CSP_PAGES:
        page.goto(server + url)
        page.wait_for_load_state("load")
    page.goto(server + "/public?sql=select+1")
    expect(page.locator(".CodeMirror")).to_be_visible()  # its inline set-up was allowed
    sign_in(page, server, "admin")
    for url in STAFF_PAGES:
        response = page.goto(server + url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("load")


@pytest.mark.parametrize("width", [390, 1366])
def test_the_sql_box_is_as_wide_as_its_form_under_its_label(browser: Any, server: str,
                                                              width: int) -> None:
    """Datasette gives form labels 15% of the width and its editor 80%: on a phone the
    label stood in a column four words wide beside a narrow editor."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(server + "/public")
        page.wait_for_selector(".ct-sql-form .CodeMirror")
        box = page.evaluate("""() => { const r = s => document.querySelector(s)
                                           .getBoundingClientRect();
            return {label: r('.ct-sql-label'), editor: r('.ct-sql-form .CodeMirror'),
                    form: r('.ct-sql-form')}; }""")
    finally:
        context.close()
    label, editor, form = box["label"], box["editor"], box["form"]
    assert label["bottom"] <= editor["top"] + 1, box  # the label above the editor
    assert label["height"] < 40, box  # on one or two lines, not a narrow column
    assert editor["width"] >= form["width"] - 2, box
