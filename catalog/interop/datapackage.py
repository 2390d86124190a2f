"""Frictionless Data Package (v1) of the public catalog's data dictionaries.

One resource per public-visible dataset that has a file to point at: ``path`` is the
dataset's CSV download (a tabular data resource when it has a data dictionary), or else
its first other download (a GeoJSON, a zipped shapefile… : a plain data resource that
keeps the schema of its attribute table). A dataset without a data dictionary (an import
from a portal, before stewards describe its fields) is a plain data resource without a
``schema``. A Data Resource must say where its data are (``path`` or ``data``), so a
dataset served only through an API or on request has no resource here; its data
dictionary is on its catalog page. ``listed`` datasets never appear.

``schema`` is the Table Schema rebuilt from the ``fields`` rows; the catalog's own field
properties (``standard``, ``demographic``, ``count``, ``unit``) are kept as custom
properties, which Frictionless ignores.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from ..problems import CatalogError
from .source import PublicCatalog, Row

MEDIA_FORMATS = {"application/zip": "zip", "application/geo+json": "geojson",
                 "application/json": "json", "application/pdf": "pdf", "text/csv": "csv",
                 "application/vnd.ms-excel": "xls", "application/x-shapefile": "shp",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}
PROFILE_TABULAR = "tabular-data-resource"
PROFILE_RESOURCE = "data-resource"
# the catalog's field extensions that public.db keeps (pii and internal are staff-only)
_FLAGS = (("demographic", "demographic"), ("is_count", "count"))


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "catalog"


def field(r: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r["name"], "type": r["type"], "format": r["format"],
                           "title": r["title"], "description": r["description"],
                           "example": r["example"]}
    if r["constraints_json"]:
        out["constraints"] = json.loads(r["constraints_json"])
    out["standard"] = r["standard"]
    for column, key in _FLAGS:
        if r[column]:
            out[key] = True
    out["unit"] = r["unit"]
    return _clean(out)


def table_schema(cat: PublicCatalog, dataset_id: str) -> dict[str, Any]:
    return {"fields": [field(r) for r in cat.fields.get(dataset_id, [])]}


def _is_csv(r: Row) -> bool:
    return (r["media_type"] or "").split(";")[0].strip() == "text/csv" or \
        (r["format"] or "").lower() == "csv"


def file_format(url: str, media_type: str | None) -> str | None:
    """The format as the spec wants it: a file extension (``zip``, ``geojson``)."""
    ext = re.search(r"\.([A-Za-z0-9]{2,8})$", urlsplit(url).path)
    if ext:
        return ext.group(1).lower()
    return MEDIA_FORMATS.get(media_type or "")


def data_file(cat: PublicCatalog, dataset_id: str) -> Row | None:
    """The download a resource points at: the first CSV, else the first other file."""
    downloads = [r for r in cat.distributions.get(dataset_id, []) if r["kind"] == "download"]
    return next((r for r in downloads if _is_csv(r)), downloads[0] if downloads else None)


def license_(cat: PublicCatalog, license_id: str | None) -> list[dict[str, Any]]:
    row = cat.licenses.get(license_id or "")
    if not row or not row["url"]:  # a license needs a name or a path
        return []
    return [{"path": row["url"], "title": row["title"]}]


def sources(cat: PublicCatalog, d: Row) -> list[dict[str, Any]]:
    agency = cat.agencies.get(d["agency_id"], {})
    out = [_clean({"title": agency.get("name") or d["agency_id"], "path": agency.get("website")})]
    if d["source_system"]:
        out.append({"title": d["source_system"]})
    return out


def resource(cat: PublicCatalog, d: Row) -> dict[str, Any] | None:
    """The dataset as a Data Resource, or None when it has nothing to describe or point at."""
    if d["visibility"] != "public":
        return None
    file = data_file(cat, d["id"])
    if file is None:
        return None
    described = bool(cat.fields.get(d["id"]))
    tabular = _is_csv(file) and described  # a tabular data resource needs a schema
    media_type = (file["media_type"] or "").split(";")[0].strip() or None
    return _clean({
        "profile": PROFILE_TABULAR if tabular else PROFILE_RESOURCE,
        "name": d["id"],
        "title": d["title"],
        "description": d["description"],
        "path": file["url"],
        "format": "csv" if tabular else file_format(file["url"], media_type),
        "mediatype": media_type,
        "homepage": d["landing_page"] or f"{cat.base_url}/datasets/{d['id']}",
        "licenses": license_(cat, d["license"]),
        "sources": sources(cat, d),
        "keywords": cat.keywords.get(d["id"]),
        "schema": table_schema(cat, d["id"]) if described else None,
    })


def _package(cat: PublicCatalog, resources: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    tabular = all(r["profile"] == PROFILE_TABULAR for r in resources)
    return _clean({"profile": "tabular-data-package" if tabular else "data-package",
                   **meta, "created": cat.meta.get("built_at"), "resources": resources})


def contributors(cat: PublicCatalog) -> list[dict[str, Any]]:
    publisher = (cat.info.get("publisher") or {}).get("name")
    contact = cat.info.get("contact") or {}
    out = [{"title": publisher, "role": "publisher"}] if publisher else []
    if contact.get("name"):
        out.append(_clean({"title": contact["name"], "email": contact.get("email"),
                           "role": "maintainer"}))
    return out


def build(cat: PublicCatalog) -> dict[str, Any]:
    """The catalog's package: one resource per public dataset with a file to point at
    (with its data dictionary as ``schema`` when it has one)."""
    resources = [r for r in (resource(cat, d) for d in cat.datasets) if r is not None]
    if not resources:
        raise CatalogError("no public dataset has a download to point a resource at",
                           hint="a Data Package needs at least one resource")
    keywords = sorted({cat.theme_titles.get(t, t) for d in cat.datasets
                       for t in cat.themes.get(d["id"], [])})
    return _package(
        cat, resources, name=_slug(cat.title), id=f"{cat.base_url}/datapackage.json",
        title=cat.title, description=cat.info.get("description"),
        homepage=cat.info.get("homepage") or f"{cat.base_url}/", keywords=keywords,
        contributors=contributors(cat))


def dataset_package(cat: PublicCatalog, dataset_id: str) -> dict[str, Any]:
    """One dataset's package: its resource, with the dataset's metadata at the top."""
    d = next((x for x in cat.datasets if x["id"] == dataset_id), None)
    if d is None:
        raise CatalogError(f"no public dataset {dataset_id!r}")
    res = resource(cat, d)
    if res is None:
        raise CatalogError(f"dataset {dataset_id!r} has no data package",
                           hint="a package needs a public, downloadable file")
    agency = cat.agencies.get(d["agency_id"], {})
    people = [_clean({"title": agency.get("name"), "path": agency.get("website"),
                      "role": "publisher"})]
    if d["contact_name"]:
        people.append(_clean({"title": d["contact_name"], "email": d["contact_email"],
                              "role": "maintainer"}))
    return _package(
        cat, [res], name=d["id"], id=d["identifier"], title=d["title"],
        description=d["description"], homepage=res["homepage"], keywords=res.get("keywords"),
        licenses=res.get("licenses"), sources=res.get("sources"), contributors=people)


def export(cat: PublicCatalog) -> str:
    return json.dumps(build(cat), indent=2, ensure_ascii=False) + "\n"
