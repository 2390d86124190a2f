"""The flat inventory listing agencies hand to legislators: one row per dataset."""

from __future__ import annotations

import io

from .. import csvsafe
from .source import PublicCatalog

COLUMNS = [
    ("identifier", "Identifier"), ("agency", "Agency"), ("title", "Title"),
    ("description", "Description"), ("asset_type", "Asset type"),
    ("access_level", "Access level"), ("high_value", "High value"),
    ("classification", "Classification"), ("themes", "Themes"), ("keywords", "Keywords"),
    ("steward", "Steward"), ("contact_email", "Contact email"),
    ("update_frequency", "Update frequency"), ("modified", "Last modified"),
    ("api", "API"), ("bulk_download", "Bulk download"), ("state_owned", "State owned"),
    ("fields", "Fields"), ("standard_fields", "Fields following a standard"),
    ("license", "License"), ("landing_page", "Landing page"), ("url", "Catalog page"),
]


def export(cat: PublicCatalog) -> str:
    buf = io.StringIO()
    writer = csvsafe.Writer(buf, lineterminator="\n")
    writer.writerow([label for _, label in COLUMNS])
    yes = {1: "yes", 0: "no", None: ""}
    for d in cat.datasets:
        agency = cat.agencies.get(d["agency_id"], {})
        row = {
            "identifier": d["identifier"], "agency": agency.get("name", d["agency_id"]),
            "title": d["title"], "description": d["description"],
            "asset_type": d["asset_type"], "access_level": d["access_level"],
            "high_value": yes[d["high_value"]], "classification": d["classification"] or "",
            "themes": "; ".join(cat.theme_titles.get(t, t) for t in cat.themes.get(d["id"], [])),
            "keywords": "; ".join(cat.keywords.get(d["id"], [])),
            "steward": d["steward_name"] or "", "contact_email": d["contact_email"] or "",
            "update_frequency": d["update_frequency"] or "", "modified": d["modified"] or "",
            "api": yes[d["api"]], "bulk_download": yes[d["bulk_download"]],
            "state_owned": yes[d["state_owned"]], "fields": d["field_count"],
            "standard_fields": d["standard_field_count"], "license": d["license"] or "",
            "landing_page": d["landing_page"] or "",
            "url": f"{cat.base_url}/datasets/{d['id']}",
        }
        writer.writerow([row[key] for key, _ in COLUMNS])
    return buf.getvalue()
