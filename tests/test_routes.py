"""The route table (catalog.site.routes): every URL the catalog serves is in it, and a
route gets its formats, its 404, its audience, its caching and its usage counting from
it alone."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from datasette import hookimpl

from catalog.site import caching
from catalog.site.pages import Page, view
from catalog.site.pages.common import NotFoundError, Reader, Table
from catalog.site.routes import (
    BUILD,
    LIVE,
    LIVE_HTML,
    ROUTES,
    STAFF,
    SUFFIXES,
    Route,
    RouteTable,
)
from catalog.usage.classify import Hit, classify

from .conftest import staff_cookies
from .test_browser import one

SAMPLE = {"slug": "a-b", "lower": "a-b", "id": "x1", "word": "q", "rest": "a-b/csv",
          "export": "data.json"}


def example(route: Route, fmt: str) -> str:
    """A URL of ``route`` in format ``fmt``, its parameters filled with sample values."""
    def fill(m: re.Match[str]) -> str:
        kind = m.group(2)
        return SAMPLE.get(kind) or kind.split("|")[0]

    path = re.sub(r"\{(\w+):([^{}]+)\}", fill, route.path)
    path = re.sub(r"\(\?:([^|)]*)[^)]*\)", r"\1", path)  # the first of alternatives
    return path + SUFFIXES[fmt]


def registered(ds: Any) -> dict[str, list[str]]:
    """The patterns each plugin registers, by plugin."""
    from datasette.plugins import pm
    from datasette.utils import call_with_supported_arguments

    return {impl.plugin_name.split(".")[-1]: [
        pattern for pattern, _ in call_with_supported_arguments(impl.function, datasette=ds)
        or []] for impl in pm.hook.register_routes.get_hookimpls()}


def test_every_route_served_is_in_the_table(ds: Any) -> None:
    by_plugin = registered(ds)
    ours = [p for name, patterns in by_plugin.items() if name.startswith("catalog_")
            for p in patterns]
    assert sorted(ours) == sorted(r.pattern for r in ROUTES)
    assert {f"catalog_{g}" for g in ROUTES.groups()} <= set(by_plugin)
    # other plugins' routes (sign-in) are the table's own paths, which the catalog answers
    others = {p for name, patterns in by_plugin.items() if not name.startswith("catalog_")
              for p in patterns}
    assert others and others <= set(ours)


def test_each_example_url_is_matched_by_its_own_route_first() -> None:
    for route in ROUTES:
        for fmt in route.formats:
            url = example(route, fmt)
            found = ROUTES.match(url)
            assert found and found[0] is route, (route.name, url)
            assert route.format_of(found[1]) == fmt


def test_what_is_live_comes_from_the_table() -> None:
    for route in ROUTES:
        for fmt in route.formats:
            url = example(route, fmt)
            live = route.cache == LIVE or (route.cache == LIVE_HTML and fmt == "html")
            assert caching.is_live(url, "") == live, (route.name, url)


def test_what_is_counted_comes_from_the_table() -> None:
    datasets = {"a-b"}
    for route in ROUTES:
        for fmt in route.formats:
            hit = classify(example(route, fmt), "", datasets)
            assert (hit is not None) == (route.usage is not None), route.name
    assert classify("/datasets/a-b", "", datasets) == Hit("a-b", "page")
    assert classify("/datasets/a-b.json", "", datasets) == Hit("a-b", "json")


def test_a_new_route_is_live_and_counted_as_its_row_says() -> None:
    table = RouteTable([*ROUTES, Route("thing", "/things/{thing_id:id}", "tests:x",
                                       cache=LIVE_HTML, usage="search")])
    assert table.is_live("/things/x1") and not table.is_live("/things/x1.json")
    assert table.usage("/things/x1.json") is not None


# -- a route added to the table gets every behaviour of a page -----------------------------

LOADS: list[str] = []


async def thing(reader: Reader, request: Any) -> Page:
    thing_id = request.url_vars["thing_id"]
    LOADS.append(request.path)
    if thing_id == "missing":
        raise NotFoundError("No such thing")
    row = {"id": thing_id, "formula": "=1+1", "agencies": await reader.value(
        "select count(*) from agencies")}
    return Page("show_json.html", f"Thing {thing_id}",
                {"filename": thing_id, "data_json": "{}", "thing": row},
                table=Table(f"{thing_id}.csv", list(row), ["Id", "Formula", "Agencies"],
                            [row]))


THING = Route("thing", "/things/{thing_id:id}", "tests.test_routes:thing",
              ("html", "json", "csv"), cache=BUILD)
STAFF_THING = Route("staff-thing", "/staff-things/{thing_id:id}", "tests.test_routes:thing",
                    audience=STAFF)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r.pattern, view(r)) for r in (THING, STAFF_THING)]


@pytest.fixture(scope="module")
def thing_ds(site: Any) -> Iterator[Any]:
    from datasette.plugins import pm

    plugin = types.ModuleType("test_routes_thing")
    plugin.register_routes = register_routes  # type: ignore[attr-defined]
    pm.register(plugin, name="test_routes_thing")
    try:
        yield site.app()
    finally:
        pm.unregister(name="test_routes_thing")


def get(ds: Any, url: str, **kw: Any) -> Any:
    return asyncio.run(ds.client.get(url, **kw))


def test_a_new_route_answers_each_of_its_formats(thing_ds: Any, sample_build: Path) -> None:
    agencies = one(sample_build / "public.db", "select count(*) from agencies")[0]
    data = get(thing_ds, "/things/x1.json")
    assert data.status_code == 200 and data.headers["content-type"].startswith(
        "application/json")
    assert data.json()["thing"] == {"id": "x1", "formula": "=1+1", "agencies": agencies}
    page = get(thing_ds, "/things/x1")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<title>x1</title>" in page.text and "<footer" in page.text  # the page frame
    sheet = get(thing_ds, "/things/x1.csv")
    assert sheet.headers["content-type"].startswith("text/csv")
    assert 'filename="x1.csv"' in sheet.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(sheet.text)))
    assert rows == [["Id", "Formula", "Agencies"], ["x1", "'=1+1", str(agencies)]]


def test_a_new_route_has_the_one_404(thing_ds: Any) -> None:
    data = get(thing_ds, "/things/missing.json")
    assert data.status_code == 404
    assert data.json() == {"ok": False, "error": "No such thing", "status": 404,
                           "title": None}
    page = get(thing_ds, "/things/missing")
    assert page.status_code == 404 and "No such thing" in page.text
    assert "text/html" in page.headers["content-type"]
    assert get(thing_ds, "/things/missing.csv").json()["status"] == 404


def test_a_new_route_is_cached_for_anonymous_readers(thing_ds: Any) -> None:
    first = get(thing_ds, "/things/x1.json")
    assert first.headers["cache-control"] == caching.PUBLIC and first.headers["etag"]
    again = get(thing_ds, "/things/x1.json", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    staff = get(thing_ds, "/things/x1.json", cookies=staff_cookies(thing_ds))
    assert "etag" not in staff.headers and staff.status_code == 200


def test_a_new_public_route_is_loaded_once_per_build(thing_ds: Any) -> None:
    before = LOADS.count("/things/y2")
    assert get(thing_ds, "/things/y2").text == get(thing_ds, "/things/y2").text
    assert LOADS.count("/things/y2") == before + 1
    cookies = staff_cookies(thing_ds)
    get(thing_ds, "/things/y2", cookies=cookies), get(thing_ds, "/things/y2", cookies=cookies)
    assert LOADS.count("/things/y2") == before + 3  # staff pages every time


def test_a_new_staff_route_is_refused_to_the_public(thing_ds: Any) -> None:
    refused = get(thing_ds, "/staff-things/x1")
    assert refused.status_code == 403 and "Sign in" in refused.text
    assert get(thing_ds, "/staff-things/x1.json",
               cookies=staff_cookies(thing_ds)).status_code == 200


def test_content_negotiation_is_offered_where_the_table_says() -> None:
    negotiating = {r.name for r in ROUTES if r.rdf}
    assert negotiating == {"home", "dataset"}
    for route in ROUTES:
        for fmt in route.formats:
            offered = ROUTES.rdf(example(route, fmt))
            assert offered == (route.rdf if fmt == "html" else ()), (route.name, fmt)
