"""Interop formats: one module per format, registered here by name and loaded lazily
(a format's optional dependency is imported only when that format is used).

Exporters read ``public.db`` — what the public may see, by construction — through
:class:`~catalog.interop.source.PublicCatalog`, and return text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..lazy import load
from ..problems import CatalogError


@dataclass(frozen=True)
class Format:
    name: str
    target: str  # "module:function"
    filename: str  # conventional file name (and URL path on the site)
    media_type: str
    description: str

    def load(self) -> Callable[..., Any]:
        return load(self.target, what=f"format {self.name!r}")  # type: ignore[no-any-return]


# the RDF serialisations of DCAT-US 3.0 (catalog.interop.rdf), by file suffix
RDF_MEDIA_TYPES = {"jsonld": "application/ld+json", "ttl": "text/turtle",
                   "rdf": "application/rdf+xml", "nt": "application/n-triples"}

EXPORTS: dict[str, Format] = {f.name: f for f in (
    Format("datajson", "catalog.interop.datajson:export", "data.json", "application/json",
           "DCAT-US 1.1 (Project Open Data) catalog, harvested by data.gov and CKAN"),
    Format("dcat-us3", "catalog.interop.dcat3:export", "catalog.jsonld", "application/ld+json",
           "DCAT-US 3.0 JSON-LD"),
    Format("dcat-us3-turtle", "catalog.interop.rdf:turtle", "catalog.ttl", "text/turtle",
           "DCAT-US 3.0 as Turtle"),
    Format("dcat-us3-rdfxml", "catalog.interop.rdf:rdfxml", "catalog.rdf", "application/rdf+xml",
           "DCAT-US 3.0 as RDF/XML"),
    Format("dcat-us3-ntriples", "catalog.interop.rdf:ntriples", "catalog.nt",
           "application/n-triples", "DCAT-US 3.0 as N-Triples"),
    Format("datapackage", "catalog.interop.datapackage:export", "datapackage.json",
           "application/json", "Frictionless Data Package: one resource per dataset"),
    Format("csv", "catalog.interop.csvlist:export", "inventory.csv", "text/csv",
           "flat inventory listing, one row per dataset"),
)}


def _lookup(registry: dict[str, Format], kind: str, name: str) -> Format:
    try:
        return registry[name]
    except KeyError:
        raise CatalogError(f"unknown {kind} format {name!r}",
                           hint="formats: " + ", ".join(registry)) from None


def exporter(name: str) -> Format:
    return _lookup(EXPORTS, "export", name)


IMPORTS: dict[str, Format] = {f.name: f for f in (
    Format("datajson", "catalog.interop.import_datajson:parse", "data.json",
           "application/json", "a portal's DCAT-US data.json (Project Open Data 1.1 or 1.0)"),
    Format("socrata", "catalog.interop.import_socrata:parse", "views.json",
           "application/json, text/csv;q=0.9",
           "a Socrata portal: its asset inventory CSV, or an /api/views JSON list"),
    Format("ckan", "catalog.interop.import_ckan:parse", "package_search.json",
           "application/json", "a CKAN portal: a package_search or package_show response"),
)}


def importer(name: str) -> Format:
    return _lookup(IMPORTS, "import", name)
