"""Use cases: the public form, the staff moderation queue (loaders of routes in
catalog.site.routes), and the panel on each dataset page.

A submission must carry Datasette's CSRF token *and* its cookie (asgi-csrf lets a POST
without any cookie through; this form does not), stays under a size limit, counts
against the client's submission limit (keyed by a salted hash, never the address), and
is silently dropped when the honeypot field is filled. Accepted submissions wait as
``pending`` until staff approve or reject them; only approved ones are shown and
published, never with the e-mail address.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any
from urllib.parse import parse_qsl

from datasette.utils.asgi import BadRequest, Base400, Forbidden, Response
from itsdangerous import BadSignature

from ..site.pages.common import NotFoundError, Page, Reader
from .routes import unavailable
from .state import PANEL_READ_SECONDS, UsageState, state_for
from .store import StoreUnavailable, public_use_case
from .usecases import FIELDS, HONEYPOT, Submission, check

MAX_BODY = 16_384
CSRF_COOKIE = "ds_csrftoken"
DECISIONS = {"approve": "approved", "reject": "rejected"}
LIMITS = {name: high for name, (_, _, high) in FIELDS.items()}


async def read_form(request: Any) -> dict[str, str] | None:
    """The url-encoded body; None past :data:`MAX_BODY` bytes."""
    if not (request.headers.get("content-length") or "0").isdigit() or int(
            request.headers.get("content-length") or 0) > MAX_BODY:
        return None
    body = b""
    more = True
    while more:
        message = await request.receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_BODY:
            return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def fail(datasette: Any, request: Any, error: Base400) -> Response:
    """Datasette's error page (or JSON) for ``error``, without a console dump."""
    from ..site.errors import render_error

    return await render_error(datasette, request, error)


TOO_LARGE = "The form is too large"


