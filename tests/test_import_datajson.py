"""Import of a portal's data.json: real catalogs round-trip through validate, build and
export; messy entries become notes, never crashes."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from catalog.build import build, validate
from catalog.cli import main
from catalog.interop import datajson, fetch, source, sync
from catalog.interop import import_datajson as dj
from catalog.interop import plan as imp
from catalog.problems import CatalogError
from catalog.project import Project

from .conftest import MakeProject

FIXTURES = Path(__file__).parent / "fixtures" / "datajson"
TODAY = dt.date(2025, 3, 1)
URL = re.compile(r"^(https?|ftp)://\S+$")
# Validation warnings an import may cause, each traceable to the source (checked below).
EXPECTED_WARNINGS = {"public-without-distribution", "missing-rights", "missing-license"}


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project(base=False)


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _urls(entry: dict[str, Any]) -> set[str]:
    dists = entry.get("distribution") or []
    dists = [dists] if isinstance(dists, dict) else dists
    return {d.get("downloadURL", d.get("accessURL")) for d in dists if isinstance(d, dict)} - {None}


def _keywords(entry: dict[str, Any]) -> list[str] | None:
    raw = entry.get("keyword")
    items = [k.strip() for k in raw.split(",")] if isinstance(raw, str) else raw or []
    return list(dict.fromkeys(k for k in items if isinstance(k, str) and k.strip())) or None


def _plan(data: Any, root: Path, **kw: Any) -> imp.ImportResult:
    kw.setdefault("today", TODAY)
    return imp.plan(dj.parse_data(data), Project(root), source=kw.pop("source", "fixture"),
                    **kw)


def _import(data: Any, root: Path, **kw: Any) -> imp.ImportResult:
    return sync.sync(_plan(data, root, **kw), Project(root), today=TODAY)


def _notes(result: imp.ImportResult) -> set[tuple[int | None, str]]:
    return {(imp.entry_index(p), p.code) for p in result.problems}


def _round_trip(root: Path, data: Any, agency_map: dict[str, str] | None = None
                ) -> tuple[imp.ImportResult, Any, dict[str, dict[str, Any]]]:
    result = _import(data, root, agency_map=agency_map)
    inv = validate(Project(root))
    assert inv.report.ok, [p.as_line() for p in inv.report.errors][:5]
    build(Project(root), root / "build", allow_warnings=True)
    exported = datajson.build(source.read(root / "build" / "public.db"))
    return result, inv, {d["identifier"]: d for d in exported["dataset"]}


def _check_round_trip(data: dict[str, Any], result: imp.ImportResult, inv: Any,
                      exported: dict[str, dict[str, Any]]) -> int:
    """Every importable source dataset is exported unchanged; returns how many."""
    notes = _notes(result)
    models = {e.model.identifier: e.model for e in inv.datasets.values()}
    imported = {f.dataset_index for f in result.datasets}
    for index, entry in enumerate(data["dataset"]):
        if index not in imported:
            assert (index, imp.DATASET_SKIPPED) in notes, index
            continue
        out = exported[entry["identifier"]]
        assert out["title"] == entry["title"]
        if (entry.get("description") or "").strip():
            assert out["description"] == entry["description"]
        else:  # repaired, and said so
            assert out["description"] == entry["title"]
            assert (index, imp.VALUE_REPAIRED) in notes
        assert out["accessLevel"] == entry["accessLevel"]
        assert out.get("keyword") == _keywords(entry)
        assert out.get("modified") == entry.get("modified")
        assert out["publisher"]["name"] == entry["publisher"]["name"]
        source_urls = _urls(entry)
        model = models[entry["identifier"]]
        kept = model.extensions.get("datajson", {}).get("distribution", [])
        held = {d.url for d in model.distributions} | _urls({"distribution": kept})
        assert held == source_urls, "a distribution URL was dropped"
        if entry["accessLevel"] in ("public", "restricted public"):
            exported_urls = _urls(out)
            assert exported_urls == {u for u in source_urls if URL.match(u)} - _urls(
                {"distribution": kept})
            if exported_urls != source_urls:
                assert (index, imp.DISTRIBUTION_KEPT) in notes
        else:  # listed: the export shows existence, not distributions
            assert "distribution" not in out
        unmapped = {k for k in entry if k not in imp.DATASET_PROPERTIES} - {"license"}
        assert unmapped <= set(model.extensions.get("datajson", {})), "a property was dropped"
    return len(imported)


def _expected_warnings(data: dict[str, Any], inv: Any) -> dict[str, int]:
    """The validation warnings the source explains: public datasets without a usable
    distribution or license, restricted datasets that give no reason."""
    counts = {"public-without-distribution": 0, "missing-rights": 0, "missing-license": 0}
    for e in inv.datasets.values():
        d = e.model
        if d.access.level.value == "public" and not d.distributions:
            counts["public-without-distribution"] += 1
        if d.access.level.value == "public" and not d.license:
            counts["missing-license"] += 1
        if d.access.level.value != "public" and not d.access.rights:
            counts["missing-rights"] += 1
    return {k: v for k, v in counts.items() if v}


@pytest.mark.parametrize(("name", "total", "agency_map", "agencies"), [
    ("fcc.json", 59, {"opendata.fcc.gov": "fcc"}, 1),
    ("gsa.json", 339, {"General Services Administration": "gsa"}, 12),
    ("ny.data.json", 1, {}, 1),
])
def test_real_catalog_round_trips(project: Path, name: str, total: int,
                                  agency_map: dict[str, str], agencies: int) -> None:
    data = _load(name)
    result, inv, exported = _round_trip(project, data, agency_map)
    assert result.datasets_in_source == total
    assert _check_round_trip(data, result, inv, exported) == total
    assert result.skipped == []
    assert len(set(result.agencies.values())) == agencies
    assert len(result.written) == total + agencies
    codes = {p.code for p in inv.report}
    assert codes <= EXPECTED_WARNINGS, codes
    found = {c: sum(1 for p in inv.report if p.code == c) for c in codes}
    assert found == _expected_warnings(data, inv)
    assert len(exported) == total


def test_real_catalog_notes(project: Path) -> None:
    """What the real catalogs need a steward for: exactly these warnings."""
    fcc = _plan(_load("fcc.json"), project, agency_map={"opendata.fcc.gov": "fcc"})
    warnings = sorted((imp.entry_index(n), n.code) for n in fcc.problems
                      if n.severity == "warning")
    assert warnings == [(13, imp.VALUE_REPAIRED),
                        (48, imp.VALUE_REPAIRED)]  # two empty descriptions
    gsa = _plan(_load("gsa.json"), project)
    codes = [n.code for n in gsa.problems if n.severity == "warning"]
    assert codes.count(imp.PUBLISHER_UNMAPPED) == 12
    assert codes.count(imp.VALUE_KEPT) == 2  # licenses not in the vocabulary: SMART, MIT-0
    # usa.gov public-domain label and CC0 without https or the final slash: well-known URLs
    assert gsa.codes().count(imp.LICENSE_MAPPED) == 19
    assert codes.count(imp.DISTRIBUTION_KEPT) == 24  # no URL, non-public downloads
    assert set(codes) == {imp.PUBLISHER_UNMAPPED, imp.VALUE_KEPT, imp.DISTRIBUTION_KEPT}
    assert gsa.agencies["138"] == "138"  # a real publisher name
    kept = [n for n in gsa.problems if n.code == imp.PROPERTIES_KEPT and imp.entry_index(n) == 0]
    assert "bureauCode" in kept[0].message and "programCode" in kept[0].message


def test_descriptor_text(project: Path) -> None:
    result = _plan(_load("ny.data.json"), project, agency_map={"State of New York": "ny"})
    agency, dataset = result.files
    assert agency.path.as_posix() == "inventory/ny/_agency.yml"
    assert yaml.safe_load(agency.text)["name"] == "State of New York"
    assert "# REVIEW: confirm the agency data officer\ndata_officer:" in agency.text
    text = dataset.text
    assert dataset.path.as_posix() == f"inventory/ny/{yaml.safe_load(text)['id']}.yml"
    assert text.startswith("# yaml-language-server: $schema=../../docs/schema/dataset.schema"
                           ".json\n# Imported on 2025-03-01 from fixture\n")
    assert "# REVIEW: is this a high-value asset (Public Act 18-175)?\nhigh_value:\n" \
        "  value: false\n" in text
    assert "# REVIEW: confirm the steward\nsteward:" in text
    assert "  modified: '2019-06-10'\n" in text  # dates stay text
    assert "classification" not in text


# -- messy input ------------------------------------------------------------------------------

def _entry(n: int, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "@type": "dcat:Dataset", "identifier": f"id-{n}", "title": f"Dataset {n}",
        "description": f"Description {n}.", "keyword": ["a", "b"], "modified": "2024-01-02",
        "publisher": {"@type": "org:Organization", "name": "Department of Testing"},
        "contactPoint": {"@type": "vcard:Contact", "fn": "Pat", "hasEmail": "mailto:pat@ct.gov"},
        "accessLevel": "public",
        "distribution": [{"@type": "dcat:Distribution", "downloadURL": f"https://x.gov/{n}.csv",
                          "mediaType": "text/csv"}],
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


MESSY = [
    "not an object",                                                  # 0 skipped
    _entry(1, title=None),                                            # 1 skipped
    _entry(2, identifier=""),                                         # 2 skipped
    _entry(3, keyword="x, y, , x"),                                   # 3 repaired
    _entry(4, landingPage="not a url", license="https://example.org/my-licence"),
    _entry(5, distribution={"downloadURL": "https://x.gov/5.csv"}),   # 5 object → list
    _entry(6, distribution=[{"downloadURL": "gopher://x.gov/6.csv"}, 7, {"title": "no url"}]),
    _entry(7, modified="R/P1D", accrualPeriodicity="weekly", temporal="2020/2021"),
    _entry(8, accessLevel="secret"),                                  # 8 skipped
    _entry(9, accessLevel="Public", temporal="2020-01-01/2020-12-31", spatial="Hartford"),
    _entry(3),                                                        # 10 duplicate: skipped
    _entry(11, contactPoint=None, description=""),
    _entry(12, accessLevel="non-public", rights="Statute."),          # download kept aside
    _entry(13, publisher={"name": "Office of Tests", "subOrganizationOf": {"name": "State"}},
           bureauCode=["000:00"], theme=["Health"], keyword=[1, "ok", {"x": 1}]),
    _entry(14, publisher=None),                                       # 14 skipped
    _entry(15, distribution=[{"accessURL": "https://x.gov/15", "mediaType": "text/html"},
                             {"accessURL": "https://x.gov/api"},
                             {"downloadURL": "https://x.gov/a.csv", "mediaType": "text/csv",
                              "extra": True},
                             {"downloadURL": "https://x.gov/b.csv", "mediaType": "text/csv"}]),
]


def _by_index(result: imp.ImportResult) -> dict[int, dict[str, Any]]:
    return {f.dataset_index: yaml.safe_load(f.text) for f in result.datasets
            if f.dataset_index is not None}


def _codes(result: imp.ImportResult, index: int) -> list[str]:
    return result.codes(index)


def test_messy_entries_are_repaired_or_skipped(project: Path) -> None:
    data = {"dataset": copy.deepcopy(MESSY), "extra": 1}
    result = _import(data, project)
    assert result.skipped == [0, 1, 2, 8, 10, 14]
    for i in result.skipped:
        assert _codes(result, i) == [imp.DATASET_SKIPPED]
    ds = _by_index(result)
    assert ds[3]["keywords"] == ["x", "y"]
    assert _codes(result, 3) == [imp.VALUE_REPAIRED, imp.KEYWORD_DROPPED]
    assert ds[4]["extensions"]["datajson"] == {"landingPage": "not a url",
                                               "license": "https://example.org/my-licence"}
    assert "landing_page" not in ds[4] and "license" not in ds[4]
    assert [d["url"] for d in ds[5]["distributions"]] == ["https://x.gov/5.csv"]
    assert "distributions" not in ds[6]
    assert ds[6]["extensions"]["datajson"]["distribution"] == MESSY[6]["distribution"]
    assert _codes(result, 6).count(imp.DISTRIBUTION_KEPT) == 3
    assert ds[7]["extensions"]["datajson"] == {"modified": "R/P1D", "accrualPeriodicity":
                                               "weekly", "temporal": "2020/2021"}
    assert "modified" not in ds[7].get("lifecycle", {})
    assert ds[9]["access"] == {"level": "public", "visibility": "public"}
    assert ds[9]["lifecycle"]["temporal"] == {"start": "2020-01-01", "end": "2020-12-31"}
    assert ds[9]["lifecycle"]["spatial"] == "Hartford"
    assert ds[11]["steward"] == {"name": "Department of Testing"}
    assert ds[11]["description"] == "Dataset 11"
    assert set(_codes(result, 11)) == {imp.MISSING_CONTACT, imp.VALUE_REPAIRED}
    assert ds[12]["access"] == {"level": "non-public", "visibility": "listed",
                                "rights": "Statute."}
    assert "distributions" not in ds[12]
    ext13 = ds[13]["extensions"]["datajson"]
    assert ext13["publisher"] == {"subOrganizationOf": {"name": "State"}}
    assert ext13["bureauCode"] == ["000:00"] and ext13["theme"] == ["Health"]
    assert ds[13]["keywords"] == ["1", "ok"] and ext13["keyword"] == [1, "ok", {"x": 1}]
    assert ds[13]["agency"] == "office-of-tests"
    dists = ds[15]["distributions"]
    assert [(d["id"], d["kind"]) for d in dists] == [
        ("html", "landing-page"), ("api", "api"), ("csv", "download"), ("csv-2", "download")]
    # a null title: the source had none, so the export leaves the derived one out
    assert ds[15]["extensions"]["datajson_distribution"] == {
        "html": {"title": None}, "api": {"title": None}, "csv": {"extra": True, "title": None},
        "csv-2": {"title": None}}
    assert [n.code for n in result.problems if imp.entry_index(n) is None].count(
        imp.SOURCE_FORMAT) == 1  # the catalog-level "extra"
    inv = validate(Project(project))
    assert inv.report.ok, [p.as_line() for p in inv.report.errors]
    assert {p.code for p in inv.report} <= EXPECTED_WARNINGS


def test_messy_real_catalog(project: Path) -> None:
    """The FCC catalog with broken entries mixed in still round-trips the rest."""
    data = _load("fcc.json")
    data["dataset"][5] = ["a list"]
    del data["dataset"][7]["title"]
    data["dataset"][8]["keyword"] = ", ".join(data["dataset"][8]["keyword"])
    data["dataset"][10]["distribution"] = data["dataset"][10]["distribution"][0]
    result, inv, exported = _round_trip(project, data)
    assert result.skipped == [5, 7]
    assert _check_round_trip(data, result, inv, exported) == 57


def test_long_titles_make_valid_unique_ids(project: Path) -> None:
    long = "A very long title " * 10
    data = {"dataset": [_entry(i, title=long) for i in range(3)]}
    result = _plan(data, project)
    ids = [yaml.safe_load(f.text)["id"] for f in result.datasets]
    assert len(set(ids)) == 3 and ids[1].endswith("-2") and ids[2].endswith("-3")
    assert all(len(i) <= 80 and re.match(imp.ID_PATTERN, i) for i in ids)
    assert imp.slugify("Ça coûte — 100 %") == "ca-coute-100"


@pytest.mark.parametrize(("content", "message"), [
    (b"<html>not json</html>", "is not JSON"),
    (b'{"title": "no dataset list"}', "not a data.json catalog"),
    (b"42", "not a data.json catalog"),
    (b"\xff\xfe", "is not JSON"),  # a UTF-16 byte-order mark and nothing else
])
def test_unusable_source_is_one_error(project: Path, content: bytes, message: str) -> None:
    path = project / "data.json"
    path.write_bytes(content)
    with pytest.raises(CatalogError, match=message) as exc:
        sync.import_catalog("datajson", path, Project(project))
    assert exc.value.hint
    assert not list((project / "inventory").iterdir())


def test_missing_file_and_unreachable_url(project: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        sync.import_catalog("datajson", project / "nope.json", Project(project))
    with pytest.raises(CatalogError, match="cannot fetch"):
        fetch.read("http://127.0.0.1:9/data.json", timeout=2)


def test_v1_0_list_is_accepted(project: Path) -> None:
    entry = _entry(1, publisher="Department of Testing", contactPoint="Pat Smith")
    entry["mbox"] = "pat@ct.gov"
    result = _plan([entry], project)
    assert [n.code for n in result.problems if n.severity == "warning"][:1] == [imp.SOURCE_FORMAT]
    ds = yaml.safe_load(result.datasets[0].text)
    assert ds["steward"] == {"name": "Pat Smith", "email": "pat@ct.gov"}
    assert "datajson" not in ds.get("extensions", {})  # mbox became the steward's email


# -- agency map, existing files, dry run -------------------------------------------------------

def test_agency_map_file_and_pairs(tmp_path: Path) -> None:
    path = tmp_path / "agencies.yml"
    path.write_text("General Services Administration: gsa\n", encoding="utf-8")
    assert imp.parse_agency_map([str(path), "Data.gov=datagov", "A=B=c"]) == {
        "General Services Administration": "gsa", "Data.gov": "datagov", "A=B": "c"}
    for bad in ("Name=Not An Id", "no-equals-sign", "=x"):
        with pytest.raises(CatalogError):
            imp.parse_agency_map([bad])
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not a mapping"):
        imp.parse_agency_map([str(path)])


def test_two_publishers_one_agency_and_existing_agency(make_project: MakeProject) -> None:
    root = make_project()  # has inventory/tst/_agency.yml, "Department of Testing"
    before = (root / "inventory/tst/_agency.yml").read_text(encoding="utf-8")
    data = {"dataset": [_entry(1), _entry(2, publisher={"name": "Testing Office"})]}
    result = _import(data, root, agency_map={"Department of Testing": "tst",
                                             "Testing Office": "tst"})
    assert (root / "inventory/tst/_agency.yml").read_text(encoding="utf-8") == before
    codes = result.codes()
    assert imp.AGENCY_EXISTS in codes and codes.count(imp.AGENCY_NAME_DIFFERS) == 1
    assert [f.kind for f in result.files] == ["dataset", "dataset"]
    assert validate(Project(root)).report.ok


def test_dry_run_writes_nothing(project: Path) -> None:
    result = sync.import_catalog("datajson", FIXTURES / "ny.data.json", Project(project),
                                 dry_run=True)
    assert len(result.written) == 2 and result.dry_run
    assert not list((project / "inventory").iterdir())


# -- command line ---------------------------------------------------------------------------

def test_cli_import(project: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["import", "datajson", str(FIXTURES / "fcc.json"), "--root", str(project),
            "--agency-map", "opendata.fcc.gov=fcc"]
    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would write 60 file(s) in inventory/fcc/" in dry.output
    assert not (project / "inventory" / "fcc").exists()
    run = runner.invoke(main, args)
    assert run.exit_code == 0, run.output
    assert "59 entries in the source: 59 imported, 0 skipped" in run.output
    assert "fcc.json#/dataset/13 warning value-repaired: " \
        "https://opendata.fcc.gov/api/views/a6ec-cry4: the source has no description" \
        in run.output
    quiet = runner.invoke(main, [*args, "-q"])
    assert quiet.exit_code == 0 and "properties-kept" not in quiet.output
    assert "0 new, 0 updated, 59 unchanged" in quiet.output
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    fail = runner.invoke(main, ["import", "datajson", str(bad), "--root", str(project)])
    assert fail.exit_code == 1 and "is not JSON" in fail.output and "hint:" in fail.output
    fail = runner.invoke(main, [*args, "--agency-map", "X=Bad Id"])
    assert fail.exit_code == 1 and "not a valid id" in fail.output


def test_fixtures_are_the_recorded_copies() -> None:
    import hashlib

    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("fcc.json", "gsa.json", "ny.data.json"):
        digest = hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()
        assert f"| `{name}` | {(FIXTURES / name).stat().st_size} | `{digest}` |" in sources


def test_import_format_is_registered() -> None:
    from catalog.interop import IMPORTS

    assert IMPORTS["datajson"].load() is dj.parse


def test_generated_files_are_checked(project: Path) -> None:
    """A value the loader cannot read back (absurd nesting) is reported, not hidden."""
    deep: Any = "bottom"
    for _ in range(60):
        deep = [deep]
    result = _plan({"dataset": [_entry(1, references=deep)]}, project,
                   agency_map={"Department of Testing": "tst"})
    assert [n.code for n in result.problems if n.severity == "warning"] == [imp.DESCRIPTOR_INVALID]
