"""Import a CKAN portal: a ``package_search`` or ``package_show`` API response (or a
bare package, or a list of packages).

Each package becomes the entry CKAN's DCAT-US export (ckanext-datajson) would publish:
``title``, ``notes`` (Markdown) as description, tags as keywords, groups as themes, the
organization as publisher, the maintainer (else the author) as contact, ``license_url``
(else the licence id, through CKAN's default licence list) as licence, ``url`` as landing
page, resources as distributions (uploads as downloads, the rest as access URLs), and
``private`` packages as non-public. DCAT-US properties stored as extras (as data.gov's
CKAN does: ``identifier``, ``spatial``, ``temporal``, ``bureauCode``…) are read as
data.json properties; the other extras and what only CKAN knows (name, state, version,
resource ids) are kept under ``extensions.ckan``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import problems as P
from ..problems import CatalogError
from .fetch import Fetched
from .import_datajson import load_json
from .plan import Entry, Parsed

# CKAN's default licence list: ids → their URLs (the vocabulary maps these well-known URLs)
LICENSE_URLS = {
    "cc-zero": "http://www.opendefinition.org/licenses/cc-zero",
    "cc-by": "http://www.opendefinition.org/licenses/cc-by",
    "odc-pddl": "http://www.opendefinition.org/licenses/odc-pddl",
    "odc-by": "http://www.opendefinition.org/licenses/odc-by",
    "odc-odbl": "http://www.opendefinition.org/licenses/odc-odbl",
}
# extras that are DCAT-US 1.1 properties (data.gov's harvested packages)
DATAJSON_EXTRAS = {"identifier", "spatial", "temporal", "accrualPeriodicity", "language",
                   "bureauCode", "programCode", "dataQuality", "isPartOf", "references",
                   "describedBy", "describedByType", "conformsTo", "systemOfRecords",
                   "primaryITInvestmentUII", "accessLevel", "rights", "issued", "modified",
                   "theme"}
LIST_EXTRAS = {"language", "bureauCode", "programCode", "references", "theme"}
FILE_FORMATS = {"csv", "xls", "xlsx", "json", "geojson", "zip", "xml", "pdf", "txt", "kml",
                "shp", "tsv", "ods", "rdf", "parquet"}
KEPT = ("name", "state", "type", "version", "metadata_created", "metadata_modified",
        "num_resources", "num_tags", "isopen", "license_id", "license_title")


def _packages(data: Any) -> tuple[list[Any], str]:
    if isinstance(data, dict) and "result" in data:
        if data.get("success") is False:
            error = data.get("error") or {}
            raise CatalogError(f"the CKAN API answered with an error: "
                               f"{error.get('message') or error}",
                               hint="check the query, or that the portal is CKAN")
        result = data["result"]
        if isinstance(result, dict) and isinstance(result.get("results"), list):
            return result["results"], "/result/results"
        if isinstance(result, dict):
            return [result], "/result"
        if isinstance(result, list):
            return result, "/result"
    if isinstance(data, dict) and "resources" in data:
        return [data], ""
    if isinstance(data, list):
        return data, ""
    raise CatalogError("the source is not a CKAN package_search or package_show response",
                       hint="give <portal>/api/3/action/package_search?rows=1000")


def _extra_value(key: str, value: Any) -> Any:
    if key in LIST_EXTRAS and isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            try:
                return json.loads(text)
            except ValueError:
                pass
        return [v.strip() for v in text.split(",") if v.strip()]
    return value


def _distribution(res: dict[str, Any]) -> dict[str, Any]:
    fmt = (res.get("format") or "").strip()
    download = res.get("url_type") == "upload" or fmt.lower() in FILE_FORMATS
    out = {"@type": "dcat:Distribution",
           ("downloadURL" if download else "accessURL"): res.get("url"),
           "mediaType": res.get("mimetype"), "format": fmt or None,
           "title": res.get("name"), "description": res.get("description")}
    return {k: v for k, v in out.items() if v not in (None, "")}


def _entry(pkg: dict[str, Any], portal: str) -> tuple[dict[str, Any], dict[str, Any]]:
    extras = {e.get("key"): e.get("value") for e in pkg.get("extras") or []
              if isinstance(e, dict) and e.get("key")}
    org: dict[str, Any] = pkg["organization"] if isinstance(pkg.get("organization"), dict) \
        else {}
    contact_name = pkg.get("maintainer") or pkg.get("author")
    contact_email = pkg.get("maintainer_email") or pkg.get("author_email")
    license = pkg.get("license_url") or LICENSE_URLS.get(pkg.get("license_id") or "") \
        or (pkg.get("license_title") if pkg.get("license_id") not in (None, "",
                                                                      "notspecified") else None)
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "identifier": extras.get("identifier") or pkg.get("id"),
        "title": pkg.get("title") or pkg.get("name"),
        "description": pkg.get("notes"),
        "keyword": [t.get("name") for t in pkg.get("tags") or []
                    if isinstance(t, dict) and t.get("name")],
        "theme": [g.get("title") or g.get("name") for g in pkg.get("groups") or []
                  if isinstance(g, dict)],
        "modified": pkg.get("metadata_modified"),
        "issued": pkg.get("metadata_created"),
        "publisher": {"@type": "org:Organization",
                      "name": org.get("title") or org.get("name") or urlsplit(portal).netloc
                      or "CKAN"},
        "contactPoint": {"@type": "vcard:Contact", "fn": contact_name,
                         **({"hasEmail": f"mailto:{contact_email}"} if contact_email else {})},
        "accessLevel": "non-public" if pkg.get("private") else "public",
        "license": license,
        "landingPage": pkg.get("url") or (f"{portal.rstrip('/')}/dataset/{pkg['name']}"
                                          if portal and pkg.get("name") else None),
        "distribution": [_distribution(r) for r in pkg.get("resources") or []
                         if isinstance(r, dict) and r.get("url")],
    }
    for key in DATAJSON_EXTRAS & set(extras):
        out[key] = _extra_value(key, extras[key])
    ext = {k: pkg[k] for k in KEPT if pkg.get(k) not in (None, "")}
    other = {k: v for k, v in extras.items() if k not in DATAJSON_EXTRAS}
    if other:
        ext["extras"] = other
    if pkg.get("id") and out["identifier"] != pkg.get("id"):
        ext["id"] = pkg["id"]
    return {k: v for k, v in out.items() if v not in (None, "", [])}, ext


def parse(fetched: Fetched, portal: str | None = None) -> Parsed:
    data, problems = load_json(fetched, "a CKAN package_search or package_show response")
    parsed = Parsed("ckan", problems=problems)
    packages, prefix = _packages(data)
    base = portal or ""
    if not base and fetched.is_url:
        parts = urlsplit(fetched.name)
        base = f"{parts.scheme}://{parts.netloc}"
    if not base and isinstance(data, dict) and isinstance(data.get("help"), str):
        parts = urlsplit(data["help"])  # CKAN names itself: <portal>/api/3/action/help_show
        base = f"{parts.scheme}://{parts.netloc}"
    for index, pkg in enumerate(packages):
        pointer = f"{prefix}/{index}" if prefix != "/result" or len(packages) > 1 else prefix
        if not isinstance(pkg, dict):
            parsed.entries.append(Entry(index, pkg, pointer,
                                        skip=(P.DATASET_SKIPPED, "not a package object")))
            continue
        if pkg.get("type") not in (None, "dataset") or pkg.get("state") == "deleted":
            why = "a deleted package" if pkg.get("state") == "deleted" else \
                f"a {pkg.get('type')} record, not a dataset"
            parsed.entries.append(Entry(index, {"identifier": pkg.get("id")}, pointer,
                                        skip=(P.NOT_A_DATASET, why)))
            continue
        entry, ext = _entry(pkg, base)
        parsed.entries.append(Entry(index, entry, pointer, ext=ext))
    return parsed
