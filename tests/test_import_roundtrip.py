"""data.json import → validate → build → export loses nothing: every DCAT-US 1.1 property
and every extension property of three real catalogs comes back equal, field by field,
after normalising only what the schema requires (docs/formats/import-datajson.md,
"Round trip"). Bad text in a real catalog is repaired per dataset."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.build import build, validate
from catalog.interop import datajson, source, sync
from catalog.interop import import_datajson as dj
from catalog.interop import plan as imp
from catalog.project import Project

from .conftest import MakeProject
from .test_export_datajson import errors, validator
from .test_import_datajson import _entry

FIXTURES = Path(__file__).parent / "fixtures" / "datajson"
# what a listed (non-public) dataset shows in the public export: existence and summary
LISTED = {"@type", "identifier", "title", "description", "keyword", "modified", "publisher",
          "contactPoint", "accessLevel", "rights", "bureauCode", "programCode", "theme"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _build(root: Path) -> dict[str, dict[str, Any]]:
    outcome = build(Project(root), root / "build", allow_warnings=True)
    assert outcome.report.ok, [p.as_line() for p in outcome.report.errors][:5]
    exported = datajson.build(source.read(root / "build" / "public.db"))
    return {d["identifier"]: d for d in exported["dataset"]}


def _import(root: Path, data: Any) -> imp.ImportResult:
    result = imp.plan(dj.parse_data(data), Project(root), source="fixture")
    return sync.sync(result, Project(root))


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def expected(entry: dict[str, Any]) -> dict[str, Any]:
    """The source entry after the normalisations the schema asks for (and nothing else)."""
    out = dict(entry)
    if not (out.get("description") or "").strip():
        out["description"] = out["title"]  # description is required
    raw = out.get("keyword")
    if raw is not None:
        items = [k.strip() for k in raw.split(",")] if isinstance(raw, str) else raw
        out["keyword"] = list(dict.fromkeys(k for k in items if isinstance(k, str) and k.strip()))
    cp = dict(out.get("contactPoint") or {})
    if cp.get("hasEmail") and not cp["hasEmail"].startswith("mailto:"):
        cp["hasEmail"] = f"mailto:{cp['hasEmail']}"  # the schema's pattern
    if not cp.get("fn"):
        cp["fn"] = out["publisher"]["name"]  # fn is required
    out["contactPoint"] = cp
    if out["accessLevel"] != "public" and not out.get("rights"):
        out.pop("rights", None)  # the export adds a default sentence
    dists = []
    for d in out.get("distribution") or []:
        d = dict(d)
        if "downloadURL" in d and not d.get("mediaType"):
            d["mediaType"] = "application/octet-stream"  # required with a download
        dists.append(d)
    if dists:
        out["distribution"] = dists
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def compare(source_entry: dict[str, Any], exported: dict[str, Any], keys: set[str] | None
            ) -> list[str]:
    """The properties of ``source_entry`` that do not come back (``keys``: only these)."""
    want = expected(source_entry)
    lost = []
    for key, value in want.items():
        if keys is not None and key not in keys:
            continue
        got = exported.get(key)
        if key == "distribution":  # JSON-LD sets: order is not information
            same = sorted(map(_canon, value)) == sorted(map(_canon, got or []))
        else:
            same = _canon(got) == _canon(value)
        if not same:
            lost.append(key)
    return lost


@pytest.mark.parametrize("name", ["fcc.json", "gsa.json", "ny.data.json"])
def test_every_field_round_trips(make_project: MakeProject, name: str) -> None:
    root = make_project(base=False)
    data = _load(name)
    _import(root, data)
    out = _build(root)
    assert len(out) == len(data["dataset"])
    lost: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for entry in data["dataset"]:
        listed = entry["accessLevel"] == "non-public"
        keys = LISTED if listed else None
        for key in lost_keys(entry, out[entry["identifier"]], keys):
            lost[key] += 1
        checked.update(k for k in entry if keys is None or k in keys)
        if not listed:  # nothing the source did not say, beyond what the schema requires
            added = set(out[entry["identifier"]]) - set(expected(entry)) - {"rights"}
            assert added == set(), (entry["identifier"], added)
    assert lost == Counter(), lost
    assert sum(checked.values()) > 0


def lost_keys(entry: dict[str, Any], exported: dict[str, Any], keys: set[str] | None
              ) -> list[str]:
    return compare(entry, exported, keys)


def test_gsa_counts_per_field(make_project: MakeProject) -> None:
    """The fields the issue found lost, counted on the real GSA catalog."""
    root = make_project(base=False)
    data = _load("gsa.json")
    _import(root, data)
    out = _build(root)
    public = [e for e in data["dataset"] if e["accessLevel"] != "non-public"]
    for key, count in {"license": 278, "theme": 208, "rights": 217, "language": 285,
                       "isPartOf": 165, "bureauCode": 306, "programCode": 306,
                       "dataQuality": 242, "describedBy": 91}.items():
        have = [e for e in public if key in e]
        assert len(have) == count, (key, len(have))
        assert all(_canon(out[e["identifier"]][key]) == _canon(e[key]) for e in have), key


def test_listed_records_become_whole_when_made_public(make_project: MakeProject) -> None:
    """Non-public entries are listed (a summary); a steward who publishes the whole
    record gets every property back, except downloads of non-public data."""
    root = make_project(base=False)
    data = _load("gsa.json")
    result = _import(root, data)
    for planned in result.datasets:
        path = root / planned.path
        text = path.read_text(encoding="utf-8")
        if "visibility: listed" in text:
            path.write_text(text.replace("visibility: listed", "visibility: public"),
                            encoding="utf-8")
    out = _build(root)
    non_public = [e for e in data["dataset"] if e["accessLevel"] == "non-public"]
    assert len(non_public) == 33
    for entry in non_public:
        got = out[entry["identifier"]]
        assert compare(entry, got, set(entry) - {"distribution"}) == [], entry["identifier"]
        kept = [d for d in entry.get("distribution") or [] if "downloadURL" not in d]
        assert sorted(map(_canon, got.get("distribution") or [])) == \
            sorted(map(_canon, kept))


def test_export_of_an_import_validates(make_project: MakeProject) -> None:
    root = make_project(base=False)
    _import(root, _load("gsa.json"))
    _build(root)
    doc = datajson.build(source.read(root / "build" / "public.db"))
    for flavour in ("non-federal-v1.1", "federal-v1.1"):  # GSA gives bureau and program
        assert errors(validator(flavour), doc) == [], flavour


def test_licence_urls_map_and_keep_their_spelling(make_project: MakeProject) -> None:
    root = make_project(base=False)
    result = _import(root, {"dataset": [
        _entry(1, license="http://www.usa.gov/publicdomain/label/1.0/"),
        _entry(2, license="http://www.opendefinition.org/licenses/cc-by"),
        _entry(3, license="https://creativecommons.org/licenses/by/4.0/legalcode"),
        _entry(4, license="https://opendatacommons.org/licenses/odbl/1.0/"),
        _entry(5, license="https://creativecommons.org/publicdomain/zero/1.0/")]})
    terms = [yaml.safe_load(f.text).get("license") for f in result.datasets]
    assert terms == ["us-pd", "cc-by-4.0", "cc-by-4.0", "odc-odbl", "cc0-1.0"]
    assert [imp.entry_index(p) for p in result.problems if p.code == imp.LICENSE_MAPPED] == \
        [0, 1, 2, 3]
    out = _build(root)
    assert [out[f"id-{i}"]["license"] for i in range(1, 6)] == [
        "http://www.usa.gov/publicdomain/label/1.0/",
        "http://www.opendefinition.org/licenses/cc-by",
        "https://creativecommons.org/licenses/by/4.0/legalcode",
        "https://opendatacommons.org/licenses/odbl/1.0/",
        "https://creativecommons.org/publicdomain/zero/1.0/"]


def test_a_steward_changing_the_licence_wins(make_project: MakeProject) -> None:
    root = make_project(base=False)
    result = _import(root, {"dataset": [_entry(1, license="http://www.usa.gov/publicdomain/"
                                                          "label/1.0/")]})
    path = root / result.datasets[0].path
    path.write_text(path.read_text(encoding="utf-8").replace("license: us-pd",
                                                             "license: cc0-1.0"),
                    encoding="utf-8")
    assert _build(root)["id-1"]["license"] == \
        "https://creativecommons.org/publicdomain/zero/1.0/"


# -- bad text ---------------------------------------------------------------------------------

def test_lone_surrogates_in_a_real_catalog(make_project: MakeProject) -> None:
    """The GSA catalog with lone surrogates in three descriptions (as a federal catalog
    published them): every dataset imported, three repaired, each reported."""
    root = make_project(base=False)
    text = (FIXTURES / "gsa.json").read_text(encoding="utf-8")
    data = json.loads(text)
    for i in (3, 40, 200):
        data["dataset"][i]["description"] += " \ud83d end"  # half of an emoji's pair
    raw = json.dumps(data).encode("utf-8")  # JSON escapes: \ud83d
    path = root / "gsa-broken.json"
    path.write_bytes(raw)
    result = sync.import_catalog("datajson", path, Project(root))
    assert len(result.datasets) == 339 and result.skipped == []
    repaired = sorted(imp.entry_index(p) for p in result.problems if p.code == imp.TEXT_REPAIRED)
    assert repaired == [3, 40, 200]
    for planned in result.datasets:
        if planned.dataset_index in (3, 40, 200):
            assert yaml.safe_load(planned.text)["description"].endswith(" \ufffd end")
    assert validate(Project(root)).report.ok


def test_control_characters_and_mojibake(make_project: MakeProject) -> None:
    root = make_project(base=False)
    result = _import(root, {"dataset": [
        _entry(1, title="Caf\u00c3\u00a9 inspections", description="Line\x0bbreak\x00 here"),
        _entry(2)]})
    first = yaml.safe_load(result.datasets[0].text)
    assert first["title"] == "Café inspections" and first["description"] == "Linebreak here"
    (problem,) = [p for p in result.problems if p.code == imp.TEXT_REPAIRED]
    assert "mojibake in /title" in problem.message and "control characters" in problem.message
    assert problem.pointer == "/dataset/0"


@pytest.mark.parametrize("encoding, name", [("cp1252", "windows-1252"), ("utf-16", "utf-16"),
                                            ("utf-8-sig", None)])
def test_source_encodings(make_project: MakeProject, encoding: str, name: str | None) -> None:
    root = make_project(base=False)
    data = {"dataset": [_entry(1, title="Café – “quoted”")]}
    path = root / "data.json"
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode(encoding))
    result = sync.import_catalog("datajson", path, Project(root))
    assert yaml.safe_load(result.datasets[0].text)["title"] == "Café – “quoted”"
    warned = [p for p in result.problems if p.code == imp.P.SOURCE_ENCODING]
    assert [name in p.message for p in warned] == ([True] if name else [])


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
def test_dcat_us_3_of_an_import_validates(make_project: MakeProject) -> None:
    """An imported real catalog in DCAT-US 3.0: the official JSON Schema and SHACL
    shapes accept it, and the licences are kept."""
    import pyshacl
    from rdflib import Graph
    from rdflib import namespace as ns

    from catalog.interop import dcat3

    from .test_export_dcat3 import FIXTURES as DCAT3
    from .test_export_dcat3 import results, schema_validator

    root = make_project(base=False)
    _import(root, _load("fcc.json"))
    _build(root)
    doc = dcat3.build(source.read(root / "build" / "public.db"))
    assert [e.message for e in schema_validator().iter_errors(doc)] == []
    g = Graph().parse(data=json.dumps(doc), format="json-ld")
    shapes = Graph().parse(DCAT3 / "dcat-us_3.0_shacl_shapes.ttl", format="turtle")
    _, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="rdfs", advanced=True)
    assert results(report, ns.SH.Violation) == []
    licences = {str(o) for o in g.objects(None, ns.DCTERMS.license)}
    assert licences == {"https://www.usa.gov/government-works"}


def test_datapackage_of_only_imported_datasets(make_project: MakeProject, offline: None
                                               ) -> None:
    """Imported datasets have no data dictionary yet: each download is a plain data
    resource, and the package is valid (it used to be an error, a 500 on the site)."""
    from catalog.interop import datapackage

    from .test_export_datapackage import descriptor_errors

    root = make_project(base=False)
    _import(root, _load("fcc.json"))
    _build(root)
    descriptor = datapackage.build(source.read(root / "build" / "public.db"))
    assert len(descriptor["resources"]) == 58  # one FCC dataset has no distribution
    assert {r["profile"] for r in descriptor["resources"]} == {"data-resource"}
    assert descriptor_errors(descriptor) == []
