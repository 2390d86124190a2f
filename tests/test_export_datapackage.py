"""Frictionless Data Package export: descriptors validated by Frictionless itself, metadata
only (no remote data is read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from frictionless import Package

from catalog.dbapi import sqlite3
from catalog.interop import EXPORTS, datapackage
from catalog.interop.source import PublicCatalog
from catalog.problems import CatalogError


def descriptor_errors(descriptor: dict[str, Any]) -> list[list[Any]]:
    report = Package.validate_descriptor(descriptor)
    return report.flatten(["type", "note"])  # type: ignore[no-any-return]


def downloadable(cat: PublicCatalog) -> dict[str, list[str]]:
    """Public datasets with a data dictionary and a file: id → field names."""
    return {d["id"]: [f["name"] for f in cat.fields[d["id"]]] for d in cat.datasets
            if d["visibility"] == "public" and cat.fields.get(d["id"])
            and any(r["kind"] == "download" for r in cat.distributions.get(d["id"], []))}


def test_catalog_package_is_a_valid_data_package(cat: PublicCatalog, offline: None) -> None:
    descriptor = json.loads(datapackage.export(cat))
    assert descriptor_errors(descriptor) == []
    assert descriptor["profile"] == "data-package"
    assert descriptor["id"] == f"{cat.base_url}/datapackage.json"


def test_each_dataset_package_is_valid(cat: PublicCatalog, offline: None) -> None:
    for dataset_id in downloadable(cat):
        descriptor = datapackage.dataset_package(cat, dataset_id)
        assert descriptor_errors(descriptor) == [], dataset_id
        assert [r["name"] for r in descriptor["resources"]] == [dataset_id]


@pytest.mark.parametrize("key, value, note", [
    ("path", None, 'one of the properties "path" or "data" is required'),
    ("name", "Not A Name", "does not match"),
    ("licenses", [{"title": "x"}], 'license requires "path" or "name"'),
])
def test_the_validator_does_catch_a_broken_resource(cat: PublicCatalog, key: str, value: Any,
                                                    note: str) -> None:
    descriptor = datapackage.build(cat)
    resource = descriptor["resources"][0]
    if value is None:
        del resource[key]
    else:
        resource[key] = value
    [(kind, found)] = descriptor_errors(descriptor)
    assert kind == "resource-error" and note in found


def test_every_dataset_with_a_dictionary_and_a_file_is_a_resource(cat: PublicCatalog) -> None:
    resources = {r["name"]: r for r in datapackage.build(cat)["resources"]}
    expected = downloadable(cat)
    assert expected
    assert {name: [f["name"] for f in r["schema"]["fields"]]
            for name, r in resources.items() if "schema" in r} == expected
    # a public download without a data dictionary is a plain data resource
    files = {d["id"] for d in cat.datasets if d["visibility"] == "public"
             and any(r["kind"] == "download" for r in cat.distributions.get(d["id"], []))}
    assert set(resources) == files
    assert all(r["profile"] == "data-resource" for n, r in resources.items()
               if n not in expected)


def test_csv_downloads_are_tabular_resources(cat: PublicCatalog) -> None:
    for r in datapackage.build(cat)["resources"]:
        if r["profile"] == "tabular-data-resource":
            assert (r["format"], r["mediatype"]) == ("csv", "text/csv")
        else:
            assert r["format"] != "csv" and r["path"].startswith("https://")


def test_datasets_without_a_file_are_left_out(sample_build: Path,
                                                            cat: PublicCatalog) -> None:
    text = datapackage.export(cat)
    names = {r["name"] for r in json.loads(text)["resources"]}
    with sqlite3.connect(sample_build / "inventory.db") as conn:
        every = {r[0] for r in conn.execute("select id from datasets")}
    visible = {d["id"]: d for d in cat.datasets}
    hidden = every - set(visible)
    listed = {i for i, d in visible.items() if d["visibility"] == "listed"}
    assert hidden and listed
    assert not names & (hidden | listed)
    for dataset_id in hidden:
        assert f'"{dataset_id}"' not in text and f"/{dataset_id}" not in text
    no_file = {i for i in visible if cat.fields.get(i)} - set(downloadable(cat))
    assert no_file and not names & no_file
    for dataset_id in no_file | listed:
        with pytest.raises(CatalogError):
            datapackage.dataset_package(cat, dataset_id)
    with pytest.raises(CatalogError, match="no public dataset"):
        datapackage.dataset_package(cat, min(hidden))


def test_schema_keeps_constraints_and_catalog_extensions(cat: PublicCatalog) -> None:
    pkg = datapackage.dataset_package(cat, "dcf-entries-to-care-by-town")
    fields = {f["name"]: f for f in pkg["resources"][0]["schema"]["fields"]}
    assert fields["town"]["standard"] == "ct-town"
    assert fields["state_fiscal_year"]["constraints"] == {
        "minimum": 2016, "maximum": 2026, "required": True}
    assert fields["entries"]["count"] is True
    assert "pii" not in fields["entries"] and "internal" not in fields["entries"]
    assert pkg["licenses"] == [{"path": "https://creativecommons.org/licenses/by/4.0/",
                                "title": "Creative Commons Attribution 4.0 International"}]


def test_registered_as_datapackage() -> None:
    assert EXPORTS["datapackage"].load() is datapackage.export
