"""DCAT-US 3.0 (``catalog.jsonld``): the public catalog as the official JSON Schema
shapes it, and as linked data the official SHACL shapes accept.

The document is one ``Catalog`` object (the root of the official JSON Schema), with
every dataset in ``public.db`` inline under ``dataset``, each with its publisher (an
``org:Organization``), themes (``skos:Concept`` in the catalog's ``themeTaxonomy``),
contact, licence and distributions inline. ``listed`` non-public datasets are records
too: their access rights, rights statement, contact and keywords, never a distribution.

The ``@context`` is the official DCAT-US 3.0 context, embedded from the copy shipped in
``data/`` (so nothing is fetched to read the file), and a bridge the official files need
to agree with each other: the JSON Schema wants dates as plain strings, the SHACL shapes
want them typed ``xsd:date``, and the official context (protected) types none. The
bridge defines the type names the JSON Schema itself uses (``Catalog``, ``Dataset``,
``PeriodOfTime``) as the DCAT classes, with the official class context plus date
typing and the dataset-level ``license`` (DCAT 3 ``dcterms:license``, which the official
``dcat:Dataset`` context leaves out). Keywords are written in ``keywordMap`` (the
JSON Schema allows one ``keyword`` string, DCAT any number).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from .source import PublicCatalog, Row

DOCUMENT = "catalog.jsonld"  # the export's file name; hash IRIs below resolve into it
CONTEXT_FILE = "data/dcat-us-3.0.jsonld"
CONFORMS_TO = "http://resource.data.gov/profile/dcat-us#"
XSD = "http://www.w3.org/2001/XMLSchema#"
# The official context maps ``org:`` to www.w3c.org (sic); the shapes and W3C use www.w3.org.
ORG = "http://www.w3.org/ns/org#"

# DCAT-US 3.0's own access-rights list is still "TBD"; the EU authority table has the
# same three levels as DCAT-US 1.1 accessLevel.
EU = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHTS = {
    "public": EU + "access-right/PUBLIC",
    "restricted public": EU + "access-right/RESTRICTED",
    "non-public": EU + "access-right/NON_PUBLIC",
}
# Distributions: the NARA access restriction status list DCAT-US 3.0 prescribes.
NARA_STATUS = "https://resources.data.gov/vocab/nara/AccessRestrictionStatusAuthorityList/"
RESTRICTION_STATUS = {
    "public": "Unrestricted",
    "restricted public": "RestrictedPartly",
    "non-public": "RestrictedFully",
}
# ISO 8601 repeating durations (DCAT-US 1.1 accrualPeriodicity) → Dublin Core frequency
# terms (the context's base is http://purl.org/cld/freq/), or the EU table where DC has none.
FREQUENCY = {
    "R/P3Y": "triennial", "R/P2Y": "biennial", "R/P1Y": "annual", "R/P6M": "semiannual",
    "R/P4M": "threeTimesAYear", "R/P3M": "quarterly", "R/P2M": "bimonthly",
    "R/P1M": "monthly", "R/P0.5M": "semimonthly", "R/P0.33M": "threeTimesAMonth",
    "R/P2W": "biweekly", "R/P1W": "weekly", "R/P3.5D": "semiweekly",
    "R/P0.33W": "threeTimesAWeek", "R/P1D": "daily", "R/PT1S": "continuous",
    "irregular": "irregular",
    "R/P10Y": EU + "frequency/DECENNIAL", "R/P4Y": EU + "frequency/QUADRENNIAL",
    "R/PT1H": EU + "frequency/HOURLY",
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@lru_cache(maxsize=1)
def official_context() -> dict[str, Any]:
    """The official DCAT-US 3.0 JSON-LD context object (DOI-DO/dcat-us, CC0)."""
    text = resources.files(__package__).joinpath(CONTEXT_FILE).read_text(encoding="utf-8")
    return json.loads(text)["@context"]  # type: ignore[no-any-return]


# the JSON Schema's type names → (the official class term, its properties typed xsd:date)
DATES = {"Catalog": ("dcat:Catalog", ("issued", "modified")),
         "Dataset": ("dcat:Dataset", ("issued", "modified")),
         "PeriodOfTime": ("dcterms:PeriodOfTime", ("startDate", "endDate"))}


@lru_cache(maxsize=1)
def bridge() -> dict[str, Any]:
    """Type terms of the JSON Schema's names: the official class contexts, dates typed."""
    official = official_context()
    out: dict[str, Any] = {"xsd": XSD}
    for term, (cls, dates) in DATES.items():
        scoped = dict(official[cls]["@context"])
        for name in dates:
            scoped[name] = {"@id": scoped[name]["@id"], "@type": "xsd:date"}
        if term == "Dataset":
            scoped["license"] = {"@id": "dcterms:license", "@type": "@id"}
        out[term] = {"@id": cls, "@context": scoped}
    organization_ctx = dict(official["org:Organization"]["@context"])
    organization_ctx["subOrganizationOf"] = {"@id": ORG + "subOrganizationOf", "@type": "@id",
                                             "@container": "@set"}
    out["Organization"] = {"@id": ORG + "Organization", "@context": organization_ctx}
    return out


