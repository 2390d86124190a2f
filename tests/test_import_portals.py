"""Socrata and CKAN imports on real portal files (tests/fixtures/SOURCES.md): a Socrata
asset inventory CSV in the encodings it really comes in, genuine /api/views documents,
and CKAN package_search and package_show responses. Each round-trips what it can map
through validate, build and the data.json export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.build import build, validate
from catalog.interop import IMPORTS, datajson, import_ckan, import_socrata, source, sync
from catalog.interop import plan as imp
from catalog.problems import CatalogError
from catalog.project import Project

from .conftest import MakeProject

FIXTURES = Path(__file__).parent / "fixtures"
INVENTORY = FIXTURES / "socrata" / "Asset_Inventory-2019-05-21.csv"
VIEWS = sorted((FIXTURES / "socrata" / "views").glob("*.json"))
CKAN = FIXTURES / "ckan"


def _rows() -> list[dict[str, str]]:
    with INVENTORY.open(encoding="utf-8", newline="") as fh:  # line breaks as in the file
        return list(csv.DictReader(fh))


def _imported(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["Derived View"] == "false"
            and r["Publication Stage"] == "published"]


def _export(root: Path) -> dict[str, dict[str, Any]]:
    outcome = build(Project(root), root / "build", allow_warnings=True)
    assert outcome.report.ok, [p.as_line() for p in outcome.report.errors][:5]
    return {d["identifier"]: d for d in
            datajson.build(source.read(root / "build" / "public.db"))["dataset"]}


def test_asset_inventory_round_trips(make_project: MakeProject) -> None:
    root = make_project(base=False)
    result = sync.import_catalog("socrata", INVENTORY, Project(root))
    rows = _rows()
    assert result.datasets_in_source == len(rows) == 322
    published = _imported(rows)
    assert len(result.datasets) == len(published) == 198
    assert len(result.skipped) == 124
    assert set(result.codes()) >= {imp.NOT_A_DATASET, imp.PUBLISHER_UNMAPPED}
    skipped = [p for p in result.problems if p.code == imp.NOT_A_DATASET]
    assert all(p.line and p.line > 1 for p in skipped)  # CSV problems name their line
    out = _export(root)
    for row in published:
        got = out[f"https://{row['Domain']}/api/views/{row['U ID']}"]
        assert got["title"] == row["Name"]
        assert got["description"] == (row["Description"] or row["Name"])
        assert got.get("keyword", []) == [k for k in row["Keywords"].split(",") if k]
        if row["Category"]:
            assert got["theme"] == [row["Category"]]
        assert got["accessLevel"] == ("public" if row["Public"] == "true" else "non-public")
        if row["Public"] == "true":
            assert got["landingPage"] == row["URL"]
    sample = yaml.safe_load(next(f.text for f in result.datasets if f.identifier ==
                                 "https://data.code4sa.org/api/views/8d9f-f6rq"))
    assert sample["extensions"]["socrata"]["provenance"] == "official"
    assert sample["extensions"]["datajson"]["license"] == "Public Domain"  # no licence URL


@pytest.mark.parametrize("encoding, delimiter, warned", [
    ("utf-8-sig", ",", False),   # "CSV for Excel": UTF-8 with a byte-order mark
    ("utf-8-sig", ";", False),   # "CSV for Excel (Europe)"
    ("utf-16", "\t", False),     # Excel's "Unicode text"
    ("cp1252", ",", True),       # saved again by Excel on Windows
])
def test_asset_inventory_in_its_real_encodings(make_project: MakeProject, encoding: str,
                                               delimiter: str, warned: bool) -> None:
    """The genuine file re-encoded the ways it reaches a catalog team."""
    root = make_project(base=False)
    rows = _rows()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path = root / "inventory.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    result = sync.import_catalog("socrata", path, Project(root))
    assert len(result.datasets) == 198
    assert (imp.P.SOURCE_ENCODING in result.codes()) is warned
    texts = {f.identifier: yaml.safe_load(f.text) for f in result.datasets}
    court = texts["https://data.code4sa.org/api/views/iwu7-xrdf"]["description"]
    assert "Commissioner’s office" in court  # a right single quote, U+2019, in every encoding


def test_api_views_list(make_project: MakeProject) -> None:
    """Genuine /api/views/<uid> documents, joined into the list /api/views.json returns."""
    root = make_project(base=False)
    chicago = [p for p in VIEWS if p.name.startswith("data.cityofchicago.org")]
    views = [json.loads(p.read_text(encoding="utf-8")) for p in VIEWS
             if p.name.startswith("opendata.socrata.com")]
    path = root / "views.json"
    path.write_text(json.dumps(views), encoding="utf-8")
    result = sync.import_catalog("socrata", path, Project(root),
                                 portal="https://opendata.socrata.com")
    assert result.datasets_in_source == 3 and len(result.datasets) == 3
    one = sync.import_catalog("socrata", chicago[0], Project(root),
                              portal="https://data.cityofchicago.org")
    (planned,) = one.datasets
    ds = yaml.safe_load(planned.text)
    assert ds["identifier"] == "https://data.cityofchicago.org/api/views/7ray-xvet"
    assert ds["keywords"] == ["performance metrics", "buildings", "permits"]
    assert ds["extensions"]["datajson"]["theme"] == ["Administration & Finance"]
    assert ds["extensions"]["socrata"]["custom_fields"]["Metadata"]["Frequency"] == \
        "Data is updated weekly"
    columns = ds["extensions"]["socrata"]["columns"]  # the data dictionary, kept for stewards
    assert columns and all(c["fieldName"] and c["dataTypeName"] for c in columns)
    out = _export(root)
    assert out[ds["identifier"]]["theme"] == ["Administration & Finance"]


def test_every_genuine_view_imports(make_project: MakeProject) -> None:
    root = make_project(base=False)
    views = [json.loads(p.read_text(encoding="utf-8")) for p in VIEWS]
    path = root / "views.json"
    path.write_text(json.dumps(views), encoding="utf-8")
    result = sync.import_catalog("socrata", path, Project(root), portal="https://x.gov")
    kinds = {imp.entry_index(p): p.code for p in result.problems
             if p.code in (imp.NOT_A_DATASET, imp.DATASET_SKIPPED)}
    assert len(result.datasets) + len(kinds) == len(VIEWS) == 8
    # the World Bank view is a chart filtered from another dataset
    world_bank = [i for i, p in enumerate(VIEWS) if "worldbank" in p.name][0]
    assert kinds[world_bank] == imp.NOT_A_DATASET
    assert validate(Project(root)).report.ok


def test_views_file_needs_its_portal(make_project: MakeProject) -> None:
    root = make_project(base=False)
    with pytest.raises(CatalogError, match="does not say which portal") as exc:
        sync.import_catalog("socrata", VIEWS[0], Project(root))
    assert "--portal" in exc.value.hint


def test_ckan_package_search_and_show(make_project: MakeProject) -> None:
    root = make_project(base=False)
    search = json.loads((CKAN / "package_search.json").read_text(encoding="utf-8"))
    result = sync.import_catalog("ckan", CKAN / "package_search.json", Project(root))
    packages = search["result"]["results"]
    assert len(result.datasets) == len(packages) == 3
    out = _export(root)
    for pkg in packages:
        got = out[pkg["id"]]
        assert got["title"] == pkg["title"]
        assert got.get("keyword", []) == [t["name"] for t in pkg["tags"]]
        urls = {d.get("downloadURL", d.get("accessURL")) for d in got.get("distribution", [])}
        assert urls == {r["url"] for r in pkg["resources"]}
        assert got["publisher"]["name"] == (pkg.get("organization") or {}).get(
            "title", "demo.ckan.org")
    # package_show of the same packages: same identifiers, nothing new, nothing changed
    for show in sorted(CKAN.glob("package_show-*.json")):
        again = sync.import_catalog("ckan", show, Project(root))
        assert again.created == [] and again.updated == [] and len(again.unchanged) == 1


def test_ckan_licences_and_extras() -> None:
    pkg = {"id": "p1", "name": "p1", "title": "P", "notes": "N", "license_id": "cc-by",
           "private": True, "resources": [], "tags": [],
           "extras": [{"key": "spatial", "value": "Hartford"},
                      {"key": "bureauCode", "value": "015:11"},
                      {"key": "harvest_source", "value": "x"}]}
    entry, ext = import_ckan._entry(pkg, "https://data.ct.gov")
    assert entry["license"] == "http://www.opendefinition.org/licenses/cc-by"
    assert entry["accessLevel"] == "non-public" and entry["spatial"] == "Hartford"
    assert entry["bureauCode"] == ["015:11"] and ext["extras"] == {"harvest_source": "x"}
    assert entry["landingPage"] == "https://data.ct.gov/dataset/p1"


def test_unusable_sources(make_project: MakeProject) -> None:
    root = make_project(base=False)
    bad = root / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not a Socrata asset inventory"):
        sync.import_catalog("socrata", bad, Project(root))
    views = root / "views.json"
    views.write_text(VIEWS[0].read_text(encoding="utf-8").join("[]"), encoding="utf-8")
    with pytest.raises(CatalogError, match="Socrata /api/views list"):
        sync.import_catalog("datajson", views, Project(root))
    with pytest.raises(CatalogError, match="CKAN API response"):
        sync.import_catalog("datajson", CKAN / "package_search.json", Project(root))
    with pytest.raises(CatalogError, match="not a CKAN"):
        sync.import_catalog("ckan", FIXTURES / "datajson" / "ny.data.json", Project(root))


def test_importers_are_registered_one_module_each() -> None:
    assert set(IMPORTS) == {"datajson", "socrata", "ckan"}
    assert IMPORTS["socrata"].load() is import_socrata.parse
    assert IMPORTS["ckan"].load() is import_ckan.parse


def test_socrata_dates() -> None:
    assert import_socrata._iso("09/22/2014 05:34:00 PM +0000") == "2014-09-22T17:34:00+00:00"
    assert import_socrata._epoch(1317130554) == "2011-09-27T13:35:54+00:00"


@pytest.fixture
def portal(tmp_path: Path) -> Any:
    """A local HTTP server playing a portal: serves fixture files at API-like paths."""
    import functools
    import shutil
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root = tmp_path / "www"
    (root / "api").mkdir(parents=True)
    shutil.copy(FIXTURES / "datajson" / "ny.data.json", root / "data.json")
    shutil.copy(INVENTORY, root / "assets.csv")
    views = [json.loads(p.read_text(encoding="utf-8")) for p in VIEWS[:3]]
    (root / "api" / "views.json").write_text(json.dumps(views), encoding="utf-8")
    shutil.copy(CKAN / "package_search.json", root / "api" / "package_search")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_format_reads_a_url(make_project: MakeProject, portal: str) -> None:
    root = make_project(base=False)
    host = portal.split("://", 1)[1]
    ny = sync.import_catalog("datajson", f"{portal}/data.json", Project(root))
    assert len(ny.datasets) == 1
    assets = sync.import_catalog("socrata", f"{portal}/assets.csv", Project(root))
    assert len(assets.datasets) == 198
    views = sync.import_catalog("socrata", f"{portal}/api/views.json", Project(root))
    assert views.datasets_in_source == 3
    assert all(f.identifier.startswith(f"https://{host}/api/views/")  # the URL's portal
               for f in views.datasets)
    ckan = sync.import_catalog("ckan", f"{portal}/api/package_search", Project(root))
    assert len(ckan.datasets) == 3
    assert validate(Project(root)).report.ok
    with pytest.raises(CatalogError, match="cannot fetch"):
        sync.import_catalog("ckan", f"{portal}/missing", Project(root))
