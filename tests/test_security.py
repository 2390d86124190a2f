"""The attacks of docs/security.md against a real ``datasette serve``: anonymous SQL is
bounded in time, memory and size; sign-in is throttled and hashed off the event loop;
bodies are capped; every response carries the security headers; nothing internal shows."""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import REPO, STAFF_PASSWORD, staff_cookies

SECRET = "test-secret"  # the ``ds`` fixture's, so staff_cookies() sign for the server
ATTEMPTS = 4  # sign-in attempts a client may make (fewer than the default: fewer hashes)
FEW_SIGN_INS = {"CATALOG_SIGNIN_CLIENT_LIMIT": f"{ATTEMPTS}/5 minutes"}
# each would run for seconds in one step, or allocate without limit; the expected error
# (None: an answer, fast)
ATTACKS = {
    "randomblob": ("select randomblob(300000000)", "too big"),
    "printf": ("select length(printf('%.*c',900000000,'x'))", "too big"),
    "instr": ("select instr(printf('%.*c', 2000000, 'a'), printf('%.*c', 1000000, 'a') || 'b')",
              None),
    "replace-slow": ("select length(replace(printf('%.*c', 2000000, 'a'), "
                     "printf('%.*c', 1000000, 'a') || 'b', 'x'))", None),
    "replace-big": ("select length(replace(printf('%.*c', 2000000, 'a'), 'a', 'xxxxxxxx'))",
                    "too big"),
    "like-long": ("select printf('%.*c', 2000000, 'a') like ('%' || printf('%.*c', 150, 'a') "
                  "|| 'b')", "too complex"),
    "like": ("select printf('%.*c', 2000000, 'a') like ('%' || printf('%.*c', 97, 'a') || 'b')",
             None),
    "rows": ("select randomblob(2000000), randomblob(2000000) from fields", "larger than"),
}


class Server:
    def __init__(self, base: str, proc: subprocess.Popen[bytes]) -> None:
        self.base, self.proc = base, proc

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.base + url, timeout=60, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return httpx.post(self.base + url, timeout=60, **kw)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def start(site: Any, env: dict[str, str]) -> Server:
    from catalog.bench.usage import _free_port, _serve

    port = _free_port()
    proc = _serve(REPO, site.build_dir, port, {"DATASETTE_SECRET": SECRET, **env})
    return Server(f"http://127.0.0.1:{port}", proc)


@pytest.fixture(scope="module")
def server(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from catalog.bench.usage import _stop

    store = tmp_path_factory.mktemp("usage") / "usage.db"
    s = start(site, {"CATALOG_USAGE_URL": f"sqlite:///{store}", **FEW_SIGN_INS})
    try:
        yield s
    finally:
        _stop(s.proc)  # type: ignore[arg-type]


def sql(server: Server, query: str) -> tuple[httpx.Response, float]:
    began = time.perf_counter()
    r = server.get("/public.json", params={"sql": query})
    return r, time.perf_counter() - began


# --- anonymous SQL ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_one_step_attacks_end_fast(server: Server, name: str) -> None:
    query, error = ATTACKS[name]
    r, took = sql(server, query)
    assert took < 5.0, (name, took)  # each ran 8-23 s before; well under 1 s alone
    if error is None:
        assert r.status_code == 200, (name, r.text[:300])
    else:
        assert r.status_code == 400 and error in r.json()["error"], (name, r.text[:300])


def test_parallel_attacks_keep_memory_bounded(server: Server) -> None:
    before = server.rss_mib()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: sql(server, q),
                                [ATTACKS["rows"][0], ATTACKS["randomblob"][0]] * 4))
    assert all(r.status_code in (400, 503) for r, _ in results)
    assert server.rss_mib() - before < 400, (before, server.rss_mib())


@pytest.mark.parametrize("query,refused", [
    ("select fts3_tokenizer('simple')", "fts3_tokenizer"),
    ("select hex(fts3_tokenizer('simple'))", "fts3_tokenizer"),
    ("select load_extension('/lib/x86_64-linux-gnu/libc.so.6')", "load_extension"),
])
def test_functions_touching_memory_or_files_are_refused(server: Server, query: str,
                                                         refused: str) -> None:
    r, _ = sql(server, query)
    assert r.status_code == 400 and f"not authorized to use function: {refused}" in r.text


