"""Exports served by the site at their conventional URLs, from public.db only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from catalog.interop import EXPORTS

from .conftest import staff_cookies


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
