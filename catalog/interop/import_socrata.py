"""Import a Socrata portal: its asset inventory CSV, or an ``/api/views`` JSON list.

Both become the entries Socrata's own ``/data.json`` would publish, so that a dataset
imported from either keeps the same identifier (``https://<domain>/api/views/<uid>``)
and a later import from the other source, or from data.json, syncs with it.

* The **asset inventory** (the "Asset Inventory" dataset every Socrata portal keeps, as
  CSV) has one row per asset. Its real encodings are all read: UTF-8, UTF-8 with a
  byte-order mark ("CSV for Excel"), UTF-16 and Windows-1252 (saved again by Excel),
  with commas, semicolons ("for Excel (Europe)") or tabs.
* An **/api/views** list (``https://<domain>/api/views.json``) is a JSON array of view
  objects; one view (``/api/views/<uid>.json``) is read as a list of one. Views do not
  name their portal: give ``--portal`` for a file (a URL source names it).

Only datasets are imported: derived views (filters, charts, maps of another dataset),
snapshots and unpublished working copies are reported as ``not-a-dataset``. What only
Socrata knows (view and download counts, owner ids, custom metadata, columns) is kept
under ``extensions.socrata``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

from .. import problems as P
from ..problems import CatalogError, Problem
from .fetch import Fetched, decode
from .import_datajson import load_json
from .plan import Entry, Parsed

# The asset inventory's standard columns (Socrata's documented layout).
COLUMNS = ("URL", "U ID", "Public", "Derived View", "Parent UID", "Domain", "Type", "Name",
           "Description", "Visits", "Creation Date", "Last Update Date (data)", "Category",
           "Keywords", "Downloads", "Owner", "Contact Email", "License", "Publication Stage")
REQUIRED = ("U ID", "Name", "Type")
DATASET_TYPES = {"dataset", "file", "gis map", "map", "href", "external"}
# Socrata's licence names and ids → the licence's URL (then the licenses vocabulary)
LICENSES = {
    "public domain": None,
    "creative commons 1.0 universal (public domain dedication)":
        "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0_10": "https://creativecommons.org/publicdomain/zero/1.0/",
    "creative commons attribution 4.0 international":
        "https://creativecommons.org/licenses/by/4.0/",
    "cc_40_by": "https://creativecommons.org/licenses/by/4.0/",
    "open database license": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "open data commons attribution license": "https://opendatacommons.org/licenses/by/1-0/",
    "odc_by": "https://opendatacommons.org/licenses/by/1-0/",
    "open data commons public domain dedication and license":
        "https://opendatacommons.org/licenses/pddl/1-0/",
    "pddl": "https://opendatacommons.org/licenses/pddl/1-0/",
}
_SOCRATA_TIME = "%m/%d/%Y %I:%M:%S %p %z"


def _iso(value: str) -> str | None:
    """Socrata's ``09/22/2014 05:34:00 PM +0000`` (or an ISO value) as ISO 8601."""
    text = (value or "").strip()
    if not text:
        return None
    for fmt in (_SOCRATA_TIME, "%m/%d/%Y %I:%M %p %z", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return text  # kept as written; the planner reports it when it is not a date


def _epoch(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat()
    return None


def _license(name: str | None, link: str | None = None) -> str | None:
    if link and re.match(r"^https?://", link):
        return link
    if not name:
        return None
    return LICENSES.get(name.strip().lower(), name.strip()) or name.strip()


def _entry(uid: str, domain: str, *, name: Any, description: Any, keywords: list[str],
           category: Any, public: bool, kind: str, modified: str | None,
           issued: str | None, publisher: str, owner: Any, email: Any,
           license: str | None, landing: str | None, api: str | None) -> dict[str, Any]:
    base = f"https://{domain}"
    out: dict[str, Any] = {
        "@type": "dcat:Dataset", "identifier": f"{base}/api/views/{uid}", "title": name,
        "description": description, "keyword": keywords or None,
        "theme": [category] if isinstance(category, str) and category else None,
        "modified": modified, "issued": issued,
        "publisher": {"@type": "org:Organization", "name": publisher},
        "contactPoint": {"@type": "vcard:Contact", "fn": owner or None,
                         **({"hasEmail": f"mailto:{email}"} if email else {})},
        "accessLevel": "public" if public else "non-public",
        "license": license, "landingPage": landing or f"{base}/d/{uid}",
    }
    if kind == "dataset":
        out["distribution"] = [
            {"@type": "dcat:Distribution", "downloadURL":
             f"{base}/api/views/{uid}/rows.csv?accessType=DOWNLOAD", "mediaType": "text/csv"},
            {"@type": "dcat:Distribution", "accessURL": api or f"{base}/resource/{uid}.json",
             "mediaType": "application/json", "format": "SODA API"}]
    return {k: v for k, v in out.items() if v not in (None, "", [])}


# -- the asset inventory CSV ---------------------------------------------------------------

def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d])

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _rows_skip(row: dict[str, str]) -> str | None:
    kind = (row.get("Type") or "").strip().lower()
    if (row.get("Derived View") or "").strip().lower() == "true":
        parent = row.get("Parent UID") or "another dataset"
        return f"derived view ({kind or 'view'}) of {parent}"
    stage = (row.get("Publication Stage") or "published").strip().lower()
    if stage not in ("published", ""):
        return f"{stage} copy, not the published dataset"
    if kind and kind not in DATASET_TYPES:
        return f"a {kind}, not a dataset"
    return None


