"""Importing again is a sync: a three-way merge against the snapshot of the last import.
Source-only changes update, steward edits stay, both is a conflict; datasets gone from
the source are reported, never deleted; --dry-run writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from catalog.build import validate
from catalog.cli import main
from catalog.interop import plan as imp
from catalog.interop import sync
from catalog.project import Project

from .conftest import MakeProject

FIXTURES = Path(__file__).parent / "fixtures" / "datajson"


def _write(root: Path, data: Any) -> Path:
    path = root / "fcc.json"  # the same source name each time: one snapshot
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run(root: Path, data: Any, **kw: Any) -> imp.ImportResult:
    return sync.import_catalog("datajson", _write(root, data), Project(root),
                               agency_map={"opendata.fcc.gov": "fcc"}, **kw)


def _fcc() -> dict[str, Any]:
    return json.loads((FIXTURES / "fcc.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_merge3_per_field() -> None:
    base = {"title": "A", "access": {"level": "public", "rights": None}, "keywords": ["x"]}
    ours = {"title": "A (steward)", "access": {"level": "public", "rights": None},
            "keywords": ["x"]}
    theirs = {"title": "B", "access": {"level": "public", "rights": "new"},
              "keywords": ["x", "y"]}
    m = sync.merge3(base, ours, theirs)
    assert m.value == {"title": "A (steward)", "access": {"level": "public", "rights": "new"},
                       "keywords": ["x", "y"]}
    assert [(c.pointer, c.ours, c.theirs) for c in m.conflicts] == [
        ("/title", "A (steward)", "B")]
    assert sorted(m.taken) == ["/access/rights", "/keywords"]
    # no snapshot: what the steward lacks is filled, differences are conflicts
    m = sync.merge3(sync.MISSING, {"title": "A"}, {"title": "B", "x": 1})
    assert m.value == {"title": "A", "x": 1} and [c.pointer for c in m.conflicts] == ["/title"]


def test_reimport_updates_keeps_edits_and_reports_conflicts(make_project: MakeProject) -> None:
    root = make_project(base=False)
    data = _fcc()
    first = _run(root, data)
    assert len(first.created) == 60
    snap = sync.snapshot_path(Project(root), "datajson", str(root / "fcc.json"))
    assert snap.is_file() and snap.parent.name == "_imports"
    files = {f.identifier: root / f.path for f in first.datasets}
    ids = [e["identifier"] for e in data["dataset"]]
    # a steward edits two descriptors
    _edit(files[ids[0]], "  value: false", "  value: false\n  reason: Not federal reporting")
    _edit(files[ids[1]], f"title: {data['dataset'][1]['title']}", "title: Steward's title")
    # the source changes three datasets, drops one
    data["dataset"][0]["description"] = "New description from the portal"
    data["dataset"][1]["title"] = "Portal's new title"
    data["dataset"][2]["keyword"] = ["changed"]
    gone = data["dataset"].pop(3)["identifier"]
    before = {p: p.read_bytes() for p in files.values()}
    dry = _run(root, data, dry_run=True)
    assert {p.read_bytes() for p in files.values()} == set(before.values())
    assert len(dry.updated) == 2 and len(dry.conflicts) == 1 and dry.gone == [gone]
    second = _run(root, data)
    assert [p.name for p in second.updated] == [files[ids[0]].name, files[ids[2]].name]
    assert second.conflicts == [files[ids[1]].relative_to(root)]
    assert second.gone == [gone] and files[gone].exists()
    first_now = yaml.safe_load(files[ids[0]].read_text(encoding="utf-8"))
    assert first_now["high_value"] == {"value": False, "reason": "Not federal reporting"}
    assert first_now["description"] == "New description from the portal"
    second_now = files[ids[1]].read_text(encoding="utf-8")
    assert "title: Steward's title" in second_now
    (conflict,) = [p for p in second.problems if p.code == imp.P.SYNC_CONFLICT]
    assert conflict.pointer == "/title" and "Portal's new title" in conflict.message
    assert yaml.safe_load(files[ids[2]].read_text(encoding="utf-8"))["keywords"] == ["changed"]
    assert validate(Project(root)).report.ok
    # nothing changed since: a third import writes nothing and asks nothing again
    third = _run(root, data)
    assert third.updated == [] and third.conflicts == [] and third.gone == [gone]
    assert len(third.unchanged) == 58


def test_deleted_descriptor_is_not_recreated(make_project: MakeProject) -> None:
    root = make_project(base=False)
    data = _fcc()
    first = _run(root, data)
    victim = root / first.datasets[5].path
    victim.unlink()
    again = _run(root, data)
    assert not victim.exists()
    assert [p.code for p in again.problems].count(imp.P.DATASET_REMOVED_LOCALLY) == 1


def test_cli_dry_run_shows_the_changes(make_project: MakeProject) -> None:
    root = make_project(base=False)
    data = _fcc()
    _run(root, data)
    data["dataset"][0]["title"] = "Renamed at the source"
    path = _write(root, data)
    out = CliRunner().invoke(main, ["import", "datajson", str(path), "--root", str(root),
                                    "--agency-map", "opendata.fcc.gov=fcc", "--dry-run"])
    assert out.exit_code == 0, out.output
    (line,) = [x for x in out.output.splitlines() if "info dataset-updated: " in x]
    assert line.endswith("updated from the source: /title"), line
    assert "0 new, 1 updated, 58 unchanged" in out.output
    assert "Renamed at the source" not in "".join(
        p.read_text(encoding="utf-8") for p in (root / "inventory" / "fcc").glob("*.yml"))
