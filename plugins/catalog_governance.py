"""Governance pages (logic: catalog.site.pages.governance): /scorecards (with their trend
over the history), /agencies/<id>/progress (an agency's progress report, also as .md
and .csv), /requests and /due for staff, /access-plans for everyone (each also as
JSON at the path + .json)."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.pages import view
from catalog.site.pages.governance import (
    access_plans,
    due,
    progress,
    progress_export,
    requests,
    scorecards,
)

_FMT = r"(?P<format>\.json)?$"
_AGENCY = r"(?P<agency_id>[a-z0-9][a-z0-9-]*)"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/scorecards" + _FMT, view(scorecards)),
        (r"^/access-plans" + _FMT, view(access_plans)),
        (r"^/requests" + _FMT, view(requests)),
        (r"^/due" + _FMT, view(due)),
        (r"^/agencies/" + _AGENCY + "/progress" + _FMT, view(progress)),
        (r"^/agencies/" + _AGENCY + r"/progress\.(?P<ext>md|csv)$", progress_export),
    ]
