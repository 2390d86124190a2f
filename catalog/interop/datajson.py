"""DCAT-US 1.1 (Project Open Data) ``data.json``: what data.gov and CKAN harvest.

Public-visible datasets are listed with their distributions; ``listed`` non-public
datasets appear with their accessLevel, rights and no distribution, as federal
inventories do. Validates against the official non-federal schema (and the federal one
when the catalog configures bureau and program codes).
"""

from __future__ import annotations

import json
from typing import Any

from .source import PublicCatalog, Row

CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


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
        "rights": d["rights"] if d["access_level"] != "public" else None,
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
