"""Governance pages (logic: catalog.site.pages.governance): /scorecards, /requests and /due
for staff, /access-plans for everyone (each also as JSON at the path + .json)."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site import access
from catalog.site.pages import view
from catalog.site.pages.governance import access_plans, due, requests, scorecards

_FMT = r"(?P<format>\.json)?$"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/scorecards" + _FMT, view(scorecards)),
        (r"^/access-plans" + _FMT, view(access_plans)),
        (r"^/requests" + _FMT, view(requests)),
        (r"^/due" + _FMT, view(due)),
    ]


@hookimpl
def menu_links(actor: Any) -> list[dict[str, str]] | None:
    if not access.is_staff(actor):
        return None
    return [{"href": "/scorecards", "label": "Scorecards"},
            {"href": "/requests", "label": "Data requests"},
            {"href": "/due", "label": "What falls due"}]