def context() -> list[Any]:
    return [official_context(), bridge()]


def day(value: Any) -> str | None:
    """The date of a date or date-time, as xsd:date text (None when it is neither)."""
    lit = date_literal(value)
    return lit["@value"][:10] if lit else None


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def date_literal(value: Any) -> dict[str, str] | None:
    """A typed xsd:date or xsd:dateTime literal (the shapes reject plain strings)."""
    if value is None or value == "":
        return None
    text = str(value)
    if _DATE.match(text):
        return {"@value": text, "@type": "xsd:date"}
    m = _DATETIME.match(text)
    if not m:
        return None
    day, hm, seconds, zone = m.groups()
    if zone and zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    return {"@value": f"{day}T{hm}{seconds or ':00'}{zone or ''}", "@type": "xsd:dateTime"}


# ---- IRIs -------------------------------------------------------------------------------

def catalog_iri(cat: PublicCatalog) -> str:
    return f"{cat.base_url}/{DOCUMENT}"


def dataset_iri(cat: PublicCatalog, dataset_id: str) -> str:
    return f"{cat.base_url}/datasets/{dataset_id}"


def agency_iri(cat: PublicCatalog, agency_id: str) -> str:
    return f"{cat.base_url}/agencies/{agency_id}"


def publisher_iri(cat: PublicCatalog) -> str:
    return f"{catalog_iri(cat)}#publisher"


def themes_iri(cat: PublicCatalog) -> str:
    return f"{catalog_iri(cat)}#themes"


def theme_iri(cat: PublicCatalog, theme_id: str) -> str:
    return f"{catalog_iri(cat)}#theme-{theme_id}"


# ---- nodes ------------------------------------------------------------------------------

def contact(name: str | None, email: str | None) -> dict[str, Any] | None:
    """A vcard:Kind; DCAT-US requires both a name and an email."""
    if not name or not email:
        return None
    return {"@type": "vcard:Kind", "fn": name, "hasEmail": f"mailto:{email}"}


def rights_statement(text: str | None) -> dict[str, Any] | None:
    return {"@type": "dcterms:RightsStatement", "rdfs:label": text} if text else None


def frequency(value: str | None) -> Any:
    if not value:
        return None
    return FREQUENCY.get(value) or {"@type": "dcterms:Frequency", "rdfs:label": value}


def access_restriction(level: str, note: str | None) -> dict[str, Any]:
    return _clean({"@type": "dcat-us:AccessRestriction",
                   "restrictionStatus": NARA_STATUS + RESTRICTION_STATUS[level],
                   "restrictionNote": note})


def distribution(cat: PublicCatalog, d: Row, r: Row, license_url: str | None) -> dict[str, Any]:
    described_by = None
    if r["described_by"]:
        described_by = _clean({"@type": "dcat:Distribution", "accessURL": r["described_by"],
                               "downloadURL": r["described_by"],
                               "mediaType": r["described_by_type"]})
    return _clean({
        "@id": f"{dataset_iri(cat, d['id'])}#distribution-{r['distribution_id']}",
        "@type": "dcat:Distribution",
        "title": r["title"],
        "description": r["description"],
        "accessURL": r["url"],
        "downloadURL": r["url"] if r["kind"] == "download" else None,
        "mediaType": r["media_type"],
        "format": {"@type": "dcterms:MediaType", "label": r["format"]} if r["format"] else None,
        "conformsTo": [r["conforms_to"]] if r["conforms_to"] else None,
        "describedBy": described_by,
        "license": license_url,
        "accessRestriction": [access_restriction(d["access_level"], d["rights"])],
    })


def data_dictionary(cat: PublicCatalog, d: Row) -> dict[str, Any]:
    """The catalog record with the data dictionary, as the dataset's ``describedBy``."""
    iri = dataset_iri(cat, d["id"])
    return {"@id": f"{iri}#data-dictionary", "@type": "dcat:Distribution",
            "title": "Catalog record with data dictionary (JSON)",
            "accessURL": f"{iri}.json", "downloadURL": f"{iri}.json",
            "mediaType": "application/json"}


def license_url(cat: PublicCatalog, d: Row) -> str | None:
    """The licence IRI a public dataset is published under: the vocabulary's, or the
    source's own when an import kept one the vocabulary does not know."""
    if d["visibility"] != "public":
        return None
    row = cat.licenses.get(d["license"] or "")
    if row and row["url"]:
        return str(row["url"])
    kept = (json.loads(d.get("datajson_json") or "{}").get("datajson") or {}).get("license")
    return kept if isinstance(kept, str) and re.match(r"^https?://", kept) else None


