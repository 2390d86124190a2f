"""Governance pages (routes: the ``governance`` part of catalog.site.routes; logic:
catalog.site.pages.governance): /scorecards (with their trend over the history),
/agencies/<id>/progress (an agency's progress report, also as .md and .csv), /requests
and /due for staff, /access-plans for everyone (each also as JSON at the path + .json)."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.routes import ROUTES


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("governance")
