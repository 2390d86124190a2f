"""The Chief Data Officer's workspace (staff only; docs/site.md, "For staff"):

* ``/staff`` ("Today"): everything that needs attention, ranked and linked; agency staff
  see their agency's slice (``staff_accounts`` in the agency's ``_agency.yml``);
* ``/staff/problems``: the problems of the last build attempt and of the agencies' CI
  reports, grouped by agency and file, each linked to its line in the repository;
* ``/staff/datasets``: the whole inventory, paged, sortable, filterable, as CSV too;
* ``/staff/queries`` and ``/staff/queries/<name>``: the canned queries of metadata.yml
  with titled columns, linked ids, CSV.

Pages read inventory.db through the :class:`~.common.Reader`, and the build folder's
status files (catalog.status); requests, agreements and plan entries are read from the
compiled tables with ``select *``, so that columns added later reach the page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from ...governance.due import DueItem
from ...model.request import CLOSED
from ...status import ci_reports, last_attempt
from .common import (
    STAFF_ONLY,
    NotFoundError,
    Page,
    Reader,
    Row,
    Table,
    csv_page,
    page_number,
)

RANKS: tuple[tuple[str, str], ...] = (
    ("failing", "Failing descriptors"),
    ("overdue", "Overdue"),
    ("due-soon", "Due within 30 days"),
    ("waiting", "Waiting for a decision"),
    ("upcoming", "Coming up in the next 90 days"),
    ("notes", "For information"),
)
SOON_DAYS = 30
UPCOMING_DAYS = 90
REQUEST_DAYS = 30  # an open request older than this, without a due date, is overdue
STALE_DAYS = 365
ALL = "all"


@dataclass
class Item:
    """One thing that needs attention."""

    rank: str
    kind: str
    title: str
    detail: str
    href: str
    agency_id: str | None = None
    date: str | None = None
    days: int | None = None  # from today; negative when past
    count: int = 1
    agencies: list[str] | None = None  # every agency it concerns, when several

    def concerns(self, agency: str) -> bool:
        return agency in (self.agencies or [self.agency_id or ""])


def _sort_key(item: Item) -> tuple[Any, ...]:
    order = [r for r, _ in RANKS].index(item.rank)
    days = item.days if item.days is not None else 0
    # the most overdue first, then the soonest, then the biggest
    return (order, days if item.rank != "failing" else -item.count, -item.count, item.title)


def agency_of(path: str | None) -> str | None:
    """The agency a repository path belongs to (``inventory/<agency>/…``)."""
    parts = (path or "").split("/")
    if len(parts) >= 3 and parts[0] == "inventory" and not parts[1].startswith("_"):
        return parts[1]
    return None


def _days(value: Any, today: dt.date) -> int | None:
    try:
        return (dt.date.fromisoformat(str(value)[:10]) - today).days
    except ValueError:
        return None


def day(value: Any) -> str:
    """A date in words ("Apr 30, 2026"); other text as it is."""
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d:%b} {d.day}, {d:%Y}"


def _when(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "today"
    return f"in {days} day{'s' if days != 1 else ''}"


async def agencies(reader: Reader) -> list[Row]:
    rows = await reader.rows("select id, name, abbreviation, staff_accounts from agencies "
                             "order by name")
    for row in rows:
        row["accounts"] = json.loads(row.pop("staff_accounts") or "[]")
    return rows


def own_agency(actor: Any, rows: list[Row]) -> str | None:
    """The agency an account is bound to: the one whose ``staff_accounts`` name it."""
    who = str((actor or {}).get("id") or "")
    found = [a["id"] for a in rows if who and who in a["accounts"]]
    return found[0] if len(found) == 1 else None


def chosen_agency(request: Any, mine: str | None, known: set[str]) -> str | None:
    """The slice asked for: ``?agency=<id>`` or ``?agency=all``, else the account's own."""
    asked = request.args.get("agency")
    if asked == ALL:
        return None
    if asked in known:
        return asked
    return mine


# -- the items of Today ---------------------------------------------------------------------