def parse_csv(fetched: Fetched) -> Parsed:
    text, encoding = decode(fetched)
    parsed = Parsed("socrata")
    if encoding not in ("utf-8", "utf-8 with BOM", "utf-16"):
        parsed.problems.append(Problem.make(
            P.SOURCE_ENCODING, f"the source is not UTF-8; it was read as {encoding}",
            file=fetched.name, hint="check the non-ASCII text of the import"))
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogError(f"{fetched.name} is not a Socrata asset inventory: no "
                           + ", ".join(repr(c) for c in missing) + " column",
                           hint="export the portal's Asset Inventory dataset as CSV")
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        parsed.problems.append(Problem.make(
            P.SOURCE_FORMAT, "asset inventory columns missing: " + ", ".join(absent),
            file=fetched.name, line=1))
    standard = set(COLUMNS)
    index = 0
    for row in reader:
        line = reader.line_num
        uid = (row.get("U ID") or "").strip()
        domain = (row.get("Domain") or "").strip() or urlsplit(row.get("URL") or "").netloc
        ext = {k: v for k, v in row.items()
               if k and k not in standard and v not in (None, "")}
        for key in ("Visits", "Downloads", "Publication Stage", "Type"):
            if row.get(key):
                ext[key] = row[key]
        skip = _rows_skip(row)
        data: Any = {"identifier": f"https://{domain}/api/views/{uid}" if uid else None}
        if skip is None and not domain:
            skip = "no Domain or URL to say which portal it is on"
        if skip is None:
            keywords = [k.strip() for k in (row.get("Keywords") or "").split(",") if k.strip()]
            data = _entry(
                uid, domain, name=row.get("Name"), description=row.get("Description"),
                keywords=keywords, category=row.get("Category"),
                public=(row.get("Public") or "true").strip().lower() == "true",
                kind=(row.get("Type") or "dataset").strip().lower(),
                modified=_iso(row.get("Last Update Date (data)") or ""),
                issued=_iso(row.get("Creation Date") or ""),
                publisher=(row.get("Publishing Department") or row.get("data_provided_by")
                           or domain).strip(),
                owner=row.get("Owner"), email=(row.get("Contact Email") or "").strip(),
                license=_license(row.get("License")), landing=row.get("URL"),
                api=row.get("api_endpoint"))
        parsed.entries.append(Entry(index, data, f"/{index}", line=line, ext=ext,
                                    skip=(P.NOT_A_DATASET, skip) if skip else None))
        index += 1
    return parsed


# -- /api/views ------------------------------------------------------------------------

