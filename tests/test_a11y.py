"""WCAG 2.1 AA, checked with axe-core (npm registry) in Debian's Chromium against a real
`datasette serve`: every page the site serves, its own and Datasette's, signed out and
signed in, at 1366 px and 390 px, with a screenshot of each in test-artifacts/a11y/.

The full sweep is slow (``pytest -m a11y``; CI runs it with the slow tests); the
default suite checks the pages people meet first. A meta-test keeps the sweep complete:
every HTML route of the route table (catalog.site.routes) must have a page in it, and
after the sweep a screenshot at each width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, axe_page, axe_violations
from .test_browser import ARTIFACTS, one, server, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
WIDTHS = (1366, 390)


def _one(db: Path, sql: str) -> str:
    return str(one(db, sql)[0])


def canned() -> list[str]:
    meta = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    return list(meta["databases"]["inventory"]["queries"])


def public_pages(build: Path) -> list[str]:
    pub, inv = build / "public.db", build / "inventory.db"
    dataset = _one(pub, "select id from datasets where visibility = 'public' and id in "
                        "(select dataset_id from fields where name = 'town') order by id")
    listed = _one(pub, "select id from datasets where visibility = 'listed' order by id")
    hidden = _one(inv, "select id from datasets where visibility = 'hidden' order by id")
    agreement = _one(pub, "select id from agreements order by id")
    return [
        "/", "/search", "/search?q=town", "/search?q=race&agency=dcf&access=public",
        "/datasets", f"/datasets/{dataset}", f"/datasets/{listed}",
        f"/datasets/{hidden}", f"/datasets/{dataset}/use-cases", "/agencies",
        "/agencies/dcf", "/changes", f"/datasets/{dataset}/history",
        "/standards", "/standards/ct-town", "/standards/ct-town?page=2",
        "/agreements", "/agreements?status=active", f"/agreements/{agreement}",
        "/access-plans", "/usage", "/usage?source=catalog", "/usage/use-cases",
        "/public", "/public/datasets", "/public/datasets?_facet=agency_id",
        "/public/datasets?_search=town", "/public/fields?_sort=name",
        f"/public/datasets/{dataset}", "/public?sql=select+id%2C+title+from+datasets",
        "/public?sql=select+nonsense+from+nowhere", "/-/login", "/-/login?next=/staff",
        "/-/actor", "/-/settings", "/-/metadata", "/staff", "/inventory", "/scorecards",
        "/no/such/page", "/-/patterns",
    ]


def staff_pages(build: Path) -> list[str]:
    inv = build / "inventory.db"
    private = _one(inv, "select id from agreements where public = 0 order by id")
    dataset = _one(inv, "select id from datasets where visibility = 'hidden' order by id")
    return [
        "/staff", "/staff?agency=dcf", "/staff/problems", "/staff/problems?severity=info",
        "/staff/datasets", "/staff/datasets?sort=-reviewed&access=non-public",
        "/staff/queries", *[f"/staff/queries/{q}" for q in canned()], "/scorecards",
        "/requests", "/due", "/agencies/dcf/progress",
        "/agreements/due", f"/agreements/{private}", "/usage/moderation",
        "/inventory", "/inventory/datasets", "/inventory/problems",
        f"/inventory/datasets/{dataset}", f"/inventory/{canned()[0]}",
        "/inventory?sql=select+id+from+datasets+limit+3", "/-/threads", "/-/versions",
        "/-/plugins", "/-/password-tool", "/-/logout",
    ]


def slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-")[:80] or "home"


def keep(page: Any, path: Path) -> None:
    """A full-page screenshot; on a loaded machine a very long page may not be captured
    in time, and then the first screenful is kept (the picture is evidence: the check is
    axe-core's)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.screenshot(path=str(path), full_page=True, timeout=60_000)
    except PlaywrightTimeout:
        page.screenshot(path=str(path), timeout=60_000)


def screenshot_path(who: str, width: int, url: str) -> Path:
    return ARTIFACTS / "a11y" / f"{who}-{width}-{slug(url)}.png"


def sweep(browser: Any, base: str, urls: list[str], width: int, who: str,
          shown: list[str] | None = None) -> list[str]:
    """axe-core on each page; a full-page screenshot of each (the pages that answered
    HTML are added to ``shown``). Returns every violation."""
    (ARTIFACTS / "a11y").mkdir(parents=True, exist_ok=True)
    context, page = axe_page(browser, width)
    failures = []
    try:
        if who != "anonymous":
            sign_in(page, base, who)
        for url in urls:
            response = page.goto(base + url)
            assert response is not None, url
            if "html" not in (response.headers.get("content-type") or ""):
                continue
            keep(page, screenshot_path(who, width, url))
            if shown is not None:
                shown.append(url)
            failures += [f"{who} {width}px {url}: {v}" for v in axe_violations(page)]
    finally:
        context.close()
    return failures


@pytest.mark.slow
@pytest.mark.a11y
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_signed_out_has_no_axe_violation(browser: Any, server: str,  # noqa: F811
                                                    sample_build: Path, width: int) -> None:
    failures = sweep(browser, server, public_pages(sample_build), width, "anonymous")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.a11y
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_signed_in_has_no_axe_violation(browser: Any, server: str,  # noqa: F811
                                                   sample_build: Path, width: int) -> None:
    """…and every HTML route of the route table has its screenshot at this width."""
    urls = staff_pages(sample_build) + public_pages(sample_build)
    urls.remove("/-/logout")  # last: it shows the sign-out page, which signs nobody out
    shown: list[str] = []
    failures = sweep(browser, server, [*urls, "/-/logout"], width, "admin", shown)
    assert not failures, "\n".join(failures)
    pictured = [u for u in shown if screenshot_path("admin", width, u).is_file()]
    assert not routes_missing(pictured), routes_missing(pictured)


FIRST_PAGES = ["/", "/search?q=town", "/datasets/dcf-entries-to-care-by-town", "/public",
               "/public/datasets", "/-/login", "/staff"]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_people_meet_first_have_no_axe_violation(
        browser: Any, server: str, width: int) -> None:  # noqa: F811
    failures = sweep(browser, server, FIRST_PAGES, width, "anonymous")
    failures += sweep(browser, server, ["/staff", "/staff/problems", "/scorecards",
                                        "/inventory/datasets"], width, "admin")
    assert not failures, "\n".join(failures)


def routes_missing(urls: list[str]) -> list[str]:
    """The HTML routes of the route table that none of ``urls`` reaches."""
    from catalog.site.routes import ROUTES

    paths = [u.split("?")[0] for u in urls]
    return [r.name for r in ROUTES.html() if not any(r.regex.match(p) for p in paths)]


def test_the_sweep_covers_every_html_route(sample_build: Path) -> None:
    """Each route of the table that answers HTML has at least one page in the sweep, and
    no two of the sweep's pages share a screenshot's name."""
    urls = public_pages(sample_build) + staff_pages(sample_build)
    assert not routes_missing(urls), routes_missing(urls)
    for who, pages in (("anonymous", public_pages(sample_build)),
                       ("admin", staff_pages(sample_build) + public_pages(sample_build))):
        names = {screenshot_path(who, 390, u) for u in set(pages)}
        assert len(names) == len(set(pages)), f"{who}: two pages share a screenshot"


@pytest.fixture(scope="module", autouse=True)
def _artifacts() -> Iterator[None]:
    ARTIFACTS.mkdir(exist_ok=True)
    yield
