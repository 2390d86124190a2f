"""No anonymous route reveals anything that is only in inventory.db.

The secrets are derived from the built databases themselves: every id, title, field
name, email and text value of inventory.db that does not occur anywhere in public.db.
Each anonymous response of every route Datasette offers (pages, JSON, CSV, SQL, FTS,
facets, labels, traces, downloads, introspection) is searched for all of them.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from catalog.dbapi import sqlite3

from .conftest import staff_cookies

MIN_LEN = 8


def _strings(db: Path, sql: str) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {str(r[0]) for r in conn.execute(sql) if r[0] is not None}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def secrets(sample_build: Path) -> set[str]:
    inventory, public = sample_build / "inventory.db", sample_build / "public.db"
    # what public.db holds: its bytes, and the text its views compute from them
    public_bytes = public.read_bytes() + "\0".join(
        _strings(public, "select field_text from dataset_text")).encode()
    candidates: set[str] = set()
    queries = [
        "select id from datasets", "select title from datasets",
        "select custodian_email from datasets", "select classification_assessed_by from datasets",
        "select predictive_reviewed_by from datasets", "select name from fields",
        "select description from fields", "select id from agreements",
        "select title from agreements", "select consent_plan from agreements",
        "select archive_ref from agreement_reviews", "select reference from agreement_approvals",
        "select message from problems", "select personal_data_purpose from datasets",
        "select steward_email from datasets", "select field_text from dataset_text",
    ]
    for sql in queries:
        candidates |= _strings(inventory, sql)
    found = {s for s in candidates
             if len(s) >= MIN_LEN and s.encode() not in public_bytes}
    assert len(found) > 50, "the sample inventory should have plenty of non-public content"
    return found


def _tables(db: Path) -> list[str]:
    return sorted(_strings(db, "select name from sqlite_master where type in ('table', 'view')"))


def _get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    """GET ``path``; a ``#accept=TYPE`` suffix is sent as the Accept header."""
    path = path.removesuffix("#schema.org")
    path, _, accept = path.partition("#accept=")
    headers = {"accept": accept} if accept else {}

    async def go() -> Any:
        return await ds.client.get(path, cookies=cookies or {}, headers=headers)
    return asyncio.run(go())


def anonymous_routes(sample_build: Path, hidden: list[str]) -> list[str]:
    inventory, public = sample_build / "inventory.db", sample_build / "public.db"
    routes = [
        "/", "/-/databases.json", "/-/databases", "/-/metadata.json", "/-/metadata",
        "/-/plugins.json", "/-/versions.json", "/-/settings.json", "/-/actor.json",
        "/-/threads.json", "/-/config.json", "/-/allow-debug", "/-/permissions",
        "/public", "/public.json", "/public.db", "/inventory.db",
        "/public.json?sql=select+*+from+sqlite_master",
        "/public.json?sql=select+*+from+pragma_database_list",
        "/public.json?sql=attach+database+'inventory.db'+as+x",
        "/public/datasets.json?_facet=agency_id&_facet=access_level&_facet=visibility",
        "/public/datasets.json?_trace=1", "/public/fields.json?_labels=on&_size=max",
        "/_internal", "/_internal.json?sql=select+*+from+tables", "/_internal/tables.json",
        "/_memory.json?sql=select+1",
        "/inventory", "/inventory.json", "/inventory.json?sql=select+*+from+datasets",
        "/inventory?sql=select+name+from+sqlite_master",
        "/inventory/datasets.json?_search=child", "/inventory/datasets?_facet=agency_id",
        "/inventory/-/query?sql=select+1",
        "/search?q=child", "/search.json?q=child", "/agencies", "/agencies.json",
        "/standards", "/standards.json", "/standards/ct-town", "/standards/race-ethnicity.json",
        "/scorecards", "/scorecards.json", "/requests", "/requests.json", "/access-plans",
        "/access-plans.json", "/agreements", "/agreements.json", "/agreements.ics",
        "/agreements/due", "/agreements/due.json", "/usage", "/usage.json",
        "/usage/daily.json", "/usage/daily.csv", "/usage/use-cases", "/usage/use-cases.json",
        "/usage/use-cases.csv", "/usage/moderation", "/usage/moderation.json",
        # exports, linked data and discovery (plugins/catalog_exports.py)
        "/data.json", "/catalog.jsonld", "/catalog.ttl", "/catalog.rdf", "/catalog.nt",
        "/datapackage.json", "/inventory.csv", "/sitemap.xml", "/robots.txt",
    ]
    for dataset_id in _strings(public, "select id from datasets"):  # schema.org, RDF
        # (#schema.org: only the page's JSON-LD block is searched; its visible text joins
        # public values, such as a steward's name and title, that can spell a secret)
        routes += [f"/datasets/{dataset_id}#schema.org", f"/datasets/{dataset_id}.jsonld",
                   f"/datasets/{dataset_id}.ttl", f"/datasets/{dataset_id}.rdf",
                   f"/datasets/{dataset_id}/datapackage.json"]
    for accept in ("text/turtle", "application/ld+json", "application/rdf+xml"):
        routes += [f"/#accept={accept}"]  # content negotiation (catalog.site.negotiation)
    for table in _tables(public):
        routes += [f"/public/{table}.json?_size=max&_labels=on", f"/public/{table}.csv?_size=max",
                   f"/public/{table}"]
    for table in _tables(inventory):
        routes += [f"/inventory/{table}", f"/inventory/{table}.json", f"/inventory/{table}.csv"]
    for dataset_id in hidden:
        routes += [f"/datasets/{dataset_id}", f"/datasets/{dataset_id}.json",
                   f"/datasets/{dataset_id}/use-cases", f"/-/download/{dataset_id}/csv",
                   f"/datasets/{dataset_id}.jsonld", f"/datasets/{dataset_id}.ttl",
                   f"/datasets/{dataset_id}.rdf", f"/datasets/{dataset_id}/datapackage.json",
                   f"/datasets/{dataset_id}#accept=text/turtle",
                   f"/inventory/datasets/{dataset_id}", f"/inventory/datasets/{dataset_id}.json",
                   f"/public/datasets/{dataset_id}.json", f"/search.json?q={dataset_id}",
                   f"/public/datasets.json?_search={dataset_id.split('-')[-1]}"]
    for agreement in _strings(inventory, "select id from agreements"):
        routes += [f"/agreements/{agreement}", f"/agreements/{agreement}.json"]
    for agency in _strings(inventory, "select id from agencies"):
        routes += [f"/agencies/{agency}", f"/agencies/{agency}.json"]
    return routes


