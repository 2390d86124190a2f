"""``/search``: full text over ``datasets_fts`` (titles, descriptions, keywords and the
names and descriptions of fields) with facet counts and filters.

Filters take several values (``?agency=dcf&agency=dph``): values of one facet are ORed,
facets are ANDed. A facet's counts apply every other filter but its own, so ticking one
more value in a facet shows what it would add.

The counts come from a :class:`FacetIndex` kept in memory per build (facet value → the
rowids of its datasets, as a bit set: an ``int`` whose bit *n* is rowid *n*): one
full-text query gives the matching rowids, and every count is the popcount of an AND,
instead of one SQL query per facet each repeating the full-text match (seconds per
search at 10,000 datasets; docs/performance-serving.md).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..caching import Lru, once
from ..fts import fields_of, fts_query, snippet
from .common import ACCESS_LEVELS, Page, Reader, Row, page_number

PER_PAGE = 50
MARK_START, MARK_END = "\ue000", "\ue001"
BLURB = 240


@dataclass(frozen=True)
class Facet:
    name: str  # the URL parameter
    title: str
    value: str  # SQL expression of a dataset's value: over ``datasets d``, or ``m`` if link
    link: str | None = None  # a table of (dataset_id, value) rows, joined as ``m``
    labels: str | None = None  # SQL: (value, label) pairs
    fixed: tuple[tuple[str, str], ...] = ()  # labels when there is no lookup table

    def condition(self, params: list[str]) -> str:
        values = ", ".join(":" + p for p in params)
        if self.link:
            return (f"d.id in (select m.dataset_id from {self.link} m "
                    f"where {self.value} in ({values}))")
        return f"{self.value} in ({values})"

    @property
    def members(self) -> str:
        """SQL: (rowid of a dataset, one of its values), each pair once."""
        if self.link:
            return (f"select distinct d.rowid as rowid, {self.value} as value "
                    f"from {self.link} m join datasets d on d.id = m.dataset_id "
                    f"where {self.value} is not null")
        return f"select d.rowid as rowid, {self.value} as value from datasets d " \
               f"where {self.value} is not null"


FACETS: tuple[Facet, ...] = (
    Facet("agency", "Agency", "d.agency_id",
          labels="select id as value, name as label from agencies"),
    Facet("theme", "Focal point (theme)", "m.theme_id", link="dataset_themes",
          labels="select id as value, title as label from themes"),
    Facet("access", "Access level", "d.access_level", fixed=tuple(ACCESS_LEVELS.items())),
    Facet("classification", "Classification", "d.classification",
          labels="select id as value, title as label from classification_levels"),
    Facet("frequency", "Update frequency", "d.update_frequency",
          labels="select id as value, title as label from vocabulary_terms "
                 "where vocabulary = 'frequencies'"),
    Facet("standard", "Common data standard used", "m.standard", link="fields",
          labels="select id as value, title as label from standards"),
    Facet("api", "API", "cast(d.api as text)", fixed=(("1", "Has an API"), ("0", "No API"))),
)
FACET_NAMES = tuple(f.name for f in FACETS)


def read_filters(args: Any) -> dict[str, list[str]]:
    """{facet: [values]} from the query string, values deduplicated, blanks dropped."""
    out: dict[str, list[str]] = {}
    for name in FACET_NAMES:
        values = [v.strip() for v in args.getlist(name) if v and v.strip()]
        if values:
            out[name] = list(dict.fromkeys(values))[:50]
    return out


def where(filters: dict[str, list[str]], query: str | None, *, fts: bool = True
          ) -> tuple[str, dict[str, Any]]:
    """SQL conditions on ``datasets d`` for the text query and every filter."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if query and fts:
        clauses.append("d.rowid in (select rowid from datasets_fts "
                       "where datasets_fts match :q)")
        params["q"] = query
    for facet in FACETS:
        values = filters.get(facet.name)
        if not values:
            continue
        names = [f"{facet.name}_{i}" for i in range(len(values))]
        clauses.append(facet.condition(names))
        params.update(zip(names, values, strict=True))
    return (" and ".join(clauses) or "1"), params


