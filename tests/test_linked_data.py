"""Linked data and discovery on the served site: /catalog.{jsonld,ttl,rdf,nt},
/datasets/<id>.{jsonld,ttl,rdf}, content negotiation on the HTML URLs, <link
rel="alternate">, schema.org Dataset markup on dataset pages, sitemap.xml and robots.txt.
Only public content, as everywhere (tests/test_site_privacy.py sweeps these routes)."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic

from catalog.dbapi import sqlite3

from .test_export_dcat3 import schema_validator

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
FORMATS = {"jsonld": ("application/ld+json", "json-ld"), "ttl": ("text/turtle", "turtle"),
           "rdf": ("application/rdf+xml", "xml"), "nt": ("application/n-triples", "nt")}


def _get(ds: Any, path: str, **headers: str) -> Any:
    async def go() -> Any:
        return await ds.client.get(path, headers=headers)
    return asyncio.run(go())


def _ids(sample_build: Path, db: str, where: str) -> list[str]:
    with sqlite3.connect(sample_build / db) as conn:
        return sorted(r[0] for r in conn.execute(f"select id from datasets where {where}"))


@pytest.fixture(scope="module")
def public_ids(sample_build: Path) -> list[str]:
    return _ids(sample_build, "public.db", "visibility = 'public'")


@pytest.fixture(scope="module")
def listed_ids(sample_build: Path) -> list[str]:
    return _ids(sample_build, "public.db", "visibility = 'listed'")


@pytest.fixture(scope="module")
def hidden_ids(sample_build: Path) -> list[str]:
    return _ids(sample_build, "inventory.db", "visibility = 'hidden'")


def test_catalog_in_every_rdf_serialisation(ds: Any) -> None:
    graphs = {}
    for suffix, (media, fmt) in FORMATS.items():
        r = _get(ds, f"/catalog.{suffix}")
        assert r.status_code == 200, suffix
        assert r.headers["content-type"].startswith(media)
        graphs[suffix] = Graph().parse(data=r.text, format=fmt)
    assert len(graphs["jsonld"]) > 500
    for suffix in ("ttl", "rdf", "nt"):
        assert isomorphic(graphs["jsonld"], graphs[suffix]), suffix


def test_dataset_documents(ds: Any, public_ids: list[str], listed_ids: list[str]) -> None:
    for dataset_id in public_ids[:3] + listed_ids[:2]:
        graphs = []
        for suffix in ("jsonld", "ttl", "rdf"):
            media, fmt = FORMATS[suffix]
            r = _get(ds, f"/datasets/{dataset_id}.{suffix}")
            assert r.status_code == 200 and r.headers["content-type"].startswith(media)
            graphs.append(Graph().parse(data=r.text, format=fmt))
        node = URIRef(f"https://inventory.data.ct.gov/datasets/{dataset_id}")
        assert (node, ns.RDF.type, ns.DCAT.Dataset) in graphs[0]
        assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])
        if dataset_id in listed_ids:  # a summary: never a distribution
            assert graphs[0].value(node, ns.DCAT.distribution) is None
    # the dataset document is a Dataset of the official JSON Schema
    doc = json.loads(_get(ds, f"/datasets/{public_ids[0]}.jsonld").text)
    catalog = {"@type": "Catalog", "title": "t", "description": "d", "publisher": "https://x",
               "dataset": [{k: v for k, v in doc.items() if k != "@context"}]}
    assert [e.message for e in schema_validator().iter_errors(catalog)] == []


def test_hidden_datasets_have_no_documents(ds: Any, hidden_ids: list[str]) -> None:
    for dataset_id in hidden_ids:
        for suffix in ("jsonld", "ttl", "rdf"):
            assert _get(ds, f"/datasets/{dataset_id}.{suffix}").status_code == 404
        assert _get(ds, f"/datasets/{dataset_id}", accept="text/turtle").status_code == 404


def test_content_negotiation(ds: Any, public_ids: list[str]) -> None:
    page = f"/datasets/{public_ids[0]}"
    turtle = _get(ds, page, accept="text/turtle")
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert turtle.headers["content-location"] == f"{page}.ttl"
    assert "accept" in turtle.headers["vary"].lower()
    assert turtle.text == _get(ds, f"{page}.ttl").text
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept in (browser, "*/*", "", "text/turtle;q=0.5, text/html"):
        r = _get(ds, page, accept=accept)
        assert r.headers["content-type"].startswith("text/html"), accept
        assert "accept" in r.headers["vary"].lower()
    home = _get(ds, "/", accept="application/rdf+xml")
    assert home.headers["content-type"].startswith("application/rdf+xml")
    assert home.headers["content-location"] == "/catalog.rdf"
    html = _get(ds, "/", accept=browser)
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["etag"] != home.headers.get("etag")
    assert "accept" in html.headers["vary"].lower()
    ld = _get(ds, "/", accept="application/ld+json")
    assert json.loads(ld.text)["@type"] == "Catalog"


def _links(html: str) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in re.finditer(
        r'<link rel="alternate" type="([^"]+)" href="([^"]+)"', html)}


def test_pages_link_their_alternates(ds: Any, public_ids: list[str]) -> None:
    home = _links(_get(ds, "/").text)
    assert home["/catalog.ttl"] == "text/turtle" and home["/data.json"] == "application/json"
    page = _links(_get(ds, f"/datasets/{public_ids[0]}").text)
    assert page[f"/datasets/{public_ids[0]}.ttl"] == "text/turtle"
    assert page[f"/datasets/{public_ids[0]}.jsonld"] == "application/ld+json"
    for href in list(home) + list(page):
        assert _get(ds, href).status_code == 200, href


def _schema_org(html: str) -> dict[str, Any]:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)  # type: ignore[no-any-return]


def test_schema_org_dataset_on_every_public_page(ds: Any, sample_build: Path,
                                                 public_ids: list[str],
                                                 listed_ids: list[str]) -> None:
    with sqlite3.connect(sample_build / "public.db") as conn:
        fields = {}
        for dataset_id, name in conn.execute("select dataset_id, name from fields"):
            fields.setdefault(dataset_id, []).append(name)
        internal = {r[0] for r in sqlite3.connect(sample_build / "inventory.db").execute(
            "select name from fields where internal")}
    for dataset_id in public_ids:
        markup = _schema_org(_get(ds, f"/datasets/{dataset_id}").text)
        assert markup["@type"] == "Dataset" and markup["@context"] == "https://schema.org/"
        for key in ("name", "description", "url", "identifier", "creator", "publisher"):
            assert markup.get(key), (dataset_id, key)
        measured = [v["name"] for v in markup.get("variableMeasured", [])]
        assert measured == fields.get(dataset_id, [])
        assert not set(measured) & (internal - set(fields.get(dataset_id, [])))
        for dist in markup.get("distribution", []):
            assert dist["@type"] == "DataDownload" and dist["contentUrl"].startswith("http")
            assert dist["encodingFormat"]
    with_license = [d for d in public_ids
                    if "license" in _schema_org(_get(ds, f"/datasets/{d}").text)]
    assert with_license
    for dataset_id in listed_ids:
        markup = _schema_org(_get(ds, f"/datasets/{dataset_id}").text)
        assert "distribution" not in markup and "variableMeasured" not in markup
        assert markup["isAccessibleForFree"] is False


def test_sitemap_and_robots(ds: Any, public_ids: list[str], listed_ids: list[str],
                           hidden_ids: list[str]) -> None:
    r = _get(ds, "/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [u.find(f"{sm}loc").text for u in root.findall(f"{sm}url")]  # type: ignore[union-attr]
    base = "https://inventory.data.ct.gov"
    assert f"{base}/" in locs
    datasets = {loc.rsplit("/", 1)[1] for loc in locs if "/datasets/" in loc}
    assert datasets == set(public_ids) | set(listed_ids)
    assert not datasets & set(hidden_ids)
    robots = _get(ds, "/robots.txt")
    assert robots.headers["content-type"].startswith("text/plain")
    assert f"Sitemap: {base}/sitemap.xml" in robots.text
    assert "Disallow: /inventory" in robots.text.splitlines()
