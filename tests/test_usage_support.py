"""Support for the usage tests (no tests here): a catalog site with its own usage store,
driven through the whole ASGI stack (counting wrapper, CSRF middleware, router) with a
chosen client address."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from catalog.dbapi import sqlite3

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CLIENT_IP = "203.0.113.77"
OPEN_DATASET = "dcf-entries-to-care-by-town"  # public record, public access
LISTED_DATASET = "dcf-out-of-home-placements"  # summary only in public.db
HIDDEN_DATASET = "dcf-ct-kids-case-management"  # not in public.db at all


@dataclass
class UsageSite:
    ds: Any
    store_path: Path

    def __post_init__(self) -> None:
        self.app = self.ds.app()

    def request(self, method: str, path: str, *, ip: str = CLIENT_IP, agent: str = BROWSER,
                cookies: dict[str, str] | None = None, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(ip, 50123))
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost",
                                         cookies=cookies) as client:
                return await client.request(method, path, data=data,
                                            headers={"user-agent": agent, **(headers or {})})
        return asyncio.run(go())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict[str, str], **kw: Any) -> httpx.Response:
        return self.request("POST", path, data=data, **kw)

    @property
    def state(self) -> Any:
        from catalog.usage.state import state_for

        return state_for(self.ds)

    def flush(self) -> None:
        recorder = self.state.recorder
        if recorder is not None:
            recorder.flush()

    def counts(self) -> dict[tuple[str, str, str], int]:
        """(dataset, channel, audience) → hits, read from the file like any reader."""
        self.flush()
        if not self.store_path.exists():
            return {}
        conn = sqlite3.connect(self.store_path)
        try:
            return {(d, c, a): n for d, c, a, n in conn.execute(
                "select dataset_id, channel, audience, sum(hits) from usage_daily "
                "group by 1, 2, 3")}
        finally:
            conn.close()

    def form_token(self, path: str, cookies: dict[str, str] | None = None, **kw: Any
                   ) -> dict[str, str]:
        """GET a page with a form: its cookies (with ds_csrftoken) and the token."""
        r = self.get(path, cookies=cookies, **kw)
        assert r.status_code == 200, r.text[:500]
        match = re.search(r'name="csrftoken" value="([^"]+)"', r.text)
        assert match, "no csrftoken in the form"
        jar = dict(cookies or {})
        jar["ds_csrftoken"] = r.cookies.get("ds_csrftoken") or jar.get("ds_csrftoken", "")
        assert jar["ds_csrftoken"]
        return {**jar, "__token": match.group(1)}


def submission(**overrides: str) -> dict[str, str]:
    values = {"title": "Placement dashboard", "organisation": "Hartford Data Collaborative",
              "description": "We mapped entries to care by town for the regional plan.",
              "link": "https://example.org/dashboard", "email": "analyst@example.org"}
    values.update(overrides)
    return values


def post_form(site: UsageSite, path: str, values: dict[str, str], form_page: str | None = None,
              cookies: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
    """POST ``values`` with a valid CSRF token taken from ``form_page``."""
    jar = site.form_token(form_page or path, cookies=cookies, **kw)
    token = jar.pop("__token")
    return site.post(path, {**values, "csrftoken": token}, cookies=jar, **kw)


def make_site(site: Any, tmp_path: Path, monkeypatch: Any, **env: str) -> UsageSite:
    """A fresh Datasette of the sample catalog whose usage store is in ``tmp_path``;
    flushes happen only when a test asks (``UsageSite.flush``)."""
    store = tmp_path / "usage.db"
    settings = {"CATALOG_USAGE_URL": f"sqlite:///{store}", "CATALOG_USAGE_FLUSH_SECONDS": "3600",
                "CATALOG_USAGE_FLUSH_EVENTS": "1000000", "CATALOG_USAGE_TRACKING": "on",
                "CATALOG_USAGE_SUBMIT_LIMIT": "100/hour", **env}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return UsageSite(site.app(), store)