def problem_items(attempt: dict[str, Any] | None, reports: list[dict[str, Any]],
                  titles: dict[str, str]) -> list[Item]:
    """A failing file of the last build attempt, or of an agency's newest CI report."""
    items: list[Item] = []
    sources = [("build", attempt)] if attempt else []
    sources += [("ci", r) for r in reports]
    for source, found in sources:
        errors: dict[str, int] = defaultdict(int)
        for p in found.get("problems") or []:
            if p.get("severity") == "error":
                errors[p.get("file") or ""] += 1
        for path, n in sorted(errors.items()):
            agency = agency_of(path) or (found.get("agency") if source == "ci" else None)
            where = ("the last build attempt" if source == "build"
                     else f"{str(found.get('agency') or '').upper()}'s CI report")
            items.append(Item(
                "failing", "Descriptor fails validation", titles.get(path) or path or
                "The inventory", f"{n} error{'s' if n != 1 else ''} in {where}",
                "/staff/problems?" + urlencode({"file": path, "source": source}),
                agency, count=n))
    return items


def plan_items(plans: list[Row], today: dt.date) -> list[Item]:
    items = []
    for p in plans:
        if p["status"] != "planned" or not p.get("target_release"):
            continue
        days = _days(p["target_release"], today)
        if days is None or days > UPCOMING_DAYS:
            continue
        rank = "overdue" if days < 0 else "due-soon" if days <= SOON_DAYS else "upcoming"
        items.append(Item(rank, "Open Data Access Plan release", p["title"],
                          f"Target release {day(p['target_release'])}, {_when(days)}",
                          f"/datasets/{p['dataset_id']}#odap", p["agency_id"],
                          str(p["target_release"]), days))
    return items


def due_items(due: list[Row], agencies_of: dict[str, list[str]],
              today: dt.date) -> list[Item]:
    """What falls due in the next 90 days or is overdue, from the build's ``due_items``
    (catalog.governance.due: agreement terms and reviews, request answers, classification
    and predictive-tool reviews), each with the agencies it concerns."""
    items = []
    for row in due:
        d = DueItem.from_row(row)
        days = d.days(today)
        if days > UPCOMING_DAYS:
            continue
        rank = "overdue" if days < 0 else "due-soon" if days <= SOON_DAYS else "upcoming"
        involved = agencies_of.get(d.subject) or []
        items.append(Item(rank, d.label, d.title, f"Due {day(d.date)}, {_when(days)}",
                          DUE_LINKS[d.kind].format(d.subject),
                          involved[0] if involved else None, d.date.isoformat(), days,
                          agencies=involved if len(involved) > 1 else None))
    return items


DUE_LINKS = {"term-end": "/agreements/{}", "ongoing-review": "/agreements/{}",
             "request-answer": "/requests#{}", "classification-review": "/datasets/{}",
             "tool-review": "/datasets/{}"}


def request_items(requests: list[Row], dated: set[str], today: dt.date) -> list[Item]:
    """Open requests with no answer date (those with one fall due with the rest)."""
    items = []
    for r in requests:
        if r["status"] in CLOSED or r["id"] in dated:
            continue
        age = -(_days(r["received_on"], today) or 0)
        days = REQUEST_DAYS - age
        items.append(Item("overdue" if days < 0 else "waiting", "Open data request",
                          r["title"], f"Received {day(r['received_on'])}, open for {age} "
                          f"days; status: {str(r['status']).replace('-', ' ')}",
                          f"/requests#{r['id']}", r.get("handled_by"),
                          str(r["received_on"]), days))
    return items


def use_case_items(pending: list[dict[str, Any]], agency_by_dataset: dict[str, str],
                   titles: dict[str, str]) -> list[Item]:
    by_dataset: dict[str, int] = defaultdict(int)
    for u in pending:
        by_dataset[u["dataset_id"]] += 1
    return [Item("waiting", "Use case to moderate", titles.get(k, k),
                 f"{n} use case{'s' if n != 1 else ''} waiting for review",
                 "/usage/moderation", agency_by_dataset.get(k), count=n)
            for k, n in sorted(by_dataset.items())]


def stale_items(stale: list[Row]) -> list[Item]:
    return [Item("notes", "Descriptors not reviewed in 12 months", r["name"],
                 f"{r['n']} descriptor{'s' if r['n'] != 1 else ''} last reviewed over "
                 f"{STALE_DAYS} days ago (or never)",
                 "/staff/datasets?" + urlencode({"agency": r["agency_id"], "stale": "1"}),
                 r["agency_id"], count=r["n"]) for r in stale]