def test_database_paths_and_process_ids_never_show(server: Server, site: Any) -> None:
    r, _ = sql(server, "select * from pragma_database_list")
    assert str(site.build_dir) not in r.text and "public.db" not in r.text
    for url in ("/-/threads.json", "/-/threads", "/-/versions.json", "/-/plugins.json"):
        assert server.get(url).status_code == 404, url
    admin = server.get("/-/threads.json", cookies=staff_cookies_for(site, "admin"))
    assert admin.status_code == 200 and "threads" in admin.json()


def staff_cookies_for(site: Any, role: str) -> dict[str, str]:
    return staff_cookies(site.app(secret=SECRET), role)


def assert_pages_kept_answering(waits: list[float]) -> None:
    """Blocked, every page waits out the attack (seconds each); answered, the typical page
    takes milliseconds. The median and a loose ceiling tell the two apart on a loaded
    2-core machine, where any single request may wait a second for a core."""
    assert statistics.median(waits) < 1.0 and max(waits) < 4.0, waits


def test_slow_queries_never_stall_the_pages(server: Server) -> None:
    """Five queries that run into the time limit at once; pages answer meanwhile."""
    slow = ("with recursive c(x) as (select 1 union all select x + 1 from c) "
            "select count(*) from c")
    pages = ["/public/datasets.json?_size=3&_shape=array", "/search.json?q=child",
             "/datasets/dcf-entries-to-care-by-town.json", "/agencies.json"]
    with ThreadPoolExecutor(5) as pool:
        queries = [pool.submit(sql, server, slow) for _ in range(5)]
        time.sleep(0.3)
        waits = []
        for _ in range(3):
            for url in pages:
                began = time.perf_counter()
                assert server.get(url + ("&" if "?" in url else "?") + f"n={time.time()}"
                                  ).status_code == 200
                waits.append(time.perf_counter() - began)
        answers = [f.result() for f in queries]
    assert_pages_kept_answering(waits)
    statuses = sorted(r.status_code for r, _ in answers)
    assert set(statuses) <= {400, 503}, statuses  # interrupted, or told to retry
    assert max(took for _, took in answers) < 8.0


# --- headers, URLs -----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/search?q=town", "/public/datasets", "/a/b/c/d",
                                 "/datasets.json", "/-/login", "/public.json?sql=select+1"])
def test_every_response_has_the_security_headers(server: Server, url: str) -> None:
    r = server.get(url)
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] in ("strict-origin-when-cross-origin", "no-referrer")


@pytest.mark.parametrize("url", ["/a/b/c/d", "/a/b/c/d/e", "/search.json?page=" + "1" * 24,
                                 "/search?page=" + "9" * 30,
                                 "/standards/ct-town?page=" + "9" * 30,
                                 "/public/fields/" + "9" * 30 + ".json"])
def test_unknown_urls_and_out_of_range_pages_are_404(server: Server, url: str) -> None:
    assert server.get(url).status_code == 404, url


@pytest.mark.parametrize("query", ["since=9999-12-30", "until=9999-12-31",
                                   "since=0001-01-01&until=0001-01-02"])
def test_out_of_range_periods_are_a_clear_400(server: Server, query: str) -> None:
    r = server.get(f"/usage.json?{query}")
    assert r.status_code == 400 and "between" in r.json()["error"] or "after" in r.text


# --- sign-in --------------------------------------------------------------------------

def login_form(server: Server) -> tuple[str, dict[str, str]]:
    r = server.get("/-/login")
    token = re.search(r'name="csrftoken" value="([^"]+)"', r.text)
    assert token, r.text[:500]
    return token.group(1), dict(r.cookies)


def attempt(server: Server, user: str, password: str, **kw: Any) -> httpx.Response:
    token, cookies = login_form(server)
    return server.post("/-/login", data={"username": user, "password": password,
                                         "csrftoken": token}, cookies=cookies, **kw)


