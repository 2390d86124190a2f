"""schema.org ``Dataset`` markup (JSON-LD) for a public dataset page: what search
engines' dataset search reads.

Built from ``public.db`` only, like every export: a ``listed`` dataset gets its summary
(name, description, identifier, keywords, publisher, conditions of access), a public one
also its licence, distributions (``DataDownload`` with ``encodingFormat`` and
``contentUrl``), temporal and spatial coverage and ``variableMeasured`` from the public
fields of its data dictionary.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .dcat3 import license_url
from .source import PublicCatalog, Row


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def organization(cat: PublicCatalog, agency_id: str) -> dict[str, Any]:
    a = cat.agencies.get(agency_id) or {}
    return _clean({"@type": "GovernmentOrganization", "name": a.get("name") or agency_id,
                   "alternateName": a.get("abbreviation"),
                   "url": a.get("website") or f"{cat.base_url}/agencies/{agency_id}"})


def variable(r: Row) -> dict[str, Any]:
    return _clean({"@type": "PropertyValue", "name": r["name"], "alternateName": r["title"],
                   "description": r["description"], "unitText": r["unit"]})


def download(r: Row) -> dict[str, Any]:
    return _clean({"@type": "DataDownload", "name": r["title"],
                   "description": r["description"], "contentUrl": r["url"],
                   "encodingFormat": r["media_type"] or r["format"]})


def dataset(cat: PublicCatalog, d: Row) -> dict[str, Any]:
    full = d["visibility"] == "public"
    url = f"{cat.base_url}/datasets/{d['id']}"
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "name": d["title"],
        "description": d["description"],
        "url": url,
        "identifier": d["identifier"],
        "keywords": cat.keywords.get(d["id"]),
        "creator": organization(cat, d["agency_id"]),
        "publisher": organization(cat, d["agency_id"]),
        "isAccessibleForFree": d["access_level"] == "public",
        "conditionsOfAccess": d["rights"],
        "dateModified": d["modified"],
        "includedInDataCatalog": {"@type": "DataCatalog", "name": cat.title,
                                  "url": f"{cat.base_url}/"},
    }
    if full:
        start, end = d["temporal_start"], d["temporal_end"]
        out.update({
            "license": license_url(cat, d),
            "datePublished": d["issued"],
            "temporalCoverage": f"{start or '..'}/{end or '..'}" if start or end else None,
            "spatialCoverage": {"@type": "Place", "name": d["spatial"]} if d["spatial"]
            else None,
            "distribution": [download(r) for r in cat.distributions.get(d["id"], [])
                             if r["kind"] == "download"],
            "variableMeasured": [variable(r) for r in cat.fields.get(d["id"], [])],
        })
    return _clean(out)


def script(markup: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/ld+json">`` data block: ``</`` and HTML
    comment openers escaped so the text cannot end the element."""
    text = json.dumps(markup, ensure_ascii=False, indent=1)
    return re.sub(r"<(/|!--)", lambda m: "\\u003c" + m.group(1), text)
