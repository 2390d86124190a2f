"""Pages of usage as open data (routes in catalog.site.routes): the usage page (HTML,
JSON), the daily counters (CSV, JSON), approved use cases (HTML, JSON, CSV) and the
download redirect. The pages are loaders (catalog.site.pages.view answers their formats).

The store is read in the usage state's threads (:meth:`.state.UsageState.read`);
nothing here reads inventory.db. The public sees human use; staff also see bot traffic
and the moderation queue. While the store is down these pages answer 503 with a
``Retry-After`` at once; the rest of the site does not notice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from datasette.utils.asgi import Base400, Response

from ..site import charts
from ..site.access import is_staff
from ..site.labels import label
from ..site.pages.common import STAFF_ONLY, Page, Reader, Table
from .report import WITHDRAWN, PeriodError, build_report, csv_columns, daily_rows, period
from .state import state_for
from .store import (
    CATALOG_WIDE,
    PUBLIC_USE_CASE_COLUMNS,
    SOURCES,
    StoreUnavailable,
    public_use_case,
)

OPEN_DATA = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"}


def headers_for(request: Any) -> dict[str, str]:
    return STAFF_ONLY if is_staff(request.actor) else OPEN_DATA


TOP = 10
RETRY_AFTER = "60"
UNAVAILABLE = ("The figures of use are not available right now (their store does not "
               "answer); please try again in a minute. The rest of the catalog works as "
               "usual.")


class StoreDown(Base400):
    status = 503


async def unavailable(datasette: Any, request: Any) -> Response:
    """503 with ``Retry-After``: as an error page, JSON or plain text (CSV URLs)."""
    from ..site.errors import render_error

    if request.path.endswith(".csv"):
        response = Response.text(UNAVAILABLE, status=503)
    else:
        response = await render_error(datasette, request, StoreDown(UNAVAILABLE))
    response.headers["Retry-After"] = RETRY_AFTER
    response.headers["Cache-Control"] = "no-store"
    return response
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # keep a valid URL as it is; encode the rest


def bad_request(message: str, as_json: bool) -> Response:
    if as_json:
        return Response.json({"ok": False, "error": message, "status": 400}, status=400)
    return Response.text(message, status=400)


def _sources(value: str | None) -> tuple[str, ...]:
    return (value,) if value in SOURCES else SOURCES


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


async def usage_page(reader: Reader, request: Any) -> Page | Response:
    """``/usage`` and ``/usage.json``: aggregates of the period with charts."""
    datasette = reader.datasette
    state = state_for(datasette)
    fmt = request.url_vars.get("format")
    try:
        since, until = period(request.args.get("since"), request.args.get("until"), _today())
    except PeriodError as e:
        return bad_request(str(e), fmt == ".json")
    sources = _sources(request.args.get("source"))
    staff = is_staff(request.actor)
    published = state.published.get()

    def load() -> dict[str, Any]:
        report = build_report(state.store, published, since, until, sources=sources,
                              staff=staff)
        data: dict[str, Any] = {"report": report.to_dict()}
        if staff:
            data["bots"] = build_report(state.store, published, since, until,
                                        sources=sources, audience="bot",
                                        staff=True).to_dict()
            data["pending_use_cases"] = state.store.count_use_cases("pending")
        return data

    try:
        data = await state.read(load)
    except StoreUnavailable:
        return await unavailable(datasette, request)
    query = request.query_string
    links = {"json": "/usage.json" + (f"?{query}" if query else ""),
             "daily_csv": "/usage/daily.csv" + (f"?{query}" if query else ""),
             "daily_json": "/usage/daily.json" + (f"?{query}" if query else ""),
             "use_cases_json": "/usage/use-cases.json", "use_cases_csv": "/usage/use-cases.csv"}
    report = data["report"]
    extra = {"since": report["since"], "until": report["until"],
             "source": request.args.get("source") or "all", "charts": _charts(report),
             "top_datasets": _per_dataset(report)[:TOP], "tables": _tables(data),
             "catalog_wide": catalog_wide(report)}
    return Page("catalog_usage.html", "Open-data use", {**data, "links": links}, extra=extra,
                headers=headers_for(request))


def _dataset_href(dataset_id: str) -> str | None:
    return None if dataset_id in (CATALOG_WIDE, WITHDRAWN) else f"/datasets/{dataset_id}"


def _per_dataset(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The datasets' own use, catalog-wide use (search, SQL, exports) apart."""
    return [d for d in report["datasets"] if d["dataset_id"] != CATALOG_WIDE]


def catalog_wide(report: dict[str, Any]) -> int:
    return sum(d["hits"] for d in report["datasets"] if d["dataset_id"] == CATALOG_WIDE)


def dataset_channels(report: dict[str, Any]) -> dict[str, int]:
    """Each channel's requests for datasets: catalog-wide use (searches, SQL, exports of
    the whole catalog) taken out, as it has its own chart on its own scale."""
    wide = {c["channel"]: c["hits"] for c in report["catalog_wide_channels"]}
    return {c["channel"]: c["hits"] - wide.get(c["channel"], 0) for c in report["channels"]
            if c["hits"] - wide.get(c["channel"], 0) or c["channel"] not in wide}