def scorecard_items(changes: list[Row], names: dict[str, str]) -> list[Item]:
    items = []
    for c in changes:
        scope = "Statewide" if c["scope"] == "statewide" else names.get(c["scope"], c["scope"])
        arrow = "up" if c["delta"] > 0 else "down"
        since = ("release " if c["kind"] == "tag" else "") + f"{c['point']}, {day(c['date'])}"
        items.append(Item("notes", "Scorecard change since the last release",
                          f"{scope}: {c['title']}",
                          f"{arrow} {abs(c['delta']) * 100:.0f} points to {c['value'] * 100:.0f}%"
                          f" (since {since})",
                          "/scorecards#" + ("statewide" if c["scope"] == "statewide"
                                            else f"agency-{c['scope']}"),
                          None if c["scope"] == "statewide" else c["scope"]))
    return items


async def scorecard_changes(reader: Reader) -> list[Row]:
    """Each score that moved since the last release before today (``scorecard_history``,
    computed from the inventory's git history: the last tag, else the last month)."""
    from .governance import last_release

    since = await last_release(reader)
    if not since:
        return []
    return await reader.rows(
        "select s.scope, s.metric, m.title, s.value, h.value as before, "
        "s.value - h.value as delta, h.point, h.kind, h.date from scorecards s "
        "join scorecard_history h on h.scope = s.scope and h.metric = s.metric "
        "and h.point = :point join scorecard_metrics m on m.id = s.metric "
        "where s.value is not null and h.value is not null and abs(s.value - h.value) >= 0.005 "
        "order by abs(s.value - h.value) desc", {"point": since["point"]})


async def _pending_use_cases(reader: Reader) -> list[dict[str, Any]]:
    import asyncio

    from ...usage.state import state_for

    store = state_for(reader.datasette).store
    return await asyncio.to_thread(lambda: [
        {"dataset_id": u["dataset_id"]} for u in store.use_cases(status="pending")])


async def today(reader: Reader, request: Any) -> Page:
    agency_rows = await agencies(reader)
    names = {a["id"]: a["name"] for a in agency_rows}
    mine = own_agency(reader.actor, agency_rows)
    chosen = chosen_agency(request, mine, set(names))
    datasets = await reader.rows("select id, title, agency_id, source_file from datasets")
    by_file = {d["source_file"]: d["title"] for d in datasets if d["source_file"]}
    titles = {d["id"]: d["title"] for d in datasets}
    agency_by_dataset = {d["id"]: d["agency_id"] for d in datasets}
    attempt = last_attempt(reader.build_dir)
    plans = await reader.rows("select p.*, d.title from access_plans p "
                              "join datasets d on d.id = p.dataset_id")
    # the agencies each due item concerns: an agreement's, a request's, a dataset's
    agencies_of: dict[str, list[str]] = defaultdict(list)
    for p in await reader.rows("select distinct agreement_id, agency_id from "
                               "agreement_parties where agency_id is not null "
                               "order by agreement_id, agency_id"):
        agencies_of[p["agreement_id"]].append(p["agency_id"])
    requests = await reader.rows("select * from data_requests")
    for r in requests:
        if r.get("handled_by"):
            agencies_of[r["id"]] = [r["handled_by"]]
    for d in datasets:
        agencies_of[d["id"]] = [d["agency_id"]]
    due = await reader.rows("select * from due_items")
    stale = await reader.rows(
        "select d.agency_id, a.name, count(*) as n from datasets d "
        "join agencies a on a.id = d.agency_id where d.last_reviewed is null "
        "or d.last_reviewed < :cutoff group by d.agency_id order by a.name",
        {"cutoff": (reader.today - dt.timedelta(days=STALE_DAYS)).isoformat()})
    items = (problem_items(attempt, ci_reports(reader.build_dir), by_file)
             + plan_items(plans, reader.today)
             + due_items(due, agencies_of, reader.today)
             + request_items(requests, {r["subject"] for r in due}, reader.today)
             + use_case_items(await _pending_use_cases(reader), agency_by_dataset, titles)
             + stale_items(stale)
             + scorecard_items(await scorecard_changes(reader), names))
    if chosen:
        items = [i for i in items if i.concerns(chosen)]
    items.sort(key=_sort_key)
    groups = [{"rank": rank, "title": title, "items": [asdict(i) for i in items
                                                       if i.rank == rank]}
              for rank, title in RANKS]
    counts = {rank: sum(1 for i in items if i.rank == rank) for rank, _ in RANKS}
    return Page("catalog_staff_today.html", "Today", {
        "as_of": reader.today.isoformat(), "agency": chosen, "own_agency": mine,
        "agency_name": names.get(chosen or ""), "counts": counts,
        "items": [asdict(i) for i in items], "last_attempt": _attempt_summary(attempt),
    }, extra={"groups": [g for g in groups if g["items"]], "agencies": agency_rows,
              "agency_names": names})