def csrf_ok(datasette: Any, request: Any, form: dict[str, str]) -> bool:
    """The form's token equals the signed ``ds_csrftoken`` cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    token = form.get("csrftoken", "")
    if not cookie or not token or not hmac.compare_digest(cookie, token):
        return False
    try:
        datasette.unsign(cookie, "csrftoken")
    except BadSignature:
        return False
    return True


async def _form_page(request: Any, state: UsageState, dataset_id: str, *,
                     submission: Submission | None = None, message: str | None = None,
                     status: int = 200) -> Page:
    info = state.published.get().datasets[dataset_id]
    try:
        rows = await state.read(state.store.use_cases, status="approved",
                                dataset_id=dataset_id)
        down = False
    except StoreUnavailable:  # the form still shows; the list waits for the store
        rows, down = [], True
    context = {
        "usage_dataset": {"id": dataset_id, "title": info.title, "open": info.takes_use_cases,
                          "action": f"/datasets/{dataset_id}/use-cases", "store_down": down,
                          "use_cases": [public_use_case(r) for r in rows],
                          "honeypot": HONEYPOT, "limits": LIMITS},
        "values": submission.values if submission else {},
        "problems": {p.field: p.message for p in submission.problems} if submission else {},
        "message": message, "sent": request.args.get("sent") == "1",
    }
    return Page("catalog_usage_form.html", f"Use cases of {info.title}",
                context["usage_dataset"]["use_cases"], extra=context, status=status,
                headers={"Access-Control-Allow-Origin": "*"})


async def dataset_use_cases(reader: Reader, request: Any) -> Page | Response:
    """``/datasets/<id>/use-cases``: approved use cases and the form (GET, ``.json``);
    a submission (POST)."""
    datasette = reader.datasette
    state = state_for(datasette)
    dataset_id = request.url_vars["dataset_id"]
    info = state.published.get().datasets.get(dataset_id)
    if info is None:
        raise NotFoundError("No such dataset in the catalog")
    if request.method == "POST" and not request.url_vars.get("format"):
        return await submit(request, datasette, state, dataset_id)
    if request.method != "GET":
        return Response.text("Method not allowed", status=405)
    page = await _form_page(request, state, dataset_id)
    if request.url_vars.get("format") and page.extra["usage_dataset"]["store_down"]:
        return await unavailable(datasette, request)  # the form shows; its JSON cannot
    return page


async def submit(request: Any, datasette: Any, state: UsageState, dataset_id: str
                 ) -> Page | Response:
    if not state.published.get().datasets[dataset_id].takes_use_cases:
        raise NotFoundError("This dataset does not take use cases")
    form = await read_form(request)
    if form is None:
        return await fail(datasette, request, BadRequest(TOO_LARGE))
    if not csrf_ok(datasette, request, form):
        return await fail(datasette, request, Forbidden(
            "The form has expired or did not come from this site; reload the page and "
            "send it again"))
    if not state.limiter.allow(state.client_key(request.scope)):
        return await _form_page(request, state, dataset_id, submission=check(form),
                                message="Too many submissions from your connection; "
                                "please try again later.", status=429)
    submission = check(form)
    thanks = Response.redirect(f"/datasets/{dataset_id}/use-cases?sent=1#use-cases",
                               status=303)
    if submission.honeypot:
        return thanks
    if submission.problems:
        return await _form_page(request, state, dataset_id,
                                submission=submission, status=400,
                                message="Please correct the marked fields.")
    try:
        await state.read(state.store.add_use_case, dataset_id, submission.values)
    except StoreUnavailable:
        return await _form_page(request, state, dataset_id, submission=submission,
                                status=503, message="Your use case could not be saved "
                                "right now; please send it again in a few minutes.")
    return thanks


async def moderation(reader: Reader, request: Any) -> Page | Response:
    """``/usage/moderation`` (+ ``.json``): staff only; POST id + approve/reject."""
    datasette = reader.datasette
    state = state_for(datasette)
    if request.method == "POST":
        form = await read_form(request)
        if form is None:
            return await fail(datasette, request, BadRequest(TOO_LARGE))
        if not csrf_ok(datasette, request, form):
            return await fail(datasette, request, Forbidden(
                "The form has expired; reload the page and try again"))
        status = DECISIONS.get(form.get("decision", ""))
        if status is None or not form.get("id", "").isdigit():
            return await fail(datasette, request, BadRequest(
                "Choose approve or reject for one use case"))
        actor = request.actor or {}
        try:
            done = await state.read(state.store.decide, int(form["id"]), status,
                                    str(actor.get("id", "staff")))
        except StoreUnavailable:
            return await unavailable(datasette, request)
        if not done:
            raise NotFoundError("No such use case")
        state.panels.clear()
        return Response.redirect(f"/usage/moderation?{status}={form['id']}", status=303)
    published = state.published.get()

    def load() -> dict[str, Any]:
        pending = list(reversed(state.store.use_cases(status="pending")))
        decided = [r for r in state.store.use_cases(limit=100) if r["status"] != "pending"]
        for row in pending + decided:
            info = published.datasets.get(row["dataset_id"])
            row["dataset_title"] = info.title if info else row["dataset_id"]
        return {"pending": pending, "decided": decided[:50]}

    try:
        data = await state.read(load)
    except StoreUnavailable:
        return await unavailable(datasette, request)
    notice = next((f"Use case {request.args[k]} {k}." for k in ("approved", "rejected")
                   if request.args.get(k)), None)
    return Page("catalog_usage_moderation.html", "Use cases to moderate", data,
                extra={"notice": notice})


async def dataset_panel(datasette: Any, request: Any) -> dict[str, Any] | None:
    """What ``_usage_dataset.html`` shows on a dataset page: the form (open datasets),
    approved use cases and the last 30 days' use; cached for a minute. While the store
    is down (or slower than a second) the last panel read, if any, else no panel: the
    page itself never waits for the store."""
    dataset_id = (request.url_vars or {}).get("dataset_id") if request else None
    state = state_for(datasette)
    info = state.published.get().datasets.get(dataset_id or "")
    if info is None:
        return None
    panel = state.cached_panel(info.id)
    if panel is None:
        until = dt.datetime.now(dt.timezone.utc).date()
        since = until - dt.timedelta(days=29)

        def load() -> dict[str, Any]:
            rows = state.store.use_cases(status="approved", dataset_id=info.id, limit=50)
            by = state.store.totals("channel", since, until, dataset_id=info.id)
            return {"use_cases": [public_use_case(r) for r in rows],
                    "recent": {"views": by.get("page", 0), "downloads": by.get("download", 0),
                               "api": sum(by.get(c, 0) for c in ("json", "csv", "api"))}}

        try:
            panel = await state.read(load, timeout=PANEL_READ_SECONDS)
        except StoreUnavailable:
            panel = state.stale_panel(info.id)
            if panel is None:
                return None
        else:
            state.keep_panel(info.id, panel)
    return {**panel, "id": info.id, "title": info.title, "open": info.takes_use_cases,
            "action": f"/datasets/{info.id}/use-cases", "honeypot": HONEYPOT,
            "limits": LIMITS}

