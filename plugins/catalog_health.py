"""``/-/health`` (logic: catalog.site.health): the build served and the usage store's state."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.routes import ROUTES


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("health")
