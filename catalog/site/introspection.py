"""Datasette's own ``/-/`` pages as the catalog serves them (routes in
catalog.site.routes): /-/databases(.json) and /-/metadata(.json) answer with what the
actor may see; /-/threads, /-/versions and /-/plugins are for admins only (the route
table's audience); Datasette's developer pages are not served."""

from __future__ import annotations

import json
from typing import Any

from datasette.utils.asgi import NotFound, Response

from . import access


async def databases_json(request: Any, datasette: Any) -> Response:
    visible = []
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        if name == access.PRIVATE_DB and not access.is_staff(request.actor):
            continue
        visible.append({"name": name, "route": db.route, "is_mutable": db.is_mutable,
                        "is_memory": db.is_memory})
    return Response.json(visible)


async def metadata_json(request: Any, datasette: Any) -> Response:
    body = access.filter_metadata(datasette.metadata() or {}, request.actor)
    if request.path.endswith(".json"):
        return Response.json(body)
    html = await datasette.render_template(
        "show_json.html", {"filename": "metadata.json", "data_json": json.dumps(body, indent=2)},
        request=request)
    return Response.html(html)


async def not_served(request: Any, datasette: Any) -> Response:
    """Datasette's developer pages (the pattern portfolio, the message and allow-block
    testers) are not part of the catalog."""
    raise NotFound("Page not found")


async def datasette_view(request: Any, datasette: Any) -> Any:
    """Datasette's own introspection page (threads, versions, plugins)."""
    from datasette.views.special import JsonDataView

    name = request.url_vars["name"]
    data = {"threads": datasette._threads, "versions": datasette._versions,
            "plugins": datasette._plugins}[name]
    view = JsonDataView.as_view(datasette, f"{name}.json", data,
                                needs_request=name == "plugins")
    return await view(request, None)