def test_sign_in_sets_a_hardened_expiring_cookie(server: Server) -> None:
    r = attempt(server, "staff", STAFF_PASSWORD)
    assert r.status_code == 302
    cookie = r.headers["set-cookie"]
    assert "ds_actor=" in cookie
    for attribute in ("HttpOnly", "SameSite=lax", "Max-Age=28800"):
        assert attribute.lower() in cookie.lower(), cookie
    from catalog.project import Project
    from catalog.site.config import Site  # the signed value carries its expiry

    value = re.search(r"ds_actor=([^;]+)", cookie).group(1)  # type: ignore[union-attr]
    signed = Site(Project(REPO), Path(".")).app(secret=SECRET).unsign(
        value.strip('"'), "actor")
    assert "e" in signed


def test_sign_in_goes_to_next_on_this_site_only(server: Server) -> None:
    """?next= is honoured when it is a path of this site; another host, a scheme-relative
    or backslashed URL sends staff to their home page (Today) instead."""
    from catalog.site.signin import safe_next

    for next_url, lands in (("/scorecards?agency=dcf", "/scorecards?agency=dcf"),
                            ("https://evil.example/", "/staff"),
                            ("//evil.example/", "/staff")):  # (each sign-in counts)
        token, cookies = login_form(server)
        r = server.post("/-/login", data={"username": "staff", "password": STAFF_PASSWORD,
                                          "csrftoken": token, "next": next_url},
                        cookies=cookies)
        assert r.status_code == 302, (next_url, r.text[:300])
        assert r.headers["location"] == lands, next_url
    for other in ("/\\evil.example/", "/\tevil", "javascript:alert(1)", "evil.example"):
        assert safe_next(other) is None, other
    page = server.get("/-/login?next=/scorecards%3Fagency%3Ddcf").text
    assert "you go back to the page you asked for" in page
    assert "/scorecards?agency=dcf</code>" not in page  # no raw path shown to people


def test_post_without_the_csrf_cookie_is_refused(server: Server) -> None:
    r = server.post("/-/login", data={"username": "staff", "password": STAFF_PASSWORD})
    assert r.status_code == 403 and "cookie" in r.text