def publisher(cat: PublicCatalog, agency_id: str) -> dict[str, Any]:
    a = cat.agencies.get(agency_id) or {"name": agency_id, "abbreviation": None,
                                        "website": None}
    return organization(agency_iri(cat, agency_id), a["name"],
                        altLabel=a["abbreviation"],
                        subOrganizationOf=[publisher_iri(cat)],
                        **{"foaf:homepage": {"@id": a["website"]} if a["website"] else None})


def theme(cat: PublicCatalog, theme_id: str) -> dict[str, Any]:
    return {"@id": theme_iri(cat, theme_id), "@type": "skos:Concept",
            "prefLabel": cat.theme_titles.get(theme_id, theme_id),
            "inScheme": themes_iri(cat), "notation": [theme_id]}


def dataset(cat: PublicCatalog, d: Row) -> dict[str, Any]:
    iri = dataset_iri(cat, d["id"])
    agency = cat.agencies.get(d["agency_id"], {})
    catalog_contact = cat.info.get("contact") or {}
    point = contact(d["contact_name"] or agency.get("data_officer_name"),
                    d["contact_email"] or agency.get("data_officer_email")
                    or catalog_contact.get("email"))
    full = d["visibility"] == "public"
    license_row = cat.licenses.get(d["license"] or "") if full else None
    licence = license_url(cat, d)
    rights = d["rights"]
    if not rights and license_row and not licence:
        rights = license_row["title"]
    if not rights and d["access_level"] != "public":
        rights = "Access is limited; contact the agency for details."
    keywords = cat.keywords.get(d["id"])
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "Dataset",
        "identifier": [d["identifier"]],
        "title": d["title"],
        "description": d["description"],
        "keywordMap": {cat.language: keywords} if keywords else None,
        "theme": [theme(cat, t) for t in cat.themes.get(d["id"], [])],
        "publisher": publisher(cat, d["agency_id"]),
        "contactPoint": [point] if point else None,
        "accessRights": ACCESS_RIGHTS[d["access_level"]],
        "rights": rights_statement(rights),
        "modified": day(d["modified"]),
        "landingPage": d["landing_page"] or iri,
    }
    if full:
        temporal = _clean({"@type": "PeriodOfTime", "startDate": day(d["temporal_start"]),
                           "endDate": day(d["temporal_end"])})
        node.update({
            "issued": day(d["issued"]),
            "license": licence,
            "temporal": [temporal] if len(temporal) > 1 else None,
            "spatial": [{"@type": "dcterms:Location", "prefLabel": d["spatial"]}]
            if d["spatial"] else None,
            "accrualPeriodicity": frequency(d["update_frequency"]),
            "describedBy": data_dictionary(cat, d) if cat.fields.get(d["id"]) else None,
            "distribution": [distribution(cat, d, r, licence)
                             for r in cat.distributions.get(d["id"], [])],
        })
    return _clean(node)


def organization(iri: str, name: str, **extra: Any) -> dict[str, Any]:
    """An organization as the JSON Schema wants it (name and prefLabel, one @type), and
    an agent as the shapes want it (an org:Organization that is also a foaf:Agent)."""
    return _clean({"@id": iri, "@type": "Organization", "name": name, "prefLabel": name,
                   "rdf:type": [{"@id": "foaf:Agent"}], **extra})


def state(cat: PublicCatalog) -> dict[str, Any]:
    publisher_info = cat.info.get("publisher") or {}
    parent = publisher_info.get("sub_organization_of")
    return organization(
        publisher_iri(cat), publisher_info.get("name") or cat.title,
        subOrganizationOf=[organization(f"{publisher_iri(cat)}-parent", parent)]
        if parent else None)


def theme_scheme(cat: PublicCatalog) -> dict[str, Any] | None:
    if not any(cat.themes.values()):
        return None
    return {"@id": themes_iri(cat), "@type": "skos:ConceptScheme",
            "title": f"{cat.title}: themes"}


def build(cat: PublicCatalog) -> dict[str, Any]:
    info = cat.info
    c = info.get("contact") or {}
    point = contact(c.get("name"), c.get("email"))
    scheme = theme_scheme(cat)
    return _clean({
        "@context": context(),
        "@id": catalog_iri(cat),
        "@type": "Catalog",
        "title": cat.title,
        "description": info.get("description") or cat.title,
        "publisher": state(cat),
        "homepage": info.get("homepage") or f"{cat.base_url}/",
        "modified": day(cat.meta.get("built_at")),
        "contactPoint": [point] if point else None,
        "conformsTo": CONFORMS_TO,
        "themeTaxonomy": [scheme] if scheme else None,
        "dataset": [dataset(cat, d) for d in cat.datasets],
    })


def export(cat: PublicCatalog) -> str:
    return json.dumps(build(cat), indent=2, ensure_ascii=False) + "\n"