def _tables(data: dict[str, Any]) -> dict[str, list[tuple[str, str | None, int]]]:
    """(label, link, hits) rows of the page's tables."""
    Row = tuple[str, str | None, int]
    report = data["report"]
    tables: dict[str, list[Row]] = {
        "datasets": [(d["title"], _dataset_href(d["dataset_id"]), d["hits"])
                     for d in _per_dataset(report)[:TOP]],
        "agencies": [(a["agency"], f"/agencies/{a['agency_id']}" if a["agency_id"] else None,
                      a["hits"]) for a in report["agencies"] if a["agency_id"]],
        "channels": [(label(c, "channel"), None, hits)
                     for c, hits in dataset_channels(report).items()],
        "catalog_channels": [(label(c["channel"], "channel"), None, c["hits"])
                             for c in report["catalog_wide_channels"]],
    }
    if "bots" in data:
        tables["bots"] = [(label(c["channel"], "channel"), None, c["hits"])
                          for c in data["bots"]["channels"]]
    return tables


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    span = f"{report['since']} to {report['until']}"
    days = [(d["day"], d["hits"]) for d in report["days"]]
    top = [(d["title"], d["hits"]) for d in _per_dataset(report)[:TOP]]
    agencies = [(a["agency"], a["hits"]) for a in report["agencies"] if a["agency_id"]]
    channels = [(label(c, "channel"), hits) for c, hits in dataset_channels(report).items()]
    wide = [(label(c["channel"], "channel"), c["hits"]) for c in report["catalog_wide_channels"]]
    return {
        "trend": charts.column_chart(days, chart_id="chart-trend", title="Daily use",
                                     description=f"Requests per day, {span}.",
                                     table_href="#days-caption"),
        "datasets": charts.bar_chart(top, chart_id="chart-datasets",
                                     title="Most used datasets",
                                     description=f"The {len(top)} most used datasets, {span}; "
                                     "catalog-wide use is counted apart.",
                                     table_href="#top-table-caption"),
        "agencies": charts.bar_chart(agencies, chart_id="chart-agencies",
                                     title="Use by agency",
                                     description=f"Requests for each agency's datasets, {span}.",
                                     table_href="#agency-table-caption"),
        "channels": charts.bar_chart(channels, chart_id="chart-channels",
                                     title="Datasets' use by channel",
                                     description=f"Requests for datasets by channel, {span}.",
                                     table_href="#channel-table-caption"),
        "catalog_channels": charts.bar_chart(
            wide, chart_id="chart-catalog-channels", title="Catalog-wide use by channel",
            description=f"Searches, SQL queries and catalog exports by channel, {span}.",
            table_href="#catalog-channel-table-caption"),
    }


async def daily_data(reader: Reader, request: Any) -> Page | Response:
    """``/usage/daily.csv`` and ``.json``: the stored daily counters of the period."""
    datasette = reader.datasette
    state = state_for(datasette)
    as_json = request.url_vars["format"] == ".json"
    try:
        since, until = period(request.args.get("since"), request.args.get("until"), _today())
    except PeriodError as e:
        return bad_request(str(e), as_json)
    staff = is_staff(request.actor)
    audiences = ("human", "bot") if staff and request.args.get("bots") else ("human",)
    try:
        rows = await state.read(daily_rows, state.store, state.published.get(), since, until,
                                sources=_sources(request.args.get("source")),
                                audiences=audiences, staff=staff)
    except StoreUnavailable:
        return await unavailable(datasette, request)
    columns = csv_columns(rows)
    return Page("", "Daily use", rows, headers=headers_for(request), table=Table(
        f"usage-{since}-{until}.csv", columns, columns, rows, disposition="inline"))


async def use_cases(reader: Reader, request: Any) -> Page | Response:
    """``/usage/use-cases`` (+ ``.json``, ``.csv``): every approved use case."""
    datasette = reader.datasette
    state = state_for(datasette)
    try:
        rows = await state.read(state.store.use_cases, status="approved", limit=100_000)
    except StoreUnavailable:
        return await unavailable(datasette, request)
    published = state.published.get()
    items = []
    for row in rows:
        item = public_use_case(row)
        info = published.datasets.get(item["dataset_id"])
        if info is None:  # the dataset was withdrawn from the public catalog
            continue
        item["dataset_title"] = info.title
        items.append(item)
    columns = csv_columns(items, PUBLIC_USE_CASE_COLUMNS + ("dataset_title",))
    return Page("catalog_usage_use_cases.html", "How the data are used", items,
                extra={"use_cases": items}, headers=OPEN_DATA,
                table=Table("use-cases.csv", columns, columns, items, disposition="inline"))


async def download(request: Any, datasette: Any) -> Response:
    """``/-/download/<dataset>/<distribution>``: 302 to the catalog's URL of that
    distribution. The target comes only from public.db, never from the request; any
    other path under /-/download/ is a 404 answered here."""
    state = state_for(datasette)
    parts = request.url_vars["rest"].split("/")
    url = state.published.get().download_url(*parts) if len(parts) == 2 else None
    if url is None:
        from ..site.errors import not_found

        return await not_found(datasette, request, "No such download")
    return Response.redirect(quote(url, safe=URL_SAFE), status=302, headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

