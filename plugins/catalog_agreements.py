"""The data-sharing agreement register (logic: catalog.site.pages.agreements):

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

from catalog.site.pages import Reader, view
from catalog.site.pages.agreements import agreement, calendar_feed, due_view, register

_ID = r"(?P<agreement_id>[A-Za-z0-9][A-Za-z0-9_.-]*?)"
_FMT = r"(?P<format>\.json)?$"


async def ics(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    reader = Reader(datasette, request.actor)
    base_url = datasette.absolute_url(request, "/").rstrip("/")
    body = await calendar_feed(reader, base_url)
    return Response(body, status=200, content_type="text/calendar; charset=utf-8",
                    headers={"content-disposition": 'inline; filename="agreements.ics"',
                             "cache-control": "private, no-store"})


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/agreements\.ics$", ics),
        (r"^/agreements/due" + _FMT, view(due_view)),
        (r"^/agreements" + _FMT, view(register)),
        (r"^/agreements/" + _ID + _FMT, view(agreement)),
    ]