def test_bodies_are_capped_before_they_are_read(server: Server) -> None:
    token, cookies = login_form(server)
    began = time.perf_counter()
    r = server.post("/-/login", content=b"x" * (2 * 1024 * 1024), cookies=cookies,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and time.perf_counter() - began < 2.0

    def endless() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(2000):
            yield b"y" * 65536
    r = server.post("/usage/use-cases", content=endless(), cookies=cookies,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_the_password_tool_is_for_admins_only(server: Server, site: Any) -> None:
    assert server.get("/-/password-tool").status_code == 404
    r = server.get("/-/password-tool", cookies=staff_cookies_for(site, "staff"))
    assert r.status_code == 404
    r = server.get("/-/password-tool", cookies=staff_cookies_for(site, "admin"))
    assert r.status_code == 200


def test_failed_sign_ins_are_throttled_and_pages_stay_fast(server: Server) -> None:
    """Eight sign-ins at once: hashing never blocks the pages; past the limit this client
    is told to wait."""
    def hammer(_: int) -> int:
        return attempt(server, "admin", "wrong password " * 2).status_code

    with ThreadPoolExecutor(8) as pool:
        logins = [pool.submit(hammer, i) for i in range(8)]
        time.sleep(0.2)
        waits = []
        for _ in range(6):
            began = time.perf_counter()
            assert server.get(f"/agencies.json?n={time.time()}").status_code == 200
            waits.append(time.perf_counter() - began)
        codes = [f.result() for f in logins]
    assert_pages_kept_answering(waits)
    assert codes.count(401) <= ATTEMPTS and 429 in codes, codes
    r = attempt(server, "staff", STAFF_PASSWORD)  # this client, even the right password
    assert r.status_code == 429 and "Try again in" in r.text
    assert int(r.headers["retry-after"]) > 0


def test_forwarded_addresses_count_only_from_trusted_proxies(site: Any) -> None:
    """Without CATALOG_TRUSTED_PROXIES, X-Forwarded-For is ignored: changing it does
    not escape the throttle; with it, each forwarded client has its own count, and an
    account has its own limit whoever asks."""
    from catalog.bench.usage import _stop

    for trusted, escapes in (("", False), ("127.0.0.1", True)):
        s = start(site, {"CATALOG_TRUSTED_PROXIES": trusted, **FEW_SIGN_INS,
                         "CATALOG_SIGNIN_ACCOUNT_LIMIT": f"{ATTEMPTS + 1}/15 minutes"})
        try:
            for i in range(ATTEMPTS):
                attempt(s, f"user{i}", "wrong password here",
                        headers={"x-forwarded-for": f"203.0.113.{i}"})
            r = attempt(s, "other", "wrong password here",
                        headers={"x-forwarded-for": "198.51.100.7"})
            assert (r.status_code == 401) is escapes, (trusted, r.status_code)
            # HTTPS as the proxy says, only from a trusted proxy: Secure cookies and HSTS
            r = s.get("/-/login", headers={"x-forwarded-proto": "https"})
            assert ("; Secure" in r.headers["set-cookie"]) is escapes, r.headers["set-cookie"]
            assert ("strict-transport-security" in r.headers) is escapes
            if escapes:  # one account, from ever new addresses: the account's own limit
                codes = [attempt(s, "admin", "wrong password here",
                                 headers={"x-forwarded-for": f"192.0.2.{i}"}).status_code
                         for i in range(ATTEMPTS + 2)]
                assert codes[:ATTEMPTS + 1] == [401] * (ATTEMPTS + 1) and codes[-1] == 429
        finally:
            _stop(s.proc)  # type: ignore[arg-type]


# --- SSO ------------------------------------------------------------------------------

def test_sso_without_a_strong_secret_refuses_to_start(make_project: Any, site: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """catalog serve stops with a clear error; a bare datasette serve does not start."""
    import os
    import sys

    from click.testing import CliRunner

    from catalog.bench.usage import _free_port
    from catalog.build import build
    from catalog.cli import main
    from catalog.project import Project

    root = make_project()
    assert build(Project(root), jobs=1).mode == "full"
    monkeypatch.setenv("CATALOG_SSO_HEADER", "X-Remote-User")
    monkeypatch.setenv("CATALOG_SSO_SECRET", "short")
    result = CliRunner().invoke(main, ["serve", "--root", str(root), "--no-build",
                                       "--port", str(_free_port())])
    assert result.exit_code != 0 and "CATALOG_SSO_SECRET" in result.output
    from catalog.site.config import Site

    argv = Site(Project(REPO), site.build_dir).argv("127.0.0.1", _free_port())
    proc = subprocess.run([sys.executable, "-m", "datasette", *argv[1:]], timeout=60,
                          env={**os.environ, "DATASETTE_SECRET": SECRET},
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "CATALOG_SSO_SECRET" in proc.stderr


def test_the_public_sql_documentation_names_what_is_refused() -> None:
    import yaml

    from catalog.site import sqlguard

    text = yaml.safe_load((REPO / "metadata.yml").read_text())["databases"]["public"][
        "description_html"]
    for name in ("fts3_tokenizer", "load_extension", "ATTACH", "pragma_database_list",
                 *(p for p in sqlguard.PRAGMAS if p != "schema_version")):
        assert name in text, name
    assert "2 MB" in text and sqlguard.MAX_LENGTH == 2 * 1024 * 1024
    assert "32 MB" in text and sqlguard.MAX_RESULT_BYTES == 32 * 1024 * 1024


def test_where_clauses_are_bounded_too(server: Server) -> None:
    for where, error in (("length(randomblob(300000000)) > 0", "too big"),
                         ("fts3_tokenizer('simple') is not null", "fts3_tokenizer")):
        r = server.get("/public/datasets.json", params={"_where": where})
        assert r.status_code == 400 and error in r.json()["error"], r.text[:300]
