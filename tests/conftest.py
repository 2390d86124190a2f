"""Shared fixtures: whole projects written as {path: text} dicts into tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Callable

import pytest

# real PostgreSQL and HAProxy servers (tests/services.py)
from .services import own_pg, pg_cluster, pg_url, store_url  # noqa: F401

REPO = Path(__file__).resolve().parents[1]

AGENCY = """\
id: tst
name: Department of Testing
abbreviation: TST
data_officer:
  name: Pat Officer
  email: pat.officer@ct.gov
"""

# A valid, public descriptor with a standard-conformant town field: each corpus case
# breaks exactly one thing in a copy of it.
DATASET = """\
id: tst-town-counts
title: Town counts
description: Counts of things by Connecticut town.
agency: tst
keywords: [towns, counts]
themes: [land-use]
high_value:
  value: true
  reason: Used by every planning region.
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
access:
  level: public
  api: true
  bulk_download: true
classification:
  level: public
  assessed_on: 2025-11-30
  assessed_by: Sam Steward
schema:
  fields:
    - name: town
      type: string
      description: Connecticut town.
      standard: ct-town
      constraints:
        enum: [Hartford, New Haven]
    - name: things
      type: integer
      description: Number of things.
distributions:
  - id: csv
    title: CSV download
    url: https://data.ct.gov/api/views/abcd-1234/rows.csv
    media_type: text/csv
license: cc0-1.0
lifecycle:
  update_frequency: R/P1Y
  last_reviewed: 2025-06-01
"""

MakeProject = Callable[..., Path]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(scope="session")
def standards_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("std") / "standards"
    shutil.copytree(REPO / "standards", target)
    return target


@pytest.fixture
def make_project(tmp_path: Path, standards_copy: Path) -> MakeProject:
    """Write a project: the repo's standards, a valid agency and dataset unless
    overridden, plus ``files`` ({relative path: text or bytes or None to delete})."""

    def make(files: dict[str, str | bytes | None] | None = None, *, base: bool = True) -> Path:
        root = tmp_path / "project"
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(standards_copy, root / "standards")
        (root / "inventory").mkdir()
        layout: dict[str, str | bytes | None] = {}
        if base:
            layout["inventory/tst/_agency.yml"] = AGENCY
            layout["inventory/tst/tst-town-counts.yml"] = DATASET
        layout.update(files or {})
        for rel, content in layout.items():
            path = root / rel
            if content is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's sample inventory, built once per test session (``catalog build``'s
    pipeline, into a temporary folder)."""
    from catalog.build import build
    from catalog.project import Project

    out = tmp_path_factory.mktemp("build")
    outcome = build(Project(REPO), out)
    assert outcome.report.ok and outcome.result, [p.as_line() for p in outcome.report.errors]
    return out


@pytest.fixture(scope="session")
def auth_env() -> dict[str, str]:
    """Password hashes in the environment, as a deployment provides them."""
    import os

    from catalog.auth import hash_password

    env = {"CATALOG_ADMIN_PASSWORD_HASH": hash_password(STAFF_PASSWORD),
           "CATALOG_STAFF_PASSWORD_HASH": hash_password(STAFF_PASSWORD)}
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def site(sample_build: Path, auth_env: dict[str, str]):  # type: ignore[no-untyped-def]
    from catalog.project import Project
    from catalog.site.config import Site

    return Site(Project(REPO), sample_build)


@pytest.fixture(scope="session")
def ds(site):  # type: ignore[no-untyped-def]
    return site.app()


def staff_cookies(ds, role: str = "staff") -> dict[str, str]:  # type: ignore[no-untyped-def]
    actor = {"id": role, "roles": ["admin", "staff"] if role == "admin" else ["staff"]}
    return {"ds_actor": ds.sign({"a": actor}, "actor")}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection (a remote @context, a profile) fails."""
    import socket
    from typing import Any

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def cat(sample_build: Path):  # type: ignore[no-untyped-def]
    """The sample's public catalog, as exporters read it."""
    from catalog.interop.source import read

    return read(sample_build / "public.db")


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(apt-get install chromium); the browser tests never download one")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def watch_csp(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Collect the Content-Security-Policy violations Chromium reports for ``page``
    (console errors, and the securitypolicyviolation events of every document)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('Content Security Policy violation: ' + "
                         "e.violatedDirective + ' ' + e.blockedURI))")
    return found


AXE = REPO / "tests" / "node_modules" / "axe-core" / "axe.min.js"


def axe_page(browser, width: int, height: int = 900):  # type: ignore[no-untyped-def]
    """A page in a new context of ``width`` whose every document has axe-core (from the
    npm registry, tests/package-lock.json) loaded by an init script: the site's
    Content-Security-Policy does not apply to it, and stays on."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests` (scripts/test does)")
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    return context, context.new_page()


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's violations on the page as it is (every rule axe runs by default: WCAG
    2.0/2.1 A and AA, and its best practices), one line each."""
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
            v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; '));
    }""")
    return list(found)