def test_no_anonymous_route_reveals_non_public_content(ds: Any, sample_build: Path,
                                                       secrets: set[str]) -> None:
    hidden = sorted(_strings(sample_build / "inventory.db",
                             "select id from datasets where visibility = 'hidden'"))
    assert hidden, "the sample inventory has hidden datasets"
    leaks = []
    checked = 0
    for route in anonymous_routes(sample_build, hidden):
        response = _get(ds, route)
        assert response.status_code < 500, (route, response.status_code)
        body = response.text
        if route.endswith("#schema.org"):
            blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body,
                                re.S)
            assert len(blocks) == 1, route
            body = blocks[0]
        checked += 1
        if route.startswith("/inventory") and route != "/inventory.csv":  # .csv: the export
            assert response.status_code == 403, route
        asked_id = route.split("/datasets/")[-1].split("#")[0].split(".")[0]
        if "/datasets/" in route and asked_id in hidden and not route.startswith("/inventory"):
            assert response.status_code in (404, 403), route
        asked = unquote_plus(route)  # a page may echo what it was asked (a search query)
        for secret in secrets:
            if secret in body and secret not in asked:
                leaks.append((route, secret[:60]))
    assert checked > 150
    assert leaks == []


def test_inventory_name_is_not_listed_to_anonymous(ds: Any) -> None:
    names = [d["name"] for d in _get(ds, "/-/databases.json").json()]
    assert names == ["public"]
    metadata = _get(ds, "/-/metadata.json").json()
    assert "inventory" not in metadata.get("databases", {})
    assert "plugins" not in metadata


def test_staff_do_see_the_private_database(ds: Any, secrets: set[str]) -> None:
    """The privacy test is not vacuous: the same secrets are there for staff."""
    cookies = staff_cookies(ds)
    names = [d["name"] for d in _get(ds, "/-/databases.json", cookies).json()]
    assert names == ["public", "inventory"]
    body = _get(ds, "/inventory/datasets.json?_size=max", cookies).text
    assert sum(1 for s in secrets if s in body) > 10
    assert _get(ds, "/inventory.json?sql=select+count(*)+from+datasets", cookies).status_code == 200


def test_sso_header_is_ignored_unless_configured(ds: Any) -> None:
    response = _get(ds, "/inventory.json", None)
    assert response.status_code == 403

    async def go() -> Any:
        return await ds.client.get("/inventory.json", headers={"X-Remote-User": "mallory"})
    assert asyncio.run(go()).status_code == 403


def test_sso_header_mode() -> None:
    from catalog.site.access import actor_from_headers

    secret = "s3cret" * 8
    env = {"CATALOG_SSO_HEADER": "X-Remote-User", "CATALOG_SSO_SECRET": secret,
           "CATALOG_SSO_ROLES_HEADER": "X-Remote-Roles"}
    good = {"x-remote-user": "cdo@ct.gov", "x-catalog-proxy-secret": secret,
            "x-remote-roles": "admin, unknown"}
    assert actor_from_headers(good, env) == {"id": "cdo@ct.gov", "name": "cdo@ct.gov",
                                             "roles": ["admin"], "via": "sso"}
    assert actor_from_headers({**good, "x-catalog-proxy-secret": "guess"}, env) is None
    assert actor_from_headers({"x-remote-user": "x"}, {}) is None


@pytest.mark.parametrize("secret", [None, "", "short-secret"])
def test_sso_without_a_strong_secret_fails_closed(secret: str | None) -> None:
    """A client sending the identity and roles headers is nobody: no secret, no SSO."""
    from catalog.site.access import actor_from_headers, sso_problem

    env = {"CATALOG_SSO_HEADER": "X-Remote-User", "CATALOG_SSO_ROLES_HEADER": "X-Remote-Roles"}
    if secret is not None:
        env["CATALOG_SSO_SECRET"] = secret
    forged = {"x-remote-user": "mallory", "x-remote-roles": "admin",
              "x-catalog-proxy-secret": secret or ""}
    assert actor_from_headers(forged, env) is None
    problem = sso_problem(env)
    assert problem and "CATALOG_SSO_SECRET" in problem
