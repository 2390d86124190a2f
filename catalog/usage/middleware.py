"""The counting wrapper around Datasette's ASGI app.

It lets the request through untouched, notes the response status, and once the
response has been sent classifies the request (:mod:`.classify`). A successful GET that
counts for a published dataset (or the catalog as a whole) and comes from a client
that is not signed in is added to the in-memory counters; signed-in staff are not the
public and are never counted. Nothing here waits on the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .classify import classify, countable, is_bot
from .state import state_for

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
# a new Datasette process's own first requests (catalog.serve): not anyone's use
WARM_UP_HEADER = "x-catalog-warm-up"


async def signed_in(datasette: Any, scope: dict[str, Any], receive: Any) -> bool:
    """Whether any ``actor_from_request`` hook knows this client, as Datasette asks."""
    from datasette.plugins import pm
    from datasette.utils import await_me_maybe
    from datasette.utils.asgi import Request

    request = Request(scope, receive)
    for value in pm.hook.actor_from_request(datasette=datasette, request=request):
        if await await_me_maybe(value):
            return True
    return False


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def counting(app: ASGIApp, datasette: Any) -> ASGIApp:
    from ..site.access import identity_headers

    identifying = frozenset(identity_headers())
    warm_up = WARM_UP_HEADER.encode()

    async def usage_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "GET":
            await app(scope, receive, send)
            return
        status = 0

        async def send_noting_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message.get("type") == "http.response.start":
                status = int(message.get("status", 0))
            await send(message)

        await app(scope, receive, send_noting_status)
        if not countable("GET", status) or header(scope, warm_up):
            return
        state = state_for(datasette)
        if state.recorder is None:
            return
        published = state.published.get()
        query = bytes(scope.get("query_string") or b"").decode("latin-1")
        hit = classify(scope.get("path", ""), query, published.datasets)
        if hit is None:
            return
        # a request that carries nothing naming anyone is anonymous: no need to ask
        # the actor hooks (the cost of counting is most of a cached page's)
        if any(key.lower() in identifying for key, _ in scope.get("headers") or ()) \
                and await signed_in(datasette, scope, receive):
            return
        agent = header(scope, b"user-agent")
        client = (scope.get("client") or ("", 0))[0]
        state.recorder.record(hit.dataset_id, hit.channel, "bot" if is_bot(agent) else "human",
                              visitor=(str(client), agent))

    return usage_app
