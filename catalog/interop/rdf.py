"""The DCAT-US 3.0 catalog (and each dataset) as RDF: Turtle, RDF/XML and N-Triples.

The graph is the DCAT-US 3.0 JSON-LD document (:mod:`catalog.interop.dcat3`) read by
rdflib, so every serialisation says exactly what ``catalog.jsonld`` says. rdflib is a
runtime dependency for this (the site serves these files).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from rdflib import Graph

from ..problems import CatalogError
from . import dcat3
from .source import PublicCatalog

SERIALISERS = {"ttl": "turtle", "rdf": "pretty-xml", "nt": "nt11"}
PREFIXES = {"dcat": "http://www.w3.org/ns/dcat#", "dcterms": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/", "skos": "http://www.w3.org/2004/02/skos/core#",
            "vcard": "http://www.w3.org/2006/vcard/ns#", "org": "http://www.w3.org/ns/org#",
            "dcat-us": "http://data.resources.gov/ontology/dcat-us#",
            "xsd": "http://www.w3.org/2001/XMLSchema#"}


def graph(doc: dict[str, Any]) -> Graph:
    """The RDF graph of a JSON-LD document (its context is embedded: nothing fetched)."""
    g = Graph()
    with warnings.catch_warnings():  # rdflib's JSON-LD parser still uses ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        g.parse(data=json.dumps(doc), format="json-ld")
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True, replace=True)
    return g


def serialise(doc: dict[str, Any], suffix: str) -> str:
    if suffix == "jsonld":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return graph(doc).serialize(format=SERIALISERS[suffix])


def dataset_document(cat: PublicCatalog, dataset_id: str) -> dict[str, Any]:
    """One public dataset as a DCAT-US 3.0 JSON-LD document (a Dataset object)."""
    row = next((d for d in cat.datasets if d["id"] == dataset_id), None)
    if row is None:
        raise CatalogError(f"no public dataset {dataset_id!r}")
    return {"@context": dcat3.context(), **dcat3.dataset(cat, row)}


def turtle(cat: PublicCatalog) -> str:
    return serialise(dcat3.build(cat), "ttl")


def rdfxml(cat: PublicCatalog) -> str:
    return serialise(dcat3.build(cat), "rdf")


def ntriples(cat: PublicCatalog) -> str:
    return serialise(dcat3.build(cat), "nt")
