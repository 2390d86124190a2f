"""DCAT-US 3.0 JSON-LD (``catalog.jsonld``): the public catalog as linked data.

One ``@graph`` holds the ``dcat:Catalog``, one ``dcat:Dataset`` per dataset in
``public.db``, the agencies (``foaf:Agent`` + ``org:Organization``), the catalog's themes
(``skos:Concept`` in one ``skos:ConceptScheme``) and the licenses used. ``listed``
non-public datasets are records too: their access rights, rights statement, contact and
keywords, never a distribution.

The ``@context`` is the official DCAT-US 3.0 context, embedded from the copy shipped in
``data/`` (so nothing is fetched to read the file), plus one ``xsd`` prefix for typed dates.
The result validates against the official DCAT-US 3.0 SHACL shapes with no violation.
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
ORGANIZATION = ["foaf:Agent", ORG + "Organization"]

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


def context() -> list[Any]:
    return [official_context(), {"xsd": XSD}]


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


def dataset(cat: PublicCatalog, d: Row) -> dict[str, Any]:
    iri = dataset_iri(cat, d["id"])
    agency = cat.agencies.get(d["agency_id"], {})
    catalog_contact = cat.info.get("contact") or {}
    point = contact(d["contact_name"] or agency.get("data_officer_name"),
                    d["contact_email"] or agency.get("data_officer_email")
                    or catalog_contact.get("email"))
    full = d["visibility"] == "public"
    license_row = cat.licenses.get(d["license"] or "") if full else None
    license_url = license_row["url"] if license_row else None
    rights = d["rights"]
    if not rights and license_row and not license_url:
        rights = license_row["title"]
    if not rights and d["access_level"] != "public":
        rights = "Access is limited; contact the agency for details."
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "dcat:Dataset",
        "identifier": [d["identifier"]],
        "title": d["title"],
        "description": d["description"],
        "keyword": cat.keywords.get(d["id"]),
        "theme": [theme_iri(cat, t) for t in cat.themes.get(d["id"], [])],
        "publisher": agency_iri(cat, d["agency_id"]),
        "contactPoint": [point] if point else None,
        "accessRights": ACCESS_RIGHTS[d["access_level"]],
        "rights": rights_statement(rights),
        "modified": date_literal(d["modified"]),
        "landingPage": d["landing_page"] or iri,
    }
    if full:
        temporal = _clean({"@type": "dcterms:PeriodOfTime",
                           "startDate": date_literal(d["temporal_start"]),
                           "endDate": date_literal(d["temporal_end"])})
        node.update({
            "issued": date_literal(d["issued"]),
            "license": license_url,
            "temporal": [temporal] if len(temporal) > 1 else None,
            "spatial": [{"@type": "dcterms:Location", "prefLabel": d["spatial"]}]
            if d["spatial"] else None,
            "accrualPeriodicity": frequency(d["update_frequency"]),
            "describedBy": data_dictionary(cat, d) if cat.fields.get(d["id"]) else None,
            "distribution": [distribution(cat, d, r, license_url)
                             for r in cat.distributions.get(d["id"], [])],
        })
    return _clean(node)


def organization(iri: str, name: str, **extra: Any) -> dict[str, Any]:
    return _clean({"@id": iri, "@type": ORGANIZATION, "name": name, "skos:prefLabel": name,
                   **extra})


def agents(cat: PublicCatalog) -> list[dict[str, Any]]:
    publisher = cat.info.get("publisher") or {}
    parent = publisher.get("sub_organization_of")
    state = organization(
        publisher_iri(cat), publisher.get("name") or cat.title,
        **{ORG + "subOrganizationOf": {"@type": ORGANIZATION, "name": parent,
                                       "skos:prefLabel": parent} if parent else None})
    out = [state]
    for agency_id, a in sorted(cat.agencies.items()):
        out.append(organization(
            agency_iri(cat, agency_id), a["name"],
            **{"skos:altLabel": a["abbreviation"],
               "foaf:homepage": {"@id": a["website"]} if a["website"] else None,
               ORG + "subOrganizationOf": {"@id": publisher_iri(cat)}}))
    return out


def themes(cat: PublicCatalog) -> list[dict[str, Any]]:
    used = sorted({t for ts in cat.themes.values() for t in ts})
    if not used:
        return []
    scheme = {"@id": themes_iri(cat), "@type": "skos:ConceptScheme",
              "title": f"{cat.title}: themes"}
    return [scheme] + [{"@id": theme_iri(cat, t), "@type": "skos:Concept",
                        "prefLabel": cat.theme_titles.get(t, t), "inScheme": themes_iri(cat),
                        "skos:notation": t} for t in used]


def licenses(cat: PublicCatalog) -> list[dict[str, Any]]:
    used = {d["license"] for d in cat.datasets if d["visibility"] == "public" and d["license"]}
    return [{"@id": row["url"], "@type": "dcterms:LicenseDocument", "dcterms:title": row["title"]}
            for lid, row in sorted(cat.licenses.items()) if lid in used and row["url"]]


def catalog_node(cat: PublicCatalog) -> dict[str, Any]:
    info = cat.info
    c = info.get("contact") or {}
    point = contact(c.get("name"), c.get("email"))
    return _clean({
        "@id": catalog_iri(cat),
        "@type": "dcat:Catalog",
        "title": cat.title,
        "description": info.get("description") or cat.title,
        "publisher": publisher_iri(cat),
        "homepage": info.get("homepage") or f"{cat.base_url}/",
        "modified": date_literal(cat.meta.get("built_at")),
        "contactPoint": [point] if point else None,
        "conformsTo": CONFORMS_TO,
        "themeTaxonomy": [themes_iri(cat)] if any(cat.themes.values()) else None,
        "dataset": [dataset_iri(cat, d["id"]) for d in cat.datasets],
    })


def build(cat: PublicCatalog) -> dict[str, Any]:
    graph = [catalog_node(cat)] + [dataset(cat, d) for d in cat.datasets]
    graph += agents(cat) + themes(cat) + licenses(cat)
    return {"@context": context(), "@graph": graph}


def export(cat: PublicCatalog) -> str:
    return json.dumps(build(cat), indent=2, ensure_ascii=False) + "\n"
