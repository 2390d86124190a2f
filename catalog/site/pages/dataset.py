"""``/datasets/<id>``: one dataset's whole record as the actor may see it.

A ``listed`` dataset read from public.db has its summary only (the compiler withheld the
rest), so the page says that the details are not public instead of showing empty
sections. A dataset absent from the actor's database is not found.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

from .. import exports
from .common import (
    ACCESS_HELP,
    VISIBILITY,
    NotFoundError,
    Page,
    Reader,
    Row,
    access_label,
    mailto,
    split_list,
)
from .history import ON_DATASET_PAGE, changes_of, status


def suppression_rule(policy: Row) -> str:
    """A one-sentence summary of a suppression policy's rule."""
    low = int(policy["min_count"])
    parts = [f"counts from 1 to {low - 1} are suppressed" if low > 1 else "no minimum count"]
    if policy.get("suppress_zero"):
        parts.append("zeros are suppressed too")
    if policy.get("complementary"):
        parts.append("other cells are suppressed where needed so that suppressed values "
                     "cannot be recalculated from totals")
    if policy.get("min_denominator"):
        parts.append(f"rates based on fewer than {policy['min_denominator']} events are "
                     "not shown")
    if policy.get("rounding"):
        parts.append(f"counts are rounded to the nearest {policy['rounding']}")
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}. Suppressed cells show “{policy['symbol']}”."


async def _term(reader: Reader, vocabulary: str, term_id: str | None) -> Row | None:
    if not term_id:
        return None
    term = await reader.row(
        "select id, title, description, url from vocabulary_terms "
        "where vocabulary = :v and id = :id", {"v": vocabulary, "id": term_id})
    return term or {"id": term_id, "title": term_id, "description": None, "url": None}


async def _agreements(reader: Reader, dataset_id: str) -> list[Row]:
    agreements = await reader.rows(
        "select a.id, a.title, a.status, a.purpose, a.term_start, a.term_end, a.public "
        "from agreements a join agreement_datasets ad on ad.agreement_id = a.id "
        "where ad.dataset_id = :id order by a.title", {"id": dataset_id})
    for a in agreements:
        a["parties"] = await reader.rows(
            "select coalesce(ag.name, p.name) as name, p.kind, p.role, p.agency_id "
            "from agreement_parties p left join agencies ag on ag.id = p.agency_id "
            "where p.agreement_id = :id order by p.position", {"id": a["id"]})
    return agreements


async def _fields(reader: Reader, dataset_id: str) -> list[Row]:
    fields = await reader.rows(
        "select f.position, f.name, f.title, f.type, f.format, f.description, f.standard, "
        "s.title as standard_title, f.conformance, fc.details as conformance_details, "
        "f.pii, f.waivers_json, f.demographic, f.internal, f.is_count, f.unit, f.example "
        "from fields f left join standards s on s.id = f.standard "
        "left join field_conformance fc on fc.field_id = f.id "
        "where f.dataset_id = :id order by f.position", {"id": dataset_id})
    _waivers(fields)
    return fields


def _waivers(fields: list[Row]) -> None:
    """Each field's waivers (why it is not personal data, or not a count), for staff:
    ``waivers_json`` is NULL in public.db."""
    for f in fields:
        f["waivers"] = json.loads(f.pop("waivers_json", None) or "{}")


ACTION_VERBS = {"download": "Download", "api": "Use the API", "landing-page": "Visit"}


def actions(d: Row, distributions: list[Row]) -> list[Row]:
    """What the "Get the data" panel offers, in that order: downloads (counted through
    ``/-/download/…`` for public datasets), APIs, then web pages (the landing page too)."""
    out = []
    for kind in ("download", "api", "landing-page"):
        for x in distributions:
            if (x.get("kind") or "download") != kind:
                continue
            fmt = x.get("format") or (x.get("media_type") or "").split("/")[-1].upper()
            href = (f"/-/download/{quote(d['id'])}/{quote(x['id'])}"
                    if d.get("visibility") == "public" and kind == "download" else x["url"])
            out.append({"kind": kind, "verb": ACTION_VERBS[kind], "title": x["title"],
                        "format": fmt or None, "href": href, "url": x["url"],
                        "description": x.get("description")})
    if d.get("landing_page") and d["landing_page"] not in {a["url"] for a in out}:
        out.append({"kind": "landing-page", "verb": "Visit", "title": "The dataset's web page",
                    "format": None, "href": d["landing_page"], "url": d["landing_page"],
                    "description": None})
    return out


