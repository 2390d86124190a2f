"""Scorecards, Open Data Access Plans and data requests pages."""

from __future__ import annotations

import asyncio
from typing import Any

from .conftest import staff_cookies


def get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    async def go() -> Any:
        return await ds.client.get(path, cookies=cookies or {})
    return asyncio.run(go())


def test_scorecards_are_staff_only(ds: Any) -> None:
    assert get(ds, "/scorecards").status_code == 403
    assert get(ds, "/scorecards.json").status_code == 403
    response = get(ds, "/scorecards", staff_cookies(ds))
    assert response.status_code == 200
    assert 'class="ct-bars' in response.text and "Statewide" in response.text
    data = get(ds, "/scorecards.json", staff_cookies(ds)).json()
    assert data["scopes"][0] == "statewide"
    assert len(data["metrics"]) == 11


def test_access_plans_public_and_staff(ds: Any) -> None:
    public = get(ds, "/access-plans.json").json()
    staff = get(ds, "/access-plans.json", staff_cookies(ds)).json()
    assert sum(public["totals"].values()) == len(public["plans"]) > 0
    assert len(staff["plans"]) >= len(public["plans"])
    assert {p["state"] for p in staff["plans"]} <= {"released", "planned", "overdue",
                                                   "not-planned"}
    assert "overdue" in {p["state"] for p in staff["plans"]}
    assert get(ds, "/access-plans").status_code == 200


def test_requests_register_is_staff_only(ds: Any) -> None:
    assert get(ds, "/requests").status_code == 403
    data = get(ds, "/requests.json", staff_cookies(ds)).json()
    assert data["stats"]["total"] == 4 and data["stats"]["answered"] == 3
    page = get(ds, "/requests", staff_cookies(ds)).text
    assert "Committee on Children" in page and 'class="ct-bars' in page


def test_chart_escapes_labels() -> None:
    from catalog.site.charts import bar_chart

    svg = str(bar_chart([("<script>x</script>", 0.5)], chart_id="c", title="t",
                        description="d", maximum=1.0))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_chart_axes_are_round_and_just_above_the_largest_value() -> None:
    """For every whole peak up to 20,000: ticks from 0 in one step of 1, 2, 2.5 or 5
    times a power of ten, at most five of them, the top at or above the peak and at most
    1.5 times it (5,001 → 6,000, never 10,000)."""
    from catalog.site.charts import axis

    from .test_browser_charts import is_round

    assert axis(5_001) == [0, 2_000, 4_000, 6_000]
    for peak in range(1, 20_001):
        ticks = axis(peak)
        steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
        assert ticks[0] == 0 and len(steps) == 1 and is_round(steps.pop()), (peak, ticks)
        assert len(ticks) <= 5 and peak <= ticks[-1] <= 1.5 * peak, (peak, ticks)
