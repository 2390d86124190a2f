"""Incremental builds: whatever the edit, patching the previous build gives the same
databases as a full build of the same sources, and only changed files are re-read."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from catalog import build as build_mod
from catalog.bench.generate import Scale, generate
from catalog.build import Outcome, build, check_project
from catalog.compile import INVENTORY_FILE, PUBLIC_FILE
from catalog.dbapi import sqlite3
from catalog.project import Project

from .conftest import REPO

TODAY = dt.date(2026, 11, 23)
FTS_TABLES = ("datasets_fts", "fields_fts", "standards_fts")


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a canonical order, with field ids replaced by (dataset,
    position) (ids are assigned in build order) and the build time left out."""
    conn = sqlite3.connect(db)
    try:
        for fts in FTS_TABLES:  # the full-text index agrees with its content table
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
        field_key = {i: (d, p) for i, d, p in conn.execute(
            "SELECT id, dataset_id, position FROM fields")}
        out: dict[str, list[tuple[Any, ...]]] = {}
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'")]
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
            found = []
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                rec = dict(zip(cols, row, strict=True))
                if table == "fields":
                    rec["id"] = field_key[rec["id"]]
                if table == "field_conformance":
                    rec["field_id"] = field_key[rec["field_id"]]
                if table == "meta" and rec["key"] in ("built_at", "git_commit"):
                    continue
                found.append(tuple(sorted((k, repr(v)) for k, v in rec.items())))
            out[table] = sorted(found)
        for word in ("town", "report", "child"):
            out[f"search:{word}"] = sorted(r[0] for r in conn.execute(
                "SELECT d.id FROM datasets_fts JOIN datasets d ON d.rowid = datasets_fts.rowid "
                "WHERE datasets_fts MATCH ?", (word,)))
        return out
    finally:
        conn.close()


def snapshot_meta(db: Path, key: str) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])
    finally:
        conn.close()


def same_as_full(root: Path) -> None:
    """The build in root/build equals a full build of the same sources elsewhere."""
    fresh = root.parent / f"{root.name}-full"
    shutil.rmtree(fresh, ignore_errors=True)
    day = dt.date.fromisoformat(snapshot_meta(root / "build" / INVENTORY_FILE, "validated_on"))
    outcome = build(Project(root), fresh, today=day, full=True, jobs=1)
    assert outcome.mode == "full", [p.as_line() for p in outcome.report.errors]
    for db in (INVENTORY_FILE, PUBLIC_FILE):
        assert snapshot(root / "build" / db) == snapshot(fresh / db), db


def run(root: Path, **kw: Any) -> Outcome:
    outcome = build(Project(root), today=TODAY, jobs=1, **kw)
    assert outcome.mode != "blocked", [p.as_line() for p in outcome.report.sorted()[:5]]
    return outcome


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    root = tmp_path / "inv"
    generate(root, Scale(agencies=3, datasets=30, fields=10, agreements=4), REPO / "standards")
    assert run(root).mode == "full"
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def dataset(root: Path, n: int) -> Path:
    return next((root / "inventory").glob(f"*/ag*-dataset-{n:05d}.yml"))


def test_unchanged_and_touched_files_are_not_read_again(bench: Path) -> None:
    before = (bench / "build" / INVENTORY_FILE).stat().st_mtime_ns
    manifest = bench / "build" / build_mod.MANIFEST
    outcome = run(bench)
    assert (outcome.mode, outcome.analysed) == ("unchanged", 0)
    written = manifest.stat().st_mtime_ns
    assert run(bench).mode == "unchanged"
    assert manifest.stat().st_mtime_ns == written  # nothing to do: nothing written
    path = dataset(bench, 3)
    path.write_text(path.read_text())  # new mtime, same content
    outcome = run(bench)
    assert (outcome.mode, outcome.analysed) == ("unchanged", 0)
    assert manifest.stat().st_mtime_ns != written  # the file's new stat is kept
    assert (run(bench).mode, run(bench).analysed) == ("unchanged", 0)
    assert (bench / "build" / INVENTORY_FILE).stat().st_mtime_ns == before
    later = build(Project(bench), today=TODAY + dt.timedelta(days=1), jobs=1)
    assert (later.mode, later.analysed) == ("incremental", 0)  # "reviewed" is day-bound
    same_as_full(bench)


def test_edits_patch_to_the_same_databases_as_a_full_build(bench: Path) -> None:
    edit(dataset(bench, 1), "title: ", "title: Renamed ")  # a public dataset changes
    hidden = dataset(bench, 10)  # a hidden dataset becomes public
    edit(hidden, "level: non-public", "level: public")
    edit(hidden, "visibility: hidden", "visibility: public")
    edit(hidden, "  level: confidential", "  level: public")
    _drop_personal_fields(hidden)  # published without its personal data
    hidden.write_text(hidden.read_text() + _public_extras())
    named = "".join(a.read_text() for a in (bench / "inventory" / "_agreements").iterdir())
    gone = next(n for n in range(11, 30) if f"dataset-{n:05d}" not in named)
    dataset(bench, gone).unlink()  # a dataset no agreement names goes away
    new = dataset(bench, 4).read_text().replace("dataset-00004", "dataset-00999")
    (dataset(bench, 4).parent / "ag001-dataset-00999.yml").write_text(new)  # one arrives
    outcome = run(bench, allow_warnings=True)
    assert (outcome.mode, outcome.analysed) == ("incremental", 3)
    same_as_full(bench)