async def _source_url(reader: Reader, d: Row) -> str | None:
    """The descriptor's address in the repository (staff pages; ``repository`` in
    _catalog.yml), at the built commit."""
    import json

    from .staff import file_url

    meta = {r["key"]: r["value"] for r in await reader.rows(
        "select key, value from meta where key in ('catalog_json', 'git_commit')")}
    return file_url(json.loads(meta.get("catalog_json") or "{}"), d.get("source_file") or "",
                    None, meta.get("git_commit") or "")


async def dataset(reader: Reader, request: Any) -> Page:
    dataset_id = request.url_vars["dataset_id"]
    row = await reader.row("select * from datasets where id = :id", {"id": dataset_id})
    if row is None:
        raise NotFoundError("No such dataset in the catalog")
    d = dict(row)
    summary_only = d["visibility"] == "listed" and not reader.staff
    agency = await reader.row(
        "select id, name, abbreviation, website, data_officer_name, data_officer_email "
        "from agencies where id = :id", {"id": d["agency_id"]})
    themes = await reader.rows(
        "select t.id, t.title from dataset_themes dt join themes t on t.id = dt.theme_id "
        "where dt.dataset_id = :id order by t.title", {"id": dataset_id})
    classification = None
    if d.get("classification"):
        classification = await reader.row(
            "select id, title, rank, max_access_level, description "
            "from classification_levels where id = :id", {"id": d["classification"]})
    policy = None
    if d.get("suppression_policy"):
        policy = await reader.row("select * from suppression_policies where id = :id",
                                  {"id": d["suppression_policy"]})
        if policy:
            policy["rule"] = suppression_rule(policy)
    distributions = await reader.rows(
        "select distribution_id as id, title, kind, url, media_type, format, description, "
        "conforms_to from distributions where dataset_id = :id order by position",
        {"id": dataset_id})
    plan = await reader.row("select * from access_plans where dataset_id = :id",
                            {"id": dataset_id})
    email = d.get("contact_email") or d.get("steward_email")
    feedback = mailto(
        email, f"Problem with the catalog metadata for {d['title']} ({dataset_id})",
        f"Page: /datasets/{dataset_id}\n\nWhat is wrong or missing:\n") if email else None
    db = reader.name
    data = {
        "dataset": d,
        "database": db,
        "summary_only": summary_only,
        "agency": agency,
        "themes": themes,
        "keywords": split_list(d.get("keywords")),
        "classification": classification,
        "fields": await _fields(reader, dataset_id),
        "distributions": distributions,
        "license": await _term(reader, "licenses", d.get("license")),
        "update_frequency": await _term(reader, "frequencies", d.get("update_frequency")),
        "granularity": await _term(reader, "granularities", d.get("granularity")),
        "asset_type": await _term(reader, "asset_types", d.get("asset_type")),
        "suppression_policy": policy,
        "access_plan": plan,
        "agreements": await _agreements(reader, dataset_id),
        "history": {**await status(reader),
                    "recent": await changes_of(reader, dataset_id, ON_DATASET_PAGE),
                    "url": f"/datasets/{dataset_id}/history"},
        "feedback_url": feedback,
        "links": {
            "json": f"/datasets/{dataset_id}.json",
            "row_json": f"/{db}/datasets/{dataset_id}.json",
            "fields_csv": f"/{db}/fields.csv?dataset_id={dataset_id}&_sort=position",
            "fields_json": f"/{db}/fields.json?dataset_id={dataset_id}&_sort=position"
                           "&_shape=array",
        },
    }
    schema_org = await asyncio.to_thread(exports.schema_org, reader.public_path, dataset_id)
    extra = {"schema_org": schema_org,  # what the public sees; None for a hidden dataset
             "alternates": exports.dataset_alternates(dataset_id) if schema_org else [],
             "access_label": access_label(d["access_level"]),
             "actions": actions(d, distributions),
             "source_url": await _source_url(reader, d) if reader.staff else None,
             "access_help": ACCESS_HELP.get(d["access_level"], ""),
             "visibility_label": VISIBILITY.get(d["visibility"], d["visibility"])}
    return Page("catalog_dataset.html", d["title"], data, extra)
