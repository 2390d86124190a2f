"""Exports served by the site at their conventional URLs, from public.db only."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from catalog.interop import EXPORTS

from .conftest import REPO, staff_cookies


def get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    async def go() -> Any:
        return await ds.client.get(path, cookies=cookies or {})
    return asyncio.run(go())


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_is_served_with_cache_headers(ds: Any, name: str) -> None:
    spec = EXPORTS[name]
    response = get(ds, f"/{spec.filename}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(spec.media_type)
    assert "max-age" in response.headers["cache-control"]
    if spec.media_type.endswith("json"):
        json.loads(response.text)


def test_staff_get_the_same_public_export(ds: Any) -> None:
    """Exports are public data: signed-in staff get the same file, never inventory.db."""
    assert get(ds, "/data.json").text == get(ds, "/data.json", staff_cookies(ds)).text


def test_dataset_data_package(ds: Any) -> None:
    response = get(ds, "/datasets/dcf-entries-to-care-by-town/datapackage.json")
    assert response.status_code == 200
    package = json.loads(response.text)
    names = [f["name"] for f in package["resources"][0]["schema"]["fields"]]
    assert "town" in names
    assert get(ds, "/datasets/dcf-ct-kids-case-management/datapackage.json").status_code == 404


def raw(ds: Any, path: str, headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None) -> tuple[Any, bytes]:
    """A GET's response and its body exactly as sent (httpx would undo the gzip)."""
    import httpx

    async def go() -> tuple[Any, bytes]:
        transport = httpx.ASGITransport(app=ds.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost",
                                     cookies=cookies or {}) as client:
            async with client.stream("GET", path, headers=headers or {}) as response:
                return response, b"".join([c async for c in response.aiter_raw()])
    return asyncio.run(go())


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_are_gzip_compressed_for_readers_that_accept_it(ds: Any, name: str) -> None:
    import gzip

    path = f"/{EXPORTS[name].filename}"
    plain, body = raw(ds, path, {"accept-encoding": "identity"})
    packed, compressed = raw(ds, path, {"accept-encoding": "br;q=1.0, gzip;q=0.8"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    # sent with their length, not re-framed in chunked encoding
    assert plain.headers["content-length"] == str(len(body))
    assert packed.headers["content-length"] == str(len(compressed))
    assert gzip.decompress(compressed) == body and len(compressed) < len(body)
    if EXPORTS[name].media_type.endswith("json"):
        assert json.loads(gzip.decompress(compressed)) == json.loads(body)
    for r in (plain, packed):  # a shared cache keeps the two apart
        assert "accept-encoding" in r.headers["vary"].lower()
        assert "cookie" in r.headers["vary"].lower()
    assert plain.headers["etag"] != packed.headers["etag"]
    refused, _ = raw(ds, path, {"accept-encoding": "gzip;q=0, *;q=0"})
    assert "content-encoding" not in refused.headers


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_exports_answer_conditional_requests_with_304(ds: Any, coding: str) -> None:
    first, body = raw(ds, "/data.json", {"accept-encoding": coding})
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}(-gz)?"', tag)  # strong: a digest of the bytes
    assert first.headers["cache-control"].startswith("public")
    for condition in ({"if-none-match": tag}, {"if-none-match": f'"stale", W/{tag}'},
                      {"if-modified-since": modified}):
        again, empty = raw(ds, "/data.json", {"accept-encoding": coding, **condition})
        assert again.status_code == 304 and empty == b"", condition
        assert again.headers["etag"] == tag
        assert again.headers["cache-control"].startswith("public")
        assert "accept-encoding" in again.headers["vary"].lower()
    for condition in ({"if-none-match": '"stale"'},
                      {"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"},
                      # If-None-Match decides when both are sent
                      {"if-none-match": '"stale"', "if-modified-since": modified}):
        fresh, again_body = raw(ds, "/data.json", {"accept-encoding": coding, **condition})
        assert fresh.status_code == 200 and again_body == body, condition


def test_signed_in_readers_get_no_validators_of_the_public_export(ds: Any) -> None:
    first, _ = raw(ds, "/data.json")
    staff, _ = raw(ds, "/data.json", {"if-none-match": first.headers["etag"]},
                   staff_cookies(ds))
    assert staff.status_code == 200
    assert "etag" not in staff.headers and "last-modified" not in staff.headers


_FAULTS = r"""
import resource, sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "tuned":
    from catalog.procs import keep_large_buffers
    assert keep_large_buffers()
body = bytes(1 << 20)
view = memoryview(body)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):  # what each response does: a few copies of a 1 MB slice, freed
    framed = b"".join([view])  # h11
    joined = b"".join([b"HTTP/1.1 200 OK\r\n\r\n", framed])  # head and body, one write
    buffered = bytearray(joined)  # what the socket did not take at once
    del framed, joined, buffered
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_large_response_buffers_are_reused_not_mapped_afresh() -> None:
    """A served process keeps large freed buffers for the next response: 200 responses'
    copies of a 1 MB slice cost up to hundreds of page faults each without it (glibc
    trims the freed megabytes off its heap, or maps them afresh), next to none with it."""
    import subprocess
    import sys

    def faults(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _FAULTS, str(REPO), mode],
                             capture_output=True, text=True, check=True)
        return int(out.stdout)

    plain, tuned = faults("plain"), faults("tuned")
    assert tuned < 2_000  # 10 a response at most: the buffers are reused
    # without it: 147,522 here, and 9,153 in a run where the kernel gave huge pages
    assert plain > 2 * tuned


def test_the_site_keeps_large_buffers(ds: Any) -> None:
    """The plugin applies it when Datasette starts (this process: the test client's)."""
    import resource

    asyncio.run(ds.client.get("/"))  # startup has run
    view = memoryview(bytes(1 << 20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        framed = b"".join([view])
        joined = b"".join([b"head", framed])
        buffered = bytearray(joined)
        del framed, joined, buffered
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 2_000


def test_concurrent_first_exports_read_the_catalog_and_its_graph_once(
        sample_build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a build, the exports are computed in threads at once (warm-up, first
    readers): the catalog is read once and the RDF graph built once, the others wait."""
    import shutil
    import threading
    import time

    from catalog.interop import rdf
    from catalog.site import exports

    db = sample_build.parent / "fresh-public.db"  # a build no test has served yet
    shutil.copyfile(sample_build / "public.db", db)
    calls = {"read": 0, "graph": 0}
    real_read, real_graph = exports.read, rdf.graph

    def counted(name: str, real: Any) -> Any:
        def call(*args: Any) -> Any:
            calls[name] += 1
            time.sleep(0.2)  # long enough for every thread to arrive meanwhile
            return real(*args)
        return call

    monkeypatch.setattr(exports, "read", counted("read", real_read))
    monkeypatch.setattr(rdf, "graph", counted("graph", real_graph))
    names = ["catalog.ttl", "catalog.rdf", "catalog.nt", "data.json"]
    names = [n for n in EXPORTS if EXPORTS[n].filename in names]
    assert len(names) == 4
    out: dict[str, bytes] = {}
    threads = [threading.Thread(target=lambda n=n: out.__setitem__(
        n, exports.encoded(n, db).identity)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == {"read": 1, "graph": 1}
    assert all(out[n] for n in names)
