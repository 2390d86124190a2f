"""DCAT-US 1.1 (Project Open Data) ``data.json``: what data.gov and CKAN harvest.

Public-visible datasets are listed with their distributions; ``listed`` non-public
datasets appear with their accessLevel, rights and no distribution, as federal
inventories do. Validates against the official non-federal schema (and the federal one
when the catalog configures bureau and program codes).
"""

from __future__ import annotations

import json
from typing import Any

from .licenses import LicenseIndex
from .source import PublicCatalog, Row

CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def _extensions(d: Row) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dataset's data.json properties kept from an import, and its distributions'."""
    ext = json.loads(d.get("datajson_json") or "{}")
    return ext.get("datajson") or {}, ext.get("datajson_distribution") or {}


def _fill(out: dict[str, Any], kept: dict[str, Any]) -> None:
    """Kept properties for what the descriptor does not say (the descriptor wins); a kept
    null is a property the source did not have although the descriptor needs it (a
    distribution's title), so the export leaves it out too."""
    for key, value in kept.items():
        if value is None:
            out.pop(key, None)
        elif out.get(key) in (None, "", [], {}):
            out[key] = value


def _overlay(cat: PublicCatalog, out: dict[str, Any], kept: dict[str, Any]) -> None:
    """Write back what an import kept, so that a round trip loses nothing."""
    kept = dict(kept)
    for key in ("publisher", "contactPoint"):  # nested objects: the kept keys complete them
        extra = kept.pop(key, None)
        if isinstance(extra, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **{k: v for k, v in extra.items() if k not in out[key]}}
    source_license = kept.pop("license", None)
    if source_license is not None:
        index = LicenseIndex.of_rows(cat.licenses.values())
        ours = out.get("license")
        if not ours or index.term(source_license) == index.term(ours):
            out["license"] = source_license  # the source's own spelling of the same licence
    themes = kept.pop("theme", None)
    if isinstance(themes, list):
        out["theme"] = list(dict.fromkeys([*(out.get("theme") or []), *themes]))
    for key in ("bureauCode", "programCode", "@type"):  # the dataset's own, not the catalog's
        if key in kept:
            out[key] = kept.pop(key)
    dists = kept.pop("distribution", None)
    if isinstance(dists, list) and out.get("accessLevel") == "non-public":
        # a download of non-public data is never published (policy non-public-download)
        dists = [x for x in dists if not (isinstance(x, dict) and "downloadURL" in x)]
    if isinstance(dists, list) and dists:
        out["distribution"] = [*(out.get("distribution") or []), *dists]
    _fill(out, kept)


def distribution(r: Row) -> dict[str, Any]:
    url_key = "downloadURL" if r["kind"] == "download" else "accessURL"
    media_type = r["media_type"]
    if url_key == "downloadURL" and not media_type:
        media_type = "application/octet-stream"
    return _clean({
        "@type": "dcat:Distribution", url_key: r["url"], "mediaType": media_type,
        "format": r["format"], "title": r["title"], "description": r["description"],
        "conformsTo": r["conforms_to"], "describedBy": r["described_by"],
        "describedByType": r["described_by_type"],
    })


def dataset(cat: PublicCatalog, d: Row) -> dict[str, Any]:
    agency = cat.agencies.get(d["agency_id"], {})
    publisher: dict[str, Any] = {"@type": "org:Organization",
                                 "name": agency.get("name") or d["agency_id"]}
    parent = (cat.info.get("publisher") or {}).get("name")
    if parent and parent != publisher["name"]:
        publisher["subOrganizationOf"] = {"@type": "org:Organization", "name": parent}
    contact: dict[str, Any] = {"@type": "vcard:Contact",
                               "fn": d["contact_name"] or agency.get("data_officer_name")}
    email = d["contact_email"] or agency.get("data_officer_email")
    if email:
        contact["hasEmail"] = f"mailto:{email}"
    full = d["visibility"] == "public"
    license_row = cat.licenses.get(d["license"] or "")
    temporal = None
    if d["temporal_start"] and d["temporal_end"]:
        temporal = f"{d['temporal_start']}/{d['temporal_end']}"
    out = {
        "@type": "dcat:Dataset",
        "identifier": d["identifier"],
        "title": d["title"],
        "description": d["description"],
        "keyword": cat.keywords.get(d["id"]) or None,
        "modified": d["modified"],
        "publisher": publisher,
        "contactPoint": contact,
        "accessLevel": d["access_level"],
        "rights": d["rights"],
        "license": license_row["url"] if license_row and full else None,
        "spatial": d["spatial"] if full else None,
        "temporal": temporal if full else None,
        "issued": d["issued"] if full else None,
        "accrualPeriodicity": d["update_frequency"] if full else None,
        "landingPage": d["landing_page"] if full else None,
        "theme": [cat.theme_titles.get(t, t) for t in cat.themes.get(d["id"], [])] or None,
        "describedBy": f"{cat.base_url}/datasets/{d['id']}.json" if full and
        cat.fields.get(d["id"]) else None,
        "describedByType": "application/json" if full and cat.fields.get(d["id"]) else None,
        "distribution": [distribution(r) for r in cat.distributions.get(d["id"], [])]
        if full else None,
    }
    if cat.info.get("bureau_code"):
        out["bureauCode"] = cat.info["bureau_code"]
        out["programCode"] = cat.info.get("program_code") or []
    kept, kept_dist = _extensions(d)
    if kept_dist and out["distribution"]:
        rows = cat.distributions.get(d["id"], [])
        for r, exported in zip(rows, out["distribution"], strict=True):
            _fill(exported, kept_dist.get(r["distribution_id"]) or {})
    if kept:
        _overlay(cat, out, kept if full else {k: v for k, v in kept.items()
                                              if k != "distribution"})
    if d["access_level"] != "public" and not out["rights"]:
        out["rights"] = "Access is limited; contact the agency for details."
    return _clean(out)


def build(cat: PublicCatalog) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@id": f"{cat.base_url}/data.json",
        "@type": "dcat:Catalog",
        "conformsTo": CONFORMS_TO,
        "describedBy": DESCRIBED_BY,
        "dataset": [dataset(cat, d) for d in cat.datasets],
    }


def export(cat: PublicCatalog) -> str:
    return json.dumps(build(cat), indent=2, ensure_ascii=False) + "\n"