def _attempt_summary(attempt: dict[str, Any] | None) -> dict[str, Any] | None:
    if not attempt:
        return None
    return {k: attempt.get(k) for k in ("at", "mode", "built", "summary", "git_commit")}


# -- problems -------------------------------------------------------------------------------


def file_url(catalog: dict[str, Any], path: str, line: int | None, ref: str) -> str | None:
    """The repository address of a problem's file and line (``repository`` in
    _catalog.yml), or None when no repository is configured."""
    repo = catalog.get("repository") or {}
    if not repo.get("url") or not path:
        return None
    template = repo.get("file_url") or "{url}/blob/{ref}/{path}#L{line}"
    url = template.format(url=repo["url"].rstrip("/"), ref=ref or repo.get("branch") or "main",
                          path=path, line=line or 1)
    return url if line else url.split("#", 1)[0]


def group_problems(problems: list[dict[str, Any]], *, datasets: dict[str, Row],
                   names: dict[str, str], catalog: dict[str, Any], ref: str,
                   default_agency: str | None = None) -> list[dict[str, Any]]:
    """Problems grouped by agency, then by file (a dataset, an agreement, a request…)."""
    by_agency: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for p in problems:
        path = p.get("file") or ""
        agency = agency_of(path) or default_agency or ""
        by_agency[agency][path].append({**p, "url": file_url(catalog, path, p.get("line"),
                                                              ref)})
    out = []
    for agency in sorted(by_agency, key=lambda a: (a == "", names.get(a, a))):
        files: list[dict[str, Any]] = []
        for path, found in sorted(by_agency[agency].items()):
            d = datasets.get(path)
            files.append({
                "file": path, "url": file_url(catalog, path, None, ref),
                "dataset_id": d["id"] if d else None, "title": d["title"] if d else None,
                "errors": sum(1 for p in found if p["severity"] == "error"),
                "warnings": sum(1 for p in found if p["severity"] == "warning"),
                "problems": sorted(found, key=lambda p: (p.get("line") or 0, p["code"]))})
        out.append({"agency_id": agency or None,
                    "name": names.get(agency) or ("Shared files (registers, standards, "
                                                   "the catalog)" if not agency else agency),
                    "files": files,
                    "errors": sum(f["errors"] for f in files),
                    "warnings": sum(f["warnings"] for f in files),
                    "total": sum(len(f["problems"]) for f in files)})
    return out


def _keep(p: dict[str, Any], request: Any, *, by_agency: bool = True) -> bool:
    severity, path = request.args.get("severity"), request.args.get("file")
    agency = request.args.get("agency") if by_agency else None
    return ((not severity or p.get("severity") == severity)
            and (not path or p.get("file") == path)
            and (not agency or agency_of(p.get("file")) == agency))