def _view_skip(view: dict[str, Any]) -> str | None:
    flags = view.get("flags") or []
    if view.get("modifyingViewUid") or (flags and "default" not in flags):
        return f"derived view ({view.get('displayType') or 'view'}) of " \
               f"{view.get('modifyingViewUid') or 'another dataset'}"
    stage = view.get("publicationStage") or "published"
    if stage != "published":
        return f"{stage} copy, not the published dataset"
    if view.get("assetType") in ("story", "measure", "chart", "filter", "visualization"):
        return f"a {view['assetType']}, not a dataset"
    return None


KEPT_VIEW_KEYS = ("viewCount", "downloadCount", "viewType", "displayType", "provenance",
                  "tableId", "rowsUpdatedAt", "viewLastModified", "createdAt", "owner")


def _columns(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: c[k] for k in ("fieldName", "name", "dataTypeName", "description") if c.get(k)}
            for c in view.get("columns") or []
            if isinstance(c, dict) and c.get("dataTypeName") != "meta_data"]


def parse_views(fetched: Fetched, portal: str | None) -> Parsed:
    data, problems = load_json(fetched, "a Socrata /api/views list")
    parsed = Parsed("socrata", problems=problems)
    views = [data] if isinstance(data, dict) and "id" in data else data
    if not isinstance(views, list):
        raise CatalogError(f"{fetched.name} is not a Socrata /api/views list",
                           hint="give https://<portal>/api/views.json, or the asset "
                                "inventory CSV")
    domain = urlsplit(portal or (fetched.name if fetched.is_url else "")).netloc
    if not domain:
        raise CatalogError(f"{fetched.name} does not say which portal its views are on",
                           hint="give --portal https://data.example.gov")
    for index, view in enumerate(views):
        pointer = f"/{index}"
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            parsed.entries.append(Entry(index, view, pointer,
                                        skip=(P.DATASET_SKIPPED, "not a view object")))
            continue
        uid = view["id"]
        skip = _view_skip(view)
        ext: dict[str, Any] = {k: view[k] for k in KEPT_VIEW_KEYS if view.get(k) is not None}
        if isinstance(ext.get("owner"), dict):
            ext["owner"] = {k: v for k, v in ext["owner"].items()
                            if k in ("id", "displayName")}
        custom = (view.get("metadata") or {}).get("custom_fields")
        if custom:
            ext["custom_fields"] = custom
        columns = _columns(view)
        if columns:
            ext["columns"] = columns
        grants = view.get("grants") or []
        public = any("public" in (g.get("flags") or []) for g in grants if isinstance(g, dict))
        lic: dict[str, Any] = view["license"] if isinstance(view.get("license"), dict) else {}
        owner = (view.get("owner") or {}).get("displayName") if isinstance(
            view.get("owner"), dict) else None
        entry = _entry(
            uid, domain, name=view.get("name"), description=view.get("description"),
            keywords=[t for t in view.get("tags") or [] if isinstance(t, str)],
            category=view.get("category"), public=public or not grants,
            kind="href" if view.get("viewType") == "href" else "dataset",
            modified=_epoch(view.get("rowsUpdatedAt")) or _epoch(view.get("viewLastModified")),
            issued=_epoch(view.get("publicationDate")) or _epoch(view.get("createdAt")),
            publisher=view.get("attribution") or domain, owner=owner, email=None,
            license=_license(lic.get("name") or view.get("licenseId"), lic.get("termsLink")),
            landing=None, api=None)
        parsed.entries.append(Entry(index, entry, pointer, ext=ext,
                                    skip=(P.NOT_A_DATASET, skip) if skip else None))
    return parsed


def parse(fetched: Fetched, portal: str | None = None) -> Parsed:
    """An asset inventory CSV or an /api/views JSON document, whichever it is."""
    head = fetched.raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{") or "json" in fetched.content_type:
        try:
            json.loads(fetched.raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            pass
        else:
            return parse_views(fetched, portal)
    return parse_csv(fetched)
