"""Serving: the benchmark (catalog.bench.serve) reads wrk right and runs on a tiny
synthetic inventory with sane figures for every endpoint; and, on a real ``datasette
serve``, the HTTP caching policy (catalog.site.caching) holds: public answers are
cacheable with an ETag and 304s, anything personal never is."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog.bench.generate import Scale
from catalog.bench.serve import (
    EXPORT_NAMES,
    Endpoint,
    Figures,
    Result,
    Run,
    parse_wrk,
    prepare,
    run,
    table,
)
from catalog.interop import EXPORTS
from catalog.site import caching

from .conftest import REPO, STAFF_PASSWORD, staff_cookies

D = "dcf-entries-to-care-by-town"  # public, takes use cases (a form on its page)
HIDDEN_DATASET = "dcf-ct-kids-case-management"  # not in public.db
SECRET = "test-secret"  # the ``ds`` fixture's, so staff_cookies() sign for the server

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8001/datasets/x
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    54.99ms   18.05ms   1.14s    75.96%
    Req/Sec   290.48     87.02   460.00     65.00%
  Latency Distribution
     50%  654.00us
     75%   64.26ms
     90%   74.87ms
     99%    1.14s
  2899 requests in 5.02s, 23.43MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    577.85
Transfer/sec:      4.67MB
"""


def test_parse_wrk_reads_rate_latency_and_errors() -> None:
    run_ = parse_wrk(WRK_OUTPUT)
    assert run_.requests == 2899 and run_.seconds == pytest.approx(5.02)
    assert run_.rate == pytest.approx(577.85)
    assert run_.p50_ms == pytest.approx(0.654) and run_.p99_ms == pytest.approx(1140)
    assert (run_.non_2xx, run_.socket_errors, run_.errors) == (7, 5, 12)


def test_parse_wrk_without_errors_and_refusing_other_text() -> None:
    clean = "\n".join(line for line in WRK_OUTPUT.splitlines()
                      if "errors" not in line and "Non-2xx" not in line)
    assert parse_wrk(clean).errors == 0
    with pytest.raises(ValueError):
        parse_wrk("unable to connect to 127.0.0.1:9 Connection refused")


def test_ratios_and_checks() -> None:
    fast, slow = parse_wrk(WRK_OUTPUT), parse_wrk(WRK_OUTPUT.replace("577.85", "57.78"))
    fast.requests, slow.requests = 1000, 100
    fast.seconds = slow.seconds = 1.0
    names = ("dataset", "search", "search-varied", "row")
    result = Result([Endpoint(n, "/") for n in names])
    for name in names:
        result.figures(False)[name] = Figures([fast])
        result.figures(True)[name] = Figures([slow if name == "search" else fast])
    result.status = dict.fromkeys(names, 200)
    result.pairs = [1.0, 0.1, 1.0, 1.0]
    assert result.ratio("dataset", "row", tracking=False) == 1.0
    assert result.ratio("search", "row", tracking=True) == pytest.approx(0.1)
    checks = {what.split(" >=")[0]: met for what, _, met in result.checks()}
    assert checks["dataset page / row JSON"] and not checks["search JSON / row JSON"]
    assert checks["tracking on / off"]  # the median of the pairs: one slow pair
    assert not checks["every endpoint answers 200, no errors"]  # wrk counted errors
    assert checks["varied search JSON / row JSON"]
    assert not checks["search-varied p99 <= 150 ms"]  # WRK_OUTPUT's p99 is over it
    assert "search-varied" in table(result)
    # the exports against nginx serving the same bytes, and a fresh server's first second
    result.figures(False)["data.json"] = result.figures(True)["data.json"] = Figures([slow])
    result.static["data.json"] = Figures([fast])
    result.fresh = {"/search.json": fast, "/data.json": Run(0, 1.0, 0.0, 0.0, 0.0)}
    checks = {what.split(" >=")[0]: met for what, _, met in result.checks()}
    assert not checks["data.json / nginx (same bytes)"]  # 0.1 of nginx's rate
    assert not checks["fresh server answers /data.json in its first 1 s"]
    assert not checks["fresh server answers /search.json in its first 1 s"]  # errors
    result.fresh["/search.json"] = Run(50, 1.0, 50.0, 10.0, 20.0)
    result.static["data.json"] = Figures([slow])
    checks = {what.split(" >=")[0]: met for what, _, met in result.checks()}
    assert checks["data.json / nginx (same bytes)"]
    assert checks["fresh server answers /search.json in its first 1 s"]
    assert "nginx data.json" in table(result)
    result.missing = ["exports / nginx: nginx is not installed"]
    assert not dict((w, m) for w, _, m in result.checks())[result.missing[0]]
    one = Result([Endpoint(n, "/") for n in names], modes=(True,))
    assert "tracking on / off" not in table(one) and "req/s off" not in table(one)


