"""data.json (DCAT-US 1.1) and the CSV listing, validated against the official schemas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from catalog.interop import EXPORTS, datajson, exporter
from catalog.interop.source import PublicCatalog, read

FIXTURES = Path(__file__).parent / "fixtures" / "dcat-us-1.1"
POD = "https://project-open-data.cio.gov/v1.1/schema/"


def validator(flavour: str) -> Draft4Validator:
    folder = FIXTURES / flavour
    resources = []
    for path in folder.glob("*.json"):
        schema = json.loads(path.read_text())
        resources.append((POD + path.name, Resource.from_contents(schema, DRAFT4)))
    registry = Registry().with_resources(resources)
    root = json.loads((folder / "catalog.json").read_text())
    return Draft4Validator(root, registry=registry,
                           format_checker=Draft4Validator.FORMAT_CHECKER)


def errors(v: Draft4Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in v.iter_errors(doc)]


def test_datajson_is_valid_non_federal_dcat_us(cat: PublicCatalog) -> None:
    doc = json.loads(datajson.export(cat))
    assert errors(validator("non-federal-v1.1"), doc) == []
    assert len(doc["dataset"]) == len(cat.datasets)


def test_datajson_is_valid_federal_when_codes_are_configured(cat: PublicCatalog) -> None:
    cat.info = {**cat.info, "bureau_code": ["000:00"], "program_code": ["000:000"]}
    doc = datajson.build(cat)
    found = errors(validator("federal-v1.1"), doc)
    # the federal flavour also requires keyword, modified and contactPoint.hasEmail
    assert found == [], found


def test_listed_non_public_records_have_no_distribution(cat: PublicCatalog) -> None:
    doc = datajson.build(cat)
    listed = {d["identifier"] for d in cat.datasets if d["visibility"] == "listed"}
    assert listed
    for ds in doc["dataset"]:
        if ds["identifier"] in listed:
            assert ds["accessLevel"] in ("non-public", "restricted public")
            assert "distribution" not in ds and ds["rights"]


def test_datajson_reads_only_public_db(sample_build: Path) -> None:
    with pytest.raises(ValueError, match="not a public catalog"):
        read(sample_build / "inventory.db")


def test_csv_listing_has_a_row_per_public_dataset(cat: PublicCatalog) -> None:
    rows = list(csv.DictReader(io.StringIO(exporter("csv").load()(cat))))
    assert len(rows) == len(cat.datasets)
    assert {r["Access level"] for r in rows} <= {"public", "restricted public", "non-public"}
    assert all(r["Catalog page"].startswith(cat.base_url) for r in rows)


def test_every_export_format_is_registered_with_a_file_name() -> None:
    assert set(EXPORTS) == {"datajson", "dcat-us3", "dcat-us3-turtle", "dcat-us3-rdfxml",
                            "dcat-us3-ntriples", "datapackage", "csv"}
    assert len({f.filename for f in EXPORTS.values()}) == len(EXPORTS)