async def problems(reader: Reader, request: Any) -> Page:
    meta = {r["key"]: r["value"] for r in await reader.rows("select key, value from meta")}
    catalog = json.loads(meta.get("catalog_json") or "{}")
    names = {a["id"]: a["name"] for a in await reader.rows("select id, name from agencies")}
    datasets = {d["source_file"]: d for d in await reader.rows(
        "select id, title, source_file from datasets")}
    attempt = last_attempt(reader.build_dir)
    served = meta.get("source_hash")
    if attempt is None:  # a build from before attempts were recorded: its own problems
        found = [{**r, "column": r.pop("col")} for r in await reader.rows(
            "select file, line, col, pointer, code, severity, message, hint from problems")]
        attempt = {"at": meta.get("built_at"), "built": True, "mode": "build",
                   "git_commit": meta.get("git_commit"), "problems": found}
    source = request.args.get("source")
    sections = []
    if source in (None, "", "build"):
        kept = [p for p in attempt["problems"] if _keep(p, request)]
        ref = attempt.get("git_commit") or meta.get("git_commit") or ""
        sections.append({
            "id": "build", "title": "The last build attempt",
            "at": attempt.get("at"), "built": attempt.get("built"),
            "current": attempt.get("source_hash") in (None, served) or not attempt.get("built"),
            "groups": group_problems(kept, datasets=datasets, names=names, catalog=catalog,
                                     ref=ref),
            "total": len(kept)})
    if source in (None, "", "ci"):
        for report in ci_reports(reader.build_dir):
            agency = report.get("agency")
            if request.args.get("agency") and agency != request.args.get("agency"):
                continue
            kept = [p for p in report["problems"] if _keep(p, request, by_agency=False)]
            sections.append({
                "id": f"ci-{agency}", "title": f"CI report of {names.get(agency, agency)}",
                "at": report.get("received_at"), "commit": report.get("commit"),
                "run_url": report.get("run_url"), "valid": report.get("valid"),
                "groups": group_problems(kept, datasets=datasets, names=names,
                                         catalog=catalog, ref=report.get("commit") or "",
                                         default_agency=agency),
                "total": len(kept)})
    filters = {k: request.args.get(k) for k in ("agency", "severity", "file", "source")
               if request.args.get(k)}
    return Page("catalog_staff_problems.html", "Problems", {
        "served_build": {"at": meta.get("built_at"), "source_hash": served},
        "sections": sections, "filters": filters,
        "repository": (catalog.get("repository") or {}).get("url"),
    }, extra={"agency_names": names})


# -- the whole inventory --------------------------------------------------------------------

PAGE_SIZE = 50
SORTS: dict[str, tuple[str, str]] = {  # key → (SQL, heading)
    "title": ("d.title collate nocase", "Title"),
    "agency": ("a.name collate nocase", "Agency"),
    "access": ("d.access_level", "Access level"),
    "visibility": ("d.visibility", "Visibility"),
    "classification": ("coalesce(c.rank, -1)", "Classification"),
    "reviewed": ("coalesce(d.last_reviewed, '')", "Last reviewed"),
    "modified": ("coalesce(d.modified, '')", "Last modified"),
    "problems": ("problem_count", "Problems"),
}
FILTERS = ("agency", "access", "visibility", "classification", "high_value", "stale", "q")
INVENTORY_COLUMNS = ("id", "title", "agency_id", "agency", "access_level", "visibility",
                     "classification", "high_value", "last_reviewed", "modified",
                     "problem_count", "source_file")


def _inventory_where(request: Any, today: dt.date) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for key, column in (("agency", "d.agency_id"), ("access", "d.access_level"),
                        ("visibility", "d.visibility"), ("classification", "d.classification")):
        value = request.args.get(key)
        if value:
            clauses.append(f"{column} = :{key}")
            params[key] = value
    if request.args.get("high_value") in ("1", "0"):
        clauses.append("d.high_value = :hv")
        params["hv"] = int(request.args["high_value"])
    if request.args.get("stale") == "1":
        clauses.append("(d.last_reviewed is null or d.last_reviewed < :cutoff)")
        params["cutoff"] = (today - dt.timedelta(days=STALE_DAYS)).isoformat()
    text = (request.args.get("q") or "").strip()
    if text:
        clauses.append("(d.title like :q or d.id like :q or d.description like :q)")
        params["q"] = f"%{text[:200]}%"
    return (" where " + " and ".join(clauses)) if clauses else "", params


async def inventory_rows(reader: Reader, request: Any, *, limit: int | None,
                         offset: int = 0) -> tuple[list[Row], int, str, bool]:
    where, params = _inventory_where(request, reader.today)
    sort = request.args.get("sort") or "title"
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "title", False
    order = f"{SORTS[key][0]} {'desc' if descending else 'asc'}, d.title collate nocase"
    base = ("from datasets d join agencies a on a.id = d.agency_id "
            "left join classification_levels c on c.id = d.classification " + where)
    total = int(await reader.value(f"select count(*) {base}", params) or 0)
    page = "" if limit is None else f" limit {int(limit)} offset {int(offset)}"
    rows = await reader.rows(
        "select d.id, d.title, d.agency_id, a.name as agency, d.access_level, d.visibility, "
        "c.title as classification, d.high_value, d.last_reviewed, d.modified, "
        "(select count(*) from problems p where p.file = d.source_file) as problem_count, "
        f"d.source_file {base} order by {order}{page}", params)
    return rows, total, key, descending