@pytest.mark.skipif(shutil.which("wrk") is None or not Path("/usr/sbin/nginx").exists(),
                    reason="wrk or nginx is not installed (Debian packages wrk, nginx-light; "
                           ".ci/run installs them)")
def test_harness_on_a_tiny_inventory(tmp_path: Path) -> None:
    build = prepare(tmp_path / "bench", Scale(agencies=3, datasets=30, fields=8, agreements=5),
                    reuse=False)
    # one server (tracking on, as deployed) keeps the test short; the alternation
    # between two servers is the same loop with a second mode
    result = run(build, duration=1, warmup=0, rounds=1, connections=2, threads=1,
                 modes=(True,), fresh=tmp_path / "bench")
    names = [e.name for e in result.endpoints]
    assert names == ["home", "dataset", "search", "search-varied", "search-page-varied",
                     "datasets-search", "fields-search", "facets", *EXPORT_NAMES, "row"]
    assert {"data.json", "catalog.ttl-gzip", "catalog.rdf", "catalog.nt"} <= set(names)
    # the exports against nginx serving the bytes the site sent, the same way
    assert set(result.static) == set(EXPORT_NAMES) and not result.missing
    for f in result.static.values():
        assert len(f.runs) == 1 and f.errors == 0 and f.requests > 0
    # fresh servers answered in their first second
    assert set(result.fresh) == {*(f"/{f.filename}" for f in EXPORTS.values()),
                                 "/search?q=town", "/search.json"}
    for path, r in result.fresh.items():
        assert r.requests > 0 and r.errors == 0, path
    assert result.status == dict.fromkeys(names, 200)
    for name in names:
        f = result.figures(True)[name]
        assert len(f.runs) == 1 and f.errors == 0, name
        assert f.requests > 0 and f.rate > 0, name
        assert 0 < f.p50_ms <= f.p99_ms < 10_000, name
    text = table(result)
    assert all(name in text for name in names) and "every endpoint answers 200" in text


# --- HTTP caching, on a real server ---------------------------------------------------