def url(q: str, filters: dict[str, list[str]], page: int = 1, suffix: str = "") -> str:
    pairs: list[tuple[str, str]] = [("q", q)] if q else []
    for name in FACET_NAMES:
        pairs += [(name, v) for v in filters.get(name, [])]
    if page > 1:
        pairs.append(("page", str(page)))
    return f"/search{suffix}" + (f"?{urlencode(pairs)}" if pairs else "")


def toggled(filters: dict[str, list[str]], name: str, value: str) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in filters.items()}
    values = out.setdefault(name, [])
    values.remove(value) if value in values else values.append(value)
    return out


def bits(rowids: Any) -> int:
    """The bit set of ``rowids`` (an iterable of non-negative integers)."""
    out = bytearray()
    for rowid in rowids:
        byte = rowid >> 3
        if byte >= len(out):
            out.extend(bytes(byte - len(out) + 1 + len(out) // 2))
        out[byte] |= 1 << (rowid & 7)
    return int.from_bytes(out, "little")


@dataclass(frozen=True)
class FacetIndex:
    """One database's datasets by facet value: {facet: {value: bit set of rowids}}, and
    labels."""

    everything: int
    members: dict[str, dict[str, int]]
    labels: dict[str, dict[str, str]]

    def chosen(self, filters: dict[str, list[str]], skip: str | None = None) -> int | None:
        """Rowids passing every filter but ``skip`` (None: no filter applies)."""
        out: int | None = None
        for name, values in filters.items():
            if name == skip:
                continue
            members = self.members.get(name, {})
            union = 0
            for value in values:
                union |= members.get(value, 0)
            out = union if out is None else out & union
        return out


INDEXES = Lru(4)


async def facet_index(reader: Reader) -> FacetIndex:
    key = (reader.name, reader.build)
    index: FacetIndex | None = INDEXES.get(key)
    if index is None:  # one computation per build however many searches wait for it
        index = await once(("facets", key), lambda: _facet_index(reader, key))
    return index


async def _facet_index(reader: Reader, key: tuple[str, str]) -> FacetIndex:
    index: FacetIndex | None = INDEXES.get(key)
    if index is None:
        rowids = bits(r["rowid"] for r in await reader.rows("select rowid from datasets"))
        members: dict[str, dict[str, int]] = {}
        labels: dict[str, dict[str, str]] = {}
        for facet in FACETS:
            sets: dict[str, list[int]] = {}
            for r in await reader.rows(facet.members):
                sets.setdefault(r["value"], []).append(r["rowid"])
            members[facet.name] = {v: bits(s) for v, s in sets.items()}
            labels[facet.name] = dict(facet.fixed)
            if facet.labels:
                labels[facet.name].update(
                    {r["value"]: r["label"] for r in await reader.rows(facet.labels)})
        index = INDEXES.put(key, FacetIndex(rowids, members, labels))
    return index


async def matching(reader: Reader, query: str | None, index: FacetIndex) -> int:
    """Rowids of the datasets the text query matches (all of them without a query)."""
    if not query:
        return index.everything

    def rowids(conn: Any) -> int:
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: one integer per dataset, no budget
        return bits(r[0] for r in cursor.execute(
            "select rowid from datasets_fts where datasets_fts match ?", (query,)))

    return await reader.run(rowids)


def _facets(index: FacetIndex, found: int, q: str,
            filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for facet in FACETS:
        others = index.chosen(filters, skip=facet.name)
        base = found if others is None else found & others
        labels = index.labels[facet.name]
        selected = filters.get(facet.name, [])
        by_value = {v: n for v, rowids in index.members[facet.name].items()
                    if (n := (base & rowids).bit_count())}
        by_value.update({v: by_value.get(v, 0) for v in selected})
        order = list(labels) if facet.fixed else []
        values: list[dict[str, Any]] = [{
            "value": v, "label": labels.get(v, v), "count": n, "selected": v in selected,
            "toggle_url": url(q, toggled(filters, facet.name, v)),
        } for v, n in by_value.items()]
        values.sort(key=lambda x: (order.index(x["value"]) if x["value"] in order else 99,
                                   -x["count"], str(x["label"]).lower()))
        out.append({"name": facet.name, "title": facet.title, "values": values})
    return out


def _snippets(query: str | None, results: list[Row]) -> None:
    """Each result's ``snippet``: the words of its description or title around what the
    query matched; when only the data dictionary matched, the description's opening
    words, never a run of field names (the matching fields are listed apart)."""
    if not query:
        return
    mark = (MARK_START, MARK_END)
    for row in results:
        description = row.get("description") or ""
        row["snippet"] = snippet(description, query, mark=mark) or snippet(
            row.get("title") or "", query, mark=mark) or _opening(description)


def _opening(text: str, words: int = 24) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _snippet(row: Row) -> None:
    text = row.pop("snippet", None)
    if text is None:
        desc = " ".join((row.get("description") or "").split())
        text = desc if len(desc) <= BLURB else desc[:BLURB].rsplit(" ", 1)[0] + " …"
    row["snippet"] = text.replace(MARK_START, "").replace(MARK_END, "")
    row["snippet_html"] = html.escape(text).replace(MARK_START, "<mark>").replace(
        MARK_END, "</mark>")
    row.pop("description", None)


async def _matching_fields(reader: Reader, query: str | None,
                           ids: list[str]) -> dict[str, list[str]]:
    """{dataset id: names of its fields the text query matches}: why a result was found."""
    if not query or not ids:
        return {}
    names = {f"id_{i}": v for i, v in enumerate(ids)}
    rows = await reader.rows(
        "select f.dataset_id, f.name from fields f where f.id in (select rowid from "
        "fields_fts where fields_fts match :q) "
        f"and f.dataset_id in ({', '.join(':' + n for n in names)}) "
        "order by f.dataset_id, f.position", {"q": fields_of(query, ids), **names})
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["dataset_id"], []).append(row["name"])
    return out


async def search(reader: Reader, request: Any) -> Page:
    q = " ".join((request.args.get("q") or "").split())[:200]
    query = fts_query(q)
    filters = read_filters(request.args)
    page = page_number(request.args.get("page"))
    cond, params = where(filters, query)
    index = await facet_index(reader)
    found = await matching(reader, query, index)
    chosen = index.chosen(filters)
    total = (found if chosen is None else found & chosen).bit_count()
    select = ("select d.id, d.title, d.agency_id, a.name as agency_name, d.access_level, "
              "d.visibility, d.high_value, d.api, d.modified, d.description")
    paging = {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}
    if query:
        # rank first, read and cut blurbs after: only the page's 50 rows are joined to
        # their datasets rows and snippeted, not every match (docs/performance-serving.md)
        # (the datasets rows are read while ranking only when a filter needs them)
        rest, rest_params = where(filters, query, fts=False)
        ranked = ("from datasets_fts where datasets_fts match :q" if rest == "1" else
                  "from datasets_fts join datasets d on d.rowid = datasets_fts.rowid "
                  f"where datasets_fts match :q and {rest}")
        results = await reader.rows(
            "with top as materialized (select datasets_fts.rowid as rowid, "
            f"bm25(datasets_fts, 10.0, 3.0, 5.0, 2.0) as score {ranked} "
            f"order by score, datasets_fts.rowid limit :limit offset :offset) {select} "
            "from top join datasets d on d.rowid = top.rowid "
            "join agencies a on a.id = d.agency_id order by top.score, top.rowid",
            {**rest_params, "q": query, **paging})
    else:
        results = await reader.rows(
            f"{select} from datasets d join agencies a on a.id = d.agency_id where {cond} "
            "order by d.title collate nocase limit :limit offset :offset",
            {**params, **paging})
    matched = await _matching_fields(reader, query, [r["id"] for r in results])
    _snippets(query, results)
    for row in results:
        _snippet(row)
        row["matching_fields"] = matched.get(row["id"], [])
    last_page = max(1, -(-total // PER_PAGE))
    facets = _facets(index, found, q, filters)
    active = [{"facet": f["title"], "label": v["label"], "remove_url": v["toggle_url"]}
              for f in facets for v in f["values"] if v["selected"]]
    return Page("catalog_search.html", f"Search: {q}" if q else "Datasets", {
        "q": q, "fts_query": query, "filters": filters, "total": total, "page": page,
        "per_page": PER_PAGE, "results": results, "facets": facets,
        "next_url": url(q, filters, page + 1) if page < last_page else None,
        "previous_url": url(q, filters, page - 1) if page > 1 else None,
    }, {"active": active, "clear_url": url(q, {}), "json_url": url(q, filters, page, ".json")})
