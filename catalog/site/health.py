"""``/-/health``: what a load balancer, a process manager or a person asks a server.

It answers 200 as long as the process serves, with the build it serves (from the meta
table of the public.db it has open) and the usage store's state. The store's state is
reported, never a reason to fail: the site does not depend on the store
(docs/usage.md). The store is asked at most every ``PROBE_SECONDS`` (a round trip,
given a second), and not at all while it is known to be down.
"""

from __future__ import annotations

import os
import time
from typing import Any

from datasette.utils.asgi import Response

from catalog.dbapi import sqlite3

PROBE_SECONDS = 10.0
META_KEYS = ("source_hash", "built_at", "git_commit", "validated_on", "catalog_version",
             "layout_version")
STARTED = time.time()
_builds: dict[str, dict[str, str]] = {}


def build_info(public_db: str) -> dict[str, str]:
    """The meta of the build in ``public_db`` (a snapshot: read once)."""
    info = _builds.get(public_db)
    if info is None:
        conn = sqlite3.connect(f"file:{public_db}?mode=ro&immutable=1", uri=True)
        try:
            rows = dict(conn.execute("select key, value from meta"))
        finally:
            conn.close()
        info = _builds[public_db] = {k: rows.get(k, "") for k in META_KEYS}
    return info


async def store_state(datasette: Any, staff: bool = False) -> dict[str, Any]:
    """The store's state; why it is down only for staff (the reason names hosts)."""
    from ..usage.state import PANEL_READ_SECONDS, state_for
    from ..usage.store import StoreUnavailable

    state = state_for(datasette)
    store, health = state.store, state.store.health
    last_ok = health.last_ok
    if health.up and (last_ok is None or time.monotonic() - last_ok > PROBE_SECONDS):
        try:
            await state.read(store.ping, timeout=PANEL_READ_SECONDS)
        except StoreUnavailable:
            pass
    recorder = state.recorder
    known = health.state()
    if not staff:
        known["error"] = None if known["reachable"] else "unreachable"
    return {"backend": store.engine.dialect.name, **known,
            "pending_events": recorder.pending if recorder else 0,
            "dropped_events": recorder.dropped if recorder else 0,
            "tracking": recorder is not None}


async def health(request: Any, datasette: Any) -> Response:
    from .access import PUBLIC_DB, is_staff

    build = build_info(datasette.get_database(PUBLIC_DB).path)
    store = await store_state(datasette, is_staff(request.actor))
    body = {"status": "ok", "build": build, "store": store,
            "process": {"pid": os.getpid(), "uptime_seconds": round(time.time() - STARTED, 1)}}
    return Response.json(body, headers={"Cache-Control": "no-store"})

