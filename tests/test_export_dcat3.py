"""DCAT-US 3.0 JSON-LD: parsed offline with rdflib and validated against the official
DCAT-US 3.0 SHACL shapes (tests/fixtures/dcat-us-3.0, see tests/fixtures/SOURCES.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pyshacl
import pytest
from jsonschema import Draft7Validator, FormatChecker
from rdflib import Graph, Namespace, URIRef
from rdflib import namespace as ns

from catalog.dbapi import sqlite3
from catalog.interop import EXPORTS, dcat3
from catalog.interop.source import PublicCatalog

FIXTURES = Path(__file__).parent / "fixtures" / "dcat-us-3.0"
JSONSCHEMA = Path(__file__).parent / "fixtures" / "dcat-us-3.0" / "jsonschema"
DCATUS = Namespace("http://data.resources.gov/ontology/dcat-us#")
# rdflib's own JSON-LD parser still uses ConjunctiveGraph internally
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")




@pytest.fixture(scope="module")
def text(cat: PublicCatalog) -> str:
    return dcat3.export(cat)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(FIXTURES / "dcat-us_3.0_shacl_shapes.ttl", format="turtle")


def parse(text: str) -> Graph:
    return Graph().parse(data=text, format="json-ld")


def results(report: Graph, severity: URIRef) -> list[str]:
    out = []
    for r in report.subjects(ns.RDF.type, ns.SH.ValidationResult):
        if report.value(r, ns.SH.resultSeverity) == severity:
            out.append(" | ".join(str(report.value(r, p)) for p in (
                ns.SH.focusNode, ns.SH.resultPath, ns.SH.sourceConstraintComponent,
                ns.SH.resultMessage)))
    return sorted(out)


def test_export_conforms_to_the_dcat_us_3_shapes(text: str, shapes: Graph,
                                                 offline: None) -> None:
    data = parse(text)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="rdfs",
                                           advanced=True)
    violations = results(report, ns.SH.Violation)
    assert violations == [], "\n".join(violations)
    assert conforms, "\n".join(results(report, ns.SH.Warning) + results(report, ns.SH.Info))


def test_the_shapes_do_catch_a_broken_record(cat: PublicCatalog, shapes: Graph) -> None:
    doc = dcat3.build(cat)
    ds = doc["dataset"][0]
    del ds["title"]
    ds["modified"] = "last week"
    _, report, _ = pyshacl.validate(parse(json.dumps(doc)), shacl_graph=shapes,
                                    inference="none", advanced=True)
    paths = {line.split(" | ")[1] for line in results(report, ns.SH.Violation)}
    assert paths == {str(ns.DCTERMS.title), str(ns.DCTERMS.modified)}


def test_one_dataset_per_public_visible_dataset(cat: PublicCatalog, text: str,
                                                offline: None) -> None:
    g = parse(text)
    titles = {str(s): str(g.value(s, ns.DCTERMS.title))
              for s in g.subjects(ns.RDF.type, ns.DCAT.Dataset)}
    assert titles == {f"{cat.base_url}/datasets/{d['id']}": d["title"] for d in cat.datasets}
    catalog = URIRef(f"{cat.base_url}/catalog.jsonld")
    assert (catalog, ns.RDF.type, ns.DCAT.Catalog) in g
    assert {str(o) for o in g.objects(catalog, ns.DCAT.dataset)} == set(titles)


def test_no_hidden_dataset_appears(sample_build: Path, cat: PublicCatalog, text: str) -> None:
    with sqlite3.connect(sample_build / "inventory.db") as conn:
        every = {r[0] for r in conn.execute("select id from datasets")}
    hidden = every - {d["id"] for d in cat.datasets}
    assert hidden
    for dataset_id in hidden:
        assert not re.search(rf"(?<![\w-]){re.escape(dataset_id)}(?![\w-])", text), dataset_id


def test_listed_records_carry_access_rights_and_no_distribution(cat: PublicCatalog, text: str,
                                                                offline: None) -> None:
    g = parse(text)
    listed = [d for d in cat.datasets if d["visibility"] == "listed"]
    assert listed
    for d in listed:
        node = URIRef(f"{cat.base_url}/datasets/{d['id']}")
        rights = URIRef(dcat3.ACCESS_RIGHTS[d["access_level"]])
        assert g.value(node, ns.DCTERMS.accessRights) == rights
        assert g.value(node, ns.DCTERMS.rights) is not None
        assert g.value(node, ns.DCAT.distribution) is None


def test_distributions_carry_a_nara_access_restriction(cat: PublicCatalog, text: str,
                                                       offline: None) -> None:
    g = parse(text)
    count = 0
    for d in cat.datasets:
        node = URIRef(f"{cat.base_url}/datasets/{d['id']}")
        status = URIRef(dcat3.NARA_STATUS + dcat3.RESTRICTION_STATUS[d["access_level"]])
        for dist in g.objects(node, ns.DCAT.distribution):
            restriction = g.value(dist, DCATUS.accessRestriction)
            assert g.value(restriction, DCATUS.restrictionStatus) == status
            count += 1
    assert count == sum(len(v) for v in cat.distributions.values())


def test_publisher_is_an_organization_in_the_w3c_org_namespace(cat: PublicCatalog, text: str,
                                                               offline: None) -> None:
    g = parse(text)
    org = URIRef("http://www.w3.org/ns/org#Organization")
    for agency_id in cat.agencies:
        agency = URIRef(f"{cat.base_url}/agencies/{agency_id}")
        assert (agency, ns.RDF.type, org) in g


def test_context_is_the_official_one_shipped_byte_for_byte() -> None:
    shipped = Path(dcat3.__file__).parent / dcat3.CONTEXT_FILE
    assert shipped.read_bytes() == (FIXTURES / "dcat-us-3.0.jsonld").read_bytes()
    assert dcat3.context()[0] == json.loads(shipped.read_text())["@context"]


@pytest.mark.parametrize("value, expected", [
    ("2025-10-15", ("2025-10-15", "xsd:date")),
    ("2025-10-15T08:30", ("2025-10-15T08:30:00", "xsd:dateTime")),
    ("2025-10-15 08:30:05Z", ("2025-10-15T08:30:05Z", "xsd:dateTime")),
    ("2025-10-15T08:30:05-0500", ("2025-10-15T08:30:05-05:00", "xsd:dateTime")),
    ("soon", None),
    (None, None),
])
def test_dates_are_typed_literals(value: str | None, expected: tuple[str, str] | None) -> None:
    lit = dcat3.date_literal(value)
    assert ((lit["@value"], lit["@type"]) if lit else None) == expected


def test_frequencies_map_to_iris(offline: None) -> None:
    g = Graph().parse(data=json.dumps({
        "@context": dcat3.context(), "@id": "https://example.org/d", "@type": "dcat:Dataset",
        "accrualPeriodicity": dcat3.frequency("R/P1M")}), format="json-ld")
    assert g.value(URIRef("https://example.org/d"), ns.DCTERMS.accrualPeriodicity) == \
        URIRef("http://purl.org/cld/freq/monthly")
    assert dcat3.frequency("R/P1M/extra") == {"@type": "dcterms:Frequency",
                                              "rdfs:label": "R/P1M/extra"}


def test_registered_as_dcat_us3() -> None:
    assert EXPORTS["dcat-us3"].load() is dcat3.export


# -- the official JSON Schema -------------------------------------------------------------

def _date_time(value: object) -> bool:
    import datetime as dt

    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _without_ids(schema: Any) -> Any:
    """The schema without ``$id``: the official files give each property the IRI of its
    RDF property as ``$id`` (an annotation), which would make every ``#/definitions/…``
    inside it resolve against that IRI instead of the bundle."""
    if isinstance(schema, dict):
        return {k: _without_ids(v) for k, v in schema.items() if k != "$id"}
    if isinstance(schema, list):
        return [_without_ids(v) for v in schema]
    return schema


def schema_validator() -> Draft7Validator:
    """The official DCAT-US 3.0 JSON Schema, every ``#/definitions/X`` resolved to
    ``definitions/X.json`` (bundled under one root so the references resolve), the
    Catalog as the root. The schema references nine classes it does not define
    (Resource, Frequency, LinguisticSystem, …): inline objects, unchecked. The
    date-time format is checked (the schema's date alternatives are a oneOf, which an
    unchecked date-time would make ambiguous)."""
    definitions = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                   for p in sorted((JSONSCHEMA / "definitions").glob("*.json"))}
    top = json.loads((JSONSCHEMA / "dcat_us_3.0.0_schema.json").read_text(encoding="utf-8"))
    assert {v["$ref"] for v in top["definitions"].values()} == \
        {f"definitions/{n}.json" for n in definitions}
    refs = set(re.findall(r'"#/definitions/(\w+)"', json.dumps(definitions)))
    missing = refs - set(definitions)
    assert missing == {"Resource", "Frequency", "LinguisticSystem", "ImageObject", "Role",
                       "Policy", "ChecksumAlgorithm", "Dimension", "anySimpleType"}
    for name in missing:
        definitions[name] = {"type": "object"}
    bundle = {"$schema": top["$schema"], "definitions": _without_ids(definitions),
              "$ref": "#/definitions/Catalog"}
    checker = FormatChecker()
    checker.checks("date-time")(_date_time)
    return Draft7Validator(bundle, format_checker=checker)


def test_export_is_valid_against_the_official_json_schema(cat: PublicCatalog) -> None:
    doc = dcat3.build(cat)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}"
              for e in schema_validator().iter_errors(doc)]
    assert errors == []
    assert doc["@type"] == "Catalog" and len(doc["dataset"]) == len(cat.datasets)


def test_the_json_schema_does_catch_a_broken_record(cat: PublicCatalog) -> None:
    doc = dcat3.build(cat)
    del doc["dataset"][0]["title"]
    doc["dataset"][1]["modified"] = "last week"
    paths = {"/".join(map(str, e.absolute_path)) for e in schema_validator().iter_errors(doc)}
    assert {"dataset/0", "dataset/1/modified"} <= paths or "dataset/0" in paths


def test_licence_and_keywords_survive_json_ld(cat: PublicCatalog, text: str,
                                             offline: None) -> None:
    g = parse(text)
    licensed = [d for d in cat.datasets if d["visibility"] == "public" and
                cat.licenses.get(d["license"] or "", {}).get("url")]
    assert licensed
    for d in licensed:
        node = URIRef(f"{cat.base_url}/datasets/{d['id']}")
        assert str(g.value(node, ns.DCTERMS.license)) == cat.licenses[d["license"]]["url"]
    for d in cat.datasets:
        node = URIRef(f"{cat.base_url}/datasets/{d['id']}")
        got = {str(k) for k in g.objects(node, ns.DCAT.keyword)}
        assert got == set(cat.keywords.get(d["id"], []))
        modified = g.value(node, ns.DCTERMS.modified)
        if d["modified"]:
            assert modified.datatype == ns.XSD.date
