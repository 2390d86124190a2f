"""The data-sharing agreement register (routes: the ``agreements`` part of
catalog.site.routes; logic: catalog.site.pages.agreements):

* ``/agreements``: the register (the public: the summary of agreements marked public;
  staff: every agreement, filters, the DCF 5-4 gaps) with the picture of who shares
  with whom;
* ``/agreements/<id>``: one agreement;
* ``/agreements/due``: term ends and ongoing reviews coming up (staff);
* ``/agreements.ics``: the same dates as an iCalendar feed (staff).

Each page also answers JSON at its path + ``.json``.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.routes import ROUTES


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return ROUTES.register("agreements")
