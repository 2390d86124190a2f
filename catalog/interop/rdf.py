"""The DCAT-US 3.0 catalog (and each dataset) as RDF: Turtle, RDF/XML and N-Triples.

The graph is the DCAT-US 3.0 JSON-LD document (:mod:`catalog.interop.dcat3`) read by
rdflib, so every serialisation says exactly what ``catalog.jsonld`` says. rdflib is a
runtime dependency for this (the site serves these files).

The graph of a catalog is read once and shared by its three serialisations. N-Triples and
RDF/XML (``rdf:Description`` blocks) are rdflib's own flat writers. Turtle is written
here, flat (the prefixes, then one block per subject, blank nodes labelled): rdflib's
pretty Turtle writer asks its namespace manager for a prefixed name of every IRI, and
that looks through every namespace seen so far, and every dataset's hash IRIs are a
namespace of their own, so its time grows with the square of the datasets (14 s at
1,000 datasets, over 9 minutes at 10,000).
"""

from __future__ import annotations

import json
import re
import threading
import warnings
import weakref
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..problems import CatalogError
from . import dcat3
from .source import PublicCatalog

SERIALISERS = {"rdf": "xml", "nt": "nt11"}
PREFIXES = {"dcat": "http://www.w3.org/ns/dcat#", "dcterms": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/", "skos": "http://www.w3.org/2004/02/skos/core#",
            "vcard": "http://www.w3.org/2006/vcard/ns#", "org": "http://www.w3.org/ns/org#",
            "dcat-us": "http://data.resources.gov/ontology/dcat-us#",
            "xsd": "http://www.w3.org/2001/XMLSchema#"}
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")  # a local name safe in any Turtle
_last: list[tuple[weakref.ref[PublicCatalog], Graph]] = []  # the latest catalog's graph
_BUILDING = threading.Lock()


def graph(doc: dict[str, Any]) -> Graph:
    """The RDF graph of a JSON-LD document (its context is embedded: nothing fetched)."""
    g = Graph()
    with warnings.catch_warnings():  # rdflib's JSON-LD parser still uses ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        g.parse(data=json.dumps(doc), format="json-ld")
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True, replace=True)
    return g


def _term(node: Node) -> str:
    if isinstance(node, URIRef):
        for prefix, iri in PREFIXES.items():
            if node.startswith(iri) and _LOCAL.match(node[len(iri):]):
                return f"{prefix}:{node[len(iri):]}"
        return node.n3()
    if isinstance(node, (Literal, BNode)):
        return node.n3()
    raise CatalogError(f"no Turtle for the RDF term {node!r}")


def flat_turtle(g: Graph) -> str:
    """Turtle: the prefixes, then each subject once with its predicates and objects."""
    lines = [f"@prefix {p}: <{iri}> ." for p, iri in PREFIXES.items()] + [""]
    by_subject: dict[Node, dict[Node, list[Node]]] = {}
    for s, p, o in g:
        by_subject.setdefault(s, {}).setdefault(p, []).append(o)
    for s in sorted(by_subject, key=lambda n: (isinstance(n, BNode), str(n))):
        preds = by_subject[s]
        parts = []
        for p in sorted(preds, key=lambda n: (n != RDF.type, str(n))):
            objects = ", ".join(sorted(_term(o) for o in preds[p]))
            parts.append(f"{'a' if p == RDF.type else _term(p)} {objects}")
        lines.append(f"{_term(s)} " + " ;\n    ".join(parts) + " .\n")
    return "\n".join(lines)


def _write(g: Graph, suffix: str) -> str:
    if suffix == "ttl":
        return flat_turtle(g)
    return g.serialize(format=SERIALISERS[suffix])


def serialise(doc: dict[str, Any], suffix: str) -> str:
    if suffix == "jsonld":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return _write(graph(doc), suffix)


def catalog_graph(cat: PublicCatalog) -> Graph:
    """The graph of the catalog's DCAT-US 3.0 document, read once per catalog (threads
    asking for it while it is read wait for it)."""
    with _BUILDING:
        if _last and _last[0][0]() is cat:
            return _last[0][1]
        g = graph(dcat3.build(cat))
        _last[:] = [(weakref.ref(cat), g)]
        return g


def dataset_document(cat: PublicCatalog, dataset_id: str) -> dict[str, Any]:
    """One public dataset as a DCAT-US 3.0 JSON-LD document (a Dataset object)."""
    row = next((d for d in cat.datasets if d["id"] == dataset_id), None)
    if row is None:
        raise CatalogError(f"no public dataset {dataset_id!r}")
    return {"@context": dcat3.context(), **dcat3.dataset(cat, row)}


def turtle(cat: PublicCatalog) -> str:
    return _write(catalog_graph(cat), "ttl")


def rdfxml(cat: PublicCatalog) -> str:
    return _write(catalog_graph(cat), "rdf")


def ntriples(cat: PublicCatalog) -> str:
    return _write(catalog_graph(cat), "nt")
