"""Open-data use (logic: catalog.usage; what is counted and published: docs/usage.md).

* an ASGI wrapper counts anonymous use of public datasets per day and channel
  (``CATALOG_USAGE_TRACKING=off`` leaves the app unwrapped);
* routes (the ``usage`` part of catalog.site.routes): /usage (+ .json),
  /usage/daily.csv|json, /usage/use-cases (+ .json, .csv), /usage/moderation (staff),
  /datasets/<id>/use-cases (form, POST), and /-/download/<dataset>/<distribution>
  (counted redirect to the catalog's URL);
* the dataset page's use-case panel (``_usage_dataset.html``) gets ``usage_dataset``;
* staff get a menu link to the moderation queue.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.problems import CatalogError
from catalog.settings import value
from catalog.site.routes import ROUTES
from catalog.usage import forms
from catalog.usage.config import OFF
from catalog.usage.middleware import counting
from catalog.usage.state import state_for


@hookimpl
def startup(datasette: Any) -> None:
    """Settings and the store's URL checked before serving (the store is not opened:
    the site never waits for it)."""
    try:
        state_for(datasette)
    except CatalogError as e:
        raise SystemExit(f"usage: {e}" + (f"\nhint: {e.hint}" if e.hint else "")) from None


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    if value("CATALOG_USAGE_TRACKING").lower() in OFF:
        return lambda app: app
    return lambda app: counting(app, datasette)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("usage")


@hookimpl
def extra_template_vars(template: str, request: Any, datasette: Any) -> Any:
    if template != "catalog_dataset.html":
        return None

    async def inner() -> dict[str, Any]:
        return {"usage_dataset": await forms.dataset_panel(datasette, request)}
    return inner