def _drop_personal_fields(path: Path) -> None:
    """Remove the fields marked pii (unmarking them would not do: the catalog derives
    personal data from names and standards)."""
    import yaml

    data = yaml.safe_load(path.read_text())
    data["schema"]["fields"] = [f for f in data["schema"]["fields"] if not f.get("pii")]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _public_extras() -> str:
    return ("license: cc0-1.0\ndistributions:\n- id: csv\n  title: CSV\n  kind: download\n"
            "  media_type: text/csv\n  url: https://data.ct.gov/x.csv\n")


def test_a_file_renamed_keeps_its_dataset_once(bench: Path) -> None:
    path = dataset(bench, 7)
    target = bench / "inventory" / "ag002" / path.name
    edit(path, "agency: ag001", "agency: ag002")
    path.rename(target)
    outcome = run(bench, allow_warnings=True)
    assert outcome.mode == "incremental"
    same_as_full(bench)


def test_agreements_and_agencies_are_rewritten_whole(bench: Path) -> None:
    edit(bench / "inventory" / "ag000" / "_agency.yml", "name: ", "name: Renamed ")
    agreement = bench / "inventory" / "_agreements" / "agreement-0000.yml"
    edit(agreement, "title: ", "title: Retitled ")
    outcome = run(bench)
    assert (outcome.mode, outcome.analysed) == ("incremental", 0)
    same_as_full(bench)


def test_a_change_to_the_standards_rebuilds_everything(bench: Path) -> None:
    edit(bench / "standards" / "elements" / "ct-town.yml", "title: ", "title: The ")
    outcome = run(bench)
    assert (outcome.mode, outcome.analysed) == ("full", 30)


def test_a_new_duplicate_id_blocks_and_keeps_the_build(bench: Path) -> None:
    before = {db: (bench / "build" / db).read_bytes() for db in (INVENTORY_FILE, PUBLIC_FILE)}
    copy = dataset(bench, 4).read_text().replace("agency: ag001", "agency: ag002")
    (bench / "inventory" / "ag002" / "ag001-dataset-00004.yml").write_text(copy)
    outcome = build(Project(bench), today=TODAY, jobs=1)
    assert outcome.result is None and outcome.mode == "blocked"
    codes = {(p.code, p.file, p.line is not None) for p in outcome.report.errors}
    assert ("duplicate-id", "inventory/ag002/ag001-dataset-00004.yml", True) in codes
    assert {db: (bench / "build" / db).read_bytes() for db in before} == before
    (bench / "inventory" / "ag002" / "ag001-dataset-00004.yml").unlink()
    assert run(bench).mode == "unchanged"
    same_as_full(bench)


def test_an_unknown_agency_is_reported_at_its_line(bench: Path) -> None:
    edit(dataset(bench, 6), "agency: ag000", "agency: ag404")
    outcome = build(Project(bench), today=TODAY, jobs=1)
    found = [p for p in outcome.report.errors if p.code == "unknown-agency"]
    assert found and found[0].line and found[0].file.endswith("ag000-dataset-00006.yml")


def test_workers_build_what_one_process_builds(bench: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_mod, "POOL_MIN", 1)
    monkeypatch.setattr(build_mod, "CHUNK", 4)
    outcome = build(Project(bench), today=TODAY, jobs=2, full=True)
    assert (outcome.mode, outcome.analysed) == ("full", 30)
    same_as_full(bench)


def test_the_sample_inventory_builds_like_a_single_process_build(tmp_path: Path) -> None:
    """The build command and a full build in one process agree, and so do a check that
    keeps every model and one that reuses the cache; and a
    changed sample file is checked again although its descriptor did not change."""
    root = tmp_path / "repo"
    for part in ("inventory", "standards"):
        shutil.copytree(REPO / part, root / part)
    outcome = run(root)
    assert outcome.mode == "full" and outcome.report.errors == []
    reference = tmp_path / "reference"
    kept = check_project(Project(root), today=TODAY, keep=True)  # catalog conformance
    inv = kept.inventory
    assert inv is not None
    build(Project(root), reference, today=TODAY, jobs=1, full=True)
    checked = check_project(Project(root), today=TODAY)  # catalog validate and report
    assert checked.report.sorted() == inv.report.sorted()
    assert checked.scores == kept.scores
    for db in (INVENTORY_FILE, PUBLIC_FILE):
        assert snapshot(root / "build" / db) == snapshot(reference / db), db
    sample = next((root / "inventory").rglob("*.csv"))
    sample.write_text(sample.read_text() + "\n")  # a blank row: the sample is checked again
    outcome = build(Project(root), today=TODAY, jobs=1)
    assert (outcome.mode, outcome.analysed) == ("blocked", 1)
    assert {p.code for p in outcome.report.errors} == {"sample-invalid"}


def test_workers_stop_writing_at_a_repeated_id(bench: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A full build on workers: the duplicate is reported at its line and nothing is
    replaced; the shards the workers wrote are gone."""
    monkeypatch.setattr(build_mod, "POOL_MIN", 1)
    monkeypatch.setattr(build_mod, "CHUNK", 4)
    before = {db: (bench / "build" / db).read_bytes() for db in (INVENTORY_FILE, PUBLIC_FILE)}
    copy = dataset(bench, 4).read_text().replace("agency: ag001", "agency: ag002")
    (bench / "inventory" / "ag002" / "ag001-dataset-00004.yml").write_text(copy)
    outcome = build(Project(bench), today=TODAY, jobs=2, full=True)
    assert outcome.mode == "blocked"
    assert [(p.code, p.line is not None) for p in outcome.report.errors] == [
        ("duplicate-id", True)]
    assert {db: (bench / "build" / db).read_bytes() for db in before} == before
    assert not list((bench / "build").glob(".*.tmp"))