async def inventory(reader: Reader, request: Any) -> Page:
    number = page_number(request.args.get("page"))
    rows, total, key, descending = await inventory_rows(
        reader, request, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages and number > 1:
        raise NotFoundError(f"there is no page {number}: {pages} page(s) of datasets")
    args = {k: request.args.get(k) for k in (*FILTERS, "sort") if request.args.get(k)}

    def url(**change: Any) -> str:
        query = {**args, **{k: v for k, v in change.items()}}
        return "/staff/datasets?" + urlencode({k: v for k, v in query.items() if v})

    headings = []
    for k, (_, title) in SORTS.items():
        now_desc = key == k and not descending
        headings.append({"key": k, "title": title, "active": key == k,
                         "descending": key == k and descending,
                         "url": url(sort=("-" if now_desc else "") + k, page=None)})
    options = {
        "agency": await reader.rows("select id as value, name as label from agencies "
                                    "order by name"),
        "access": [{"value": v, "label": v.capitalize()} for v in
                   ("public", "restricted public", "non-public")],
        "visibility": [{"value": v, "label": v.capitalize()} for v in
                       ("public", "listed", "hidden")],
        "classification": await reader.rows("select id as value, title as label from "
                                            "classification_levels order by rank"),
    }
    return Page("catalog_staff_datasets.html", "Whole inventory", {
        "datasets": rows, "total": total, "page": number, "pages": pages,
        "page_size": PAGE_SIZE, "sort": ("-" if descending else "") + key, "filters": args,
    }, extra={
        "headings": headings, "options": options,
        "csv_url": "/staff/datasets.csv" + ("?" + urlencode(
            {k: v for k, v in args.items()}) if args else ""),
        "prev_url": url(page=number - 1) if number > 1 else None,
        "next_url": url(page=number + 1) if number < pages else None,
        "clear_url": "/staff/datasets",
    })


# -- canned queries -------------------------------------------------------------------------

LINKS = {"dataset_id": "/datasets/{}", "agency_id": "/agencies/{}",
         "agreement_id": "/agreements/{}", "standard": "/standards/{}"}


async def canned(reader: Reader) -> dict[str, dict[str, Any]]:
    from ..access import PRIVATE_DB

    return dict(await reader.datasette.get_canned_queries(PRIVATE_DB, reader.actor))


async def queries(reader: Reader, request: Any) -> Page:
    found = [{"name": name, "title": q.get("title") or name,
              "description": q.get("description"), "url": f"/staff/queries/{name}"}
             for name, q in (await canned(reader)).items()]
    return Page("catalog_staff_queries.html", "Queries", {"queries": found})


async def query_result(reader: Reader, name: str) -> tuple[dict[str, Any], list[str],
                                                             list[Row]]:
    found = (await canned(reader)).get(name)
    if found is None:
        raise NotFoundError("No such query")
    rows = await reader.rows(found["sql"])
    columns = list(rows[0]) if rows else []
    return found, columns, rows


async def query(reader: Reader, request: Any) -> Page:
    name = request.url_vars["name"]
    found, columns, rows = await query_result(reader, name)
    titles = {d["id"]: d["title"] for d in await reader.rows("select id, title from datasets")}
    names = {a["id"]: a["name"] for a in await reader.rows("select id, name from agencies")}
    return Page("catalog_staff_query.html", found.get("title") or name, {
        "name": name, "title": found.get("title") or name,
        "description": found.get("description"), "columns": columns, "rows": rows,
        "sql": found["sql"],
    }, extra={"links": LINKS, "dataset_titles": titles, "agency_names": names,
              "csv_url": f"/staff/queries/{name}.csv",
              "raw_url": f"/inventory/{name}"})


# -- CSV ------------------------------------------------------------------------------------


async def inventory_csv(reader: Reader, request: Any) -> Page:
    rows, _, _, _ = await inventory_rows(reader, request, limit=None)
    columns = list(INVENTORY_COLUMNS)
    return csv_page(Table("inventory.csv", columns, [c.replace("_", " ") for c in columns],
                          rows), STAFF_ONLY)


async def query_csv(reader: Reader, request: Any) -> Page:
    from ..labels import column_title

    name = request.url_vars["name"]
    _, columns, rows = await query_result(reader, name)
    return csv_page(Table(f"{name}.csv", columns, [column_title(c) for c in columns], rows),
                    STAFF_ONLY)
