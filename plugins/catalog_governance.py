"""Governance pages (logic: catalog.site.pages.governance): /scorecards and /requests for
staff, /access-plans for everyone (each also as JSON at the path + .json)."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.pages import view
from catalog.site.pages.governance import access_plans, requests, scorecards

_FMT = r"(?P<format>\.json)?$"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/scorecards" + _FMT, view(scorecards)),
        (r"^/access-plans" + _FMT, view(access_plans)),
        (r"^/requests" + _FMT, view(requests)),
    ]