class Server:
    """Requests to a real server; no cookie jar: a request sends the cookies it is given."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(self, method: str, url: str, cookies: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(headers or {})
        if cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return httpx.request(method, self.base + url, headers=headers, timeout=30, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@pytest.fixture(scope="module")
def server(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from catalog.bench.usage import _free_port, _serve, _stop

    store = tmp_path_factory.mktemp("usage") / "usage.db"
    port = _free_port()
    proc: subprocess.Popen[bytes] = _serve(REPO, site.build_dir, port, {
        "DATASETTE_SECRET": SECRET, "CATALOG_USAGE_URL": f"sqlite:///{store}",
        "CATALOG_USAGE_TRACKING": "on"})
    try:
        yield Server(f"http://127.0.0.1:{port}")
    finally:
        _stop(proc)


PUBLIC_URLS = ["/", "/.json", "/search?q=town", "/search.json?q=town&agency=dcf",
               f"/datasets/{D}.json", "/agencies/dcf", "/standards.json", "/data.json",
               f"/datasets/{D}/datapackage.json", "/public/datasets.json?_facet=agency_id",
               f"/public/fields.csv?dataset_id={D}&_sort=position",
               f"/public/datasets/{D}.json", "/public/datasets"]


def assert_public(r: httpx.Response) -> str:
    assert r.status_code == 200, r.url
    assert r.headers["cache-control"] == caching.PUBLIC, r.url
    assert {"cookie", "authorization"} <= {
        v.strip().lower() for v in r.headers["vary"].split(",")}, r.url
    assert "set-cookie" not in r.headers, r.url
    # weak: the wrapper's over (build, code, date, URL); strong: an export's own digest
    assert re.fullmatch(r'(W/)?"[0-9a-f]{32}(-gz)?"', r.headers["etag"]), r.url
    return r.headers["etag"]


def assert_private(r: httpx.Response) -> None:
    assert r.headers["cache-control"] == "private, no-store", r.url
    assert "etag" not in r.headers, r.url


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_anonymous_answers_are_public_with_an_etag_and_revalidate(
        server: Server, url: str) -> None:
    tag = assert_public(server.get(url))
    assert assert_public(server.get(url)) == tag  # the same build, the same tag
    again = server.get(url, headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == caching.PUBLIC
    assert "cookie" in again.headers["vary"].lower()
    listed = server.get(url, headers={"if-none-match": f'W/"{"0" * 32}", {tag}'})
    assert listed.status_code == 304
    assert server.get(url, headers={"if-none-match": 'W/"stale"'}).status_code == 200


def test_urls_differ_in_their_tags(server: Server) -> None:
    tags = {assert_public(server.get(u)) for u in ("/search.json?q=town", "/search.json?q=race",
                                                   "/search.json")}
    assert len(tags) == 3


def test_staff_answers_are_never_publicly_cacheable(server: Server, ds: Any) -> None:
    staff = staff_cookies(ds)
    for url in [*PUBLIC_URLS, f"/datasets/{HIDDEN_DATASET}", "/inventory/datasets.json"]:
        r = server.get(url, cookies=staff)
        assert r.status_code == 200, url
        assert_private(r)
    # an anonymous tag does not get a signed-in reader a 304 (nor the public page)
    tag = assert_public(server.get("/search.json?q="))
    r = server.get("/search.json?q=", cookies=staff, headers={"if-none-match": tag})
    assert r.status_code == 200 and HIDDEN_DATASET in r.text
    assert_private(r)


def test_forms_sign_in_and_posts_are_private(server: Server) -> None:
    page = server.get(f"/datasets/{D}")  # the use-case form: a CSRF token and its cookie
    assert page.status_code == 200 and "csrftoken" in page.text
    assert "ds_csrftoken" in page.headers["set-cookie"]
    assert_private(page)
    login = server.get("/-/login")
    assert login.status_code == 200 and "set-cookie" in login.headers
    assert_private(login)
    token = re.search(r'name="csrftoken" value="([^"]+)"', login.text)
    assert token
    signed_in = server.post("/-/login", data={"username": "staff", "password": STAFF_PASSWORD,
                                              "csrftoken": token[1]},
                            cookies=dict(login.cookies))
    assert signed_in.status_code == 302 and "ds_actor" in signed_in.headers["set-cookie"]
    assert_private(signed_in)
    home = server.get("/", cookies={"ds_actor": signed_in.cookies["ds_actor"]})
    assert home.status_code == 200 and "Staff view" in home.text
    assert_private(home)
    for url in (f"/datasets/{D}/use-cases", "/", "/search.json"):
        assert_private(server.post(url, data={"x": "1"}))


def test_a_cookie_makes_an_answer_private_and_live_urls_get_no_tag(
        server: Server) -> None:
    assert_private(server.get("/", cookies={"ds_csrftoken": "anything"}))
    for url in ("/usage.json", "/usage", f"/datasets/{D}/use-cases.json", "/-/versions.json",
                "/public.json?sql=select+date('now')", "/datasets/no-such-dataset.json"):
        r = server.get(url)
        assert "etag" not in r.headers, url
        assert "public, max-age=300" not in r.headers.get("cache-control", ""), url


def test_the_public_page_cache_never_serves_staff(ds: Any) -> None:
    """In-process caches hold public pages only: staff after anonymous readers (and the
    other way round) get their own page."""
    import asyncio

    async def get(path: str, cookies: dict[str, str] | None = None) -> str:
        return (await ds.client.get(path, cookies=cookies or {})).text

    staff = staff_cookies(ds)
    marks = {f"/datasets/{D}": "Flags (staff)", "/": "Staff view",
             "/search?q=": HIDDEN_DATASET, "/search.json?q=": HIDDEN_DATASET}
    for path, mark in marks.items():
        public, private, public_again = (asyncio.run(get(path)), asyncio.run(get(path, staff)),
                                         asyncio.run(get(path)))
        assert mark not in public and mark not in public_again and mark in private, path


def test_identity_headers_name_the_sso_header_when_configured() -> None:
    from catalog.site.access import identity_headers

    assert identity_headers({}) == (b"cookie", b"authorization")
    assert identity_headers({"CATALOG_SSO_HEADER": "X-Remote-User"})[-1] == b"x-remote-user"


def test_what_counts_as_live() -> None:
    live = ["/usage", "/usage.json", "/usage/use-cases", "/-/login", f"/datasets/{D}",
            f"/datasets/{D}/use-cases.json"]
    built = ["/", "/search", f"/datasets/{D}.json", f"/datasets/{D}/datapackage.json",
             "/public/datasets.json", "/data.json"]
    assert all(caching.is_live(p, "") for p in live)
    assert not any(caching.is_live(p, "") for p in built)
    assert caching.is_live("/public.json", "sql=select+1")
    assert caching.matches('W/"a", "b"', 'W/"b"') and not caching.matches('"a"', 'W/"b"')

