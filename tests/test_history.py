"""History on a real git repository made here: commits that add, edit in the dark,
publish, add PII, lower a classification and hide; a build after each commit
(incremental, as a steward's CI runs it), and the privacy of every history route and
feed after each step: public.db, read as raw bytes, holds no trace of a dataset's
non-public past, of hidden datasets' history, of commit messages or authors."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from catalog.build import build
from catalog.dbapi import sqlite3
from catalog.history import engine
from catalog.project import Project

from .conftest import AGENCY, DATASET, REPO, staff_cookies
from .gitrepo import IDENTITY, commit, git, init, write
from .test_corpus import edit
from .test_review import PRIVATE

TOWN = "inventory/tst/tst-town-counts.yml"
CASES = "inventory/tst/tst-case-records.yml"
LISTED = "inventory/tst/tst-listed-register.yml"
TOWN_V1 = DATASET + """\
personal_data:
  purpose: Counting residents for planning.
  access_procedure: Ask the department.
  contact:
    name: Privacy Officer
    email: privacy@ct.gov
"""

SECRET_TITLE = "Secret Case Ledger Alpha"
SECRET_DESCRIPTION = "HIDDENERA-DESCRIPTION-7731, every case since 1999."
# a case number identifies a person: the hidden past marks it, the published counts drop it
HIDDEN_CASES = PRIVATE.replace(
    "      description: Case number.\n", "      description: Case number.\n      pii: true\n"
).replace("title: Case records", f"title: {SECRET_TITLE}").replace(
    "Confidential under state law.", "Confidential under statute 17a-28-zz.").replace(
    "Name of the client.", "Name of the client, kept in the dark.")
PUBLISHED_CASES = """\
id: tst-case-records
title: Case records
description: Counts of cases handled by the department, by town.
agency: tst
high_value:
  value: true
  reason: Used to plan services.
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
access:
  level: public
  bulk_download: true
classification:
  level: public
  assessed_on: 2025-04-01
  assessed_by: Sam Steward
disclosure:
  suppression_policy: ct-small-n-5
schema:
  fields:
    - name: cases
      type: integer
      description: Cases handled.
    - name: town
      type: string
      description: Connecticut town.
      standard: ct-town
      constraints:
        enum: [Hartford, New Haven]
keywords: [cases]
license: cc0-1.0
distributions:
  - id: csv
    title: CSV download
    url: https://data.ct.gov/api/views/case-0001/rows.csv
    media_type: text/csv
lifecycle:
  update_frequency: R/P1Y
  modified: 2025-04-01
"""
LISTED_REGISTER = """\
id: tst-listed-register
title: Listed register
description: A register the public may know exists.
agency: tst
high_value:
  value: true
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
custodian:
  name: Custodian Person Eta
access:
  level: non-public
  visibility: listed
  rights: Available to researchers under an agreement.
classification:
  level: confidential
  assessed_on: 2025-01-15
  assessed_by: Sam Steward
schema:
  fields:
    - name: register_entry_secretfield
      type: string
      description: An entry of the register.
"""

# strings that must never reach public.db: the hidden past, internal fields, staff-only
# columns, commit messages and authors
NEVER_PUBLIC = [SECRET_TITLE, "HIDDENERA-DESCRIPTION-7731", "ssn_hidden_era",
                "client_name", "kept in the dark", "17a-28-zz", "resident_name_internal",
                "Custodian Person Eta", "Custodian Person Zeta", "register_entry_secretfield",
                IDENTITY["GIT_AUTHOR_NAME"], IDENTITY["GIT_AUTHOR_EMAIL"],
                "initial inventory", "darkroom edits", "publish the case records",
                "record an internal PII field", "lower the register", "hide the town counts"]


@dataclass
class Story:
    root: Path
    shas: dict[str, str] = field(default_factory=dict)
    builds: dict[str, Path] = field(default_factory=dict)  # step → copy of its build
    modes: dict[str, str] = field(default_factory=dict)


def _build(story: Story, step: str) -> None:
    outcome = build(Project(story.root), allow_warnings=True, jobs=1)
    assert outcome.mode != "blocked", [p.as_line() for p in outcome.report.errors]
    story.modes[step] = outcome.mode
    keep = story.root.parent / f"build-{step}"
    keep.mkdir()
    for db in ("inventory.db", "public.db"):
        shutil.copy2(story.root / "build" / db, keep / db)
    story.builds[step] = keep


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, standards_copy: Path) -> Story:
    root = tmp_path_factory.mktemp("history") / "project"
    shutil.copytree(standards_copy, root / "standards")
    init(root)
    s = Story(root)
    steps: list[tuple[str, str, dict[str, str | None], str]] = [
        ("c1", "initial inventory", {"inventory/tst/_agency.yml": AGENCY, TOWN: TOWN_V1,
                                     CASES: HIDDEN_CASES, LISTED: LISTED_REGISTER},
         "2025-01-15"),
        ("c2", "retitle the town counts", {TOWN: edit(
            "title: Town counts\n", "title: Town counts of things\n", TOWN_V1).replace(
            "    - name: things\n", "    - name: households\n      type: integer\n"
            "      description: Households counted.\n    - name: things\n")}, "2025-02-10"),
        ("c3", "darkroom edits", {CASES: HIDDEN_CASES.replace(
            "description: One record per case handled by the department.",
            f"description: {SECRET_DESCRIPTION}").replace(
            "    - name: case_id\n", "    - name: ssn_hidden_era\n      type: string\n"
            "      pii: true\n      internal: true\n    - name: case_id\n")}, "2025-03-05"),
        ("c4", "publish the case records", {CASES: PUBLISHED_CASES}, "2025-04-20"),
        ("c5", "record an internal PII field", {}, "2025-05-12"),  # files below
        ("c6", "lower the register", {LISTED: LISTED_REGISTER.replace(
            "  level: confidential", "  level: internal").replace(
            "Custodian Person Eta", "Custodian Person Zeta")}, "2025-06-03"),
        ("c7", "hide the town counts", {}, "2025-07-01"),
    ]
    for step, message, files, date in steps:
        if step == "c5":
            files = {TOWN: (root / TOWN).read_text().replace(
                "    - name: things\n", "    - name: resident_name_internal\n"
                "      type: string\n      pii: true\n      internal: true\n"
                "      description: Name of a resident.\n    - name: things\n")}
        if step == "c7":
            files = {TOWN: (root / TOWN).read_text().replace(
                "  level: public\n  api: true\n  bulk_download: true\n",
                "  level: non-public\n  visibility: hidden\n  rights: Withdrawn.\n")
                .replace("distributions:\n  - id: csv\n    title: CSV download\n"
                         "    url: https://data.ct.gov/api/views/abcd-1234/rows.csv\n"
                         "    media_type: text/csv\n", "")}
        s.shas[step] = commit(root, message, files, date=date)
        if step == "c4":
            git(root, "tag", "-a", "v1.0", "-m", "release 1.0")
        _build(s, step)
    return s


def _rows(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def _public(story: Story, step: str) -> Path:
    return story.builds[step] / "public.db"


def _staff(story: Story, step: str) -> Path:
    return story.builds[step] / "inventory.db"


# -- what history holds ------------------------------------------------------------------

def test_every_commit_after_the_first_builds_incrementally(story: Story) -> None:
    assert story.modes == {"c1": "full", **{f"c{i}": "incremental" for i in range(2, 8)}}


def test_staff_see_every_change_with_its_risk_flags(story: Story) -> None:
    rows = _rows(_staff(story, "c7"), "select c.*, m.subject, m.author from dataset_changes c "
                 "join commits m on m.sha = c.commit_sha where dataset_id = ? order by c.id",
                 "tst-case-records")
    assert [(r["commit_sha"], r["kind"]) for r in rows] == [
        (story.shas["c1"], "added"), (story.shas["c3"], "changed"),
        (story.shas["c4"], "changed")]
    assert rows[1]["subject"] == "darkroom edits" and rows[1]["author"] == "Gita Author"
    assert "Field ssn_hidden_era added (PII)" in rows[1]["summary"]
    risks = {r["code"] for r in json.loads(rows[2]["risks_json"])}
    assert risks == {"risk-more-visible", "risk-classification-lowered",
                     "risk-policy-removed"}
    assert rows[2]["opened"] == 1
    town = _rows(_staff(story, "c7"), "select * from dataset_changes where dataset_id = ? "
                 "order by id", "tst-town-counts")
    assert [r["kind"] for r in town] == ["added", "changed", "changed", "changed"]
    assert {r["code"] for r in json.loads(town[2]["risks_json"])} == {"risk-pii-exposed"}
    listed = _rows(_staff(story, "c7"), "select * from dataset_changes where dataset_id = ? "
                   "and commit_sha = ?", "tst-listed-register", story.shas["c6"])
    assert {r["code"] for r in json.loads(listed[0]["risks_json"])} == {
        "risk-classification-lowered"}


def test_the_public_sees_only_its_own_past(story: Story) -> None:
    rows = _rows(_public(story, "c7"), "select * from dataset_changes order by id")
    seen = [(r["dataset_id"], r["commit_sha"], r["kind"]) for r in rows]
    assert seen == [
        ("tst-listed-register", story.shas["c1"], "added"),
        # the case records' dark past (c1, c3) is not there: they appear when published
        ("tst-case-records", story.shas["c4"], "added"),
    ]  # the town counts are hidden now: none of their history is served
    assert [r["id"] for r in rows] == [1, 2]  # numbered afresh, no gaps
    assert rows[1]["summary"] == "Added to the public catalog"
    assert all(r["risks_json"] is None and r["opened"] is None for r in rows)
    commits = _rows(_public(story, "c7"), "select * from commits")
    assert {c["sha"] for c in commits} == {story.shas["c1"], story.shas["c4"]}
    assert all(c["author"] is None and c["subject"] is None for c in commits)


def test_public_changes_before_hiding(story: Story) -> None:
    rows = _rows(_public(story, "c6"), "select * from dataset_changes where dataset_id = ? "
                 "order by id", "tst-town-counts")
    assert [(r["commit_sha"], r["kind"]) for r in rows] == [
        (story.shas["c1"], "added"), (story.shas["c2"], "changed")]
    changes = json.loads(rows[1]["changes_json"])
    assert [c["property"] for c in changes] == [
        "title", "fields/households", "fields/households/type",
        "fields/households/description"]
    assert rows[1]["summary"] == ("Title changed from “Town counts” to “Town counts of "
                                  "things”; Field households added")
    # c5 added only an internal field: not a change the public saw
    listed = _rows(_public(story, "c6"), "select * from dataset_changes where dataset_id = ?",
                   "tst-listed-register")
    assert [r["kind"] for r in listed] == ["added"]  # c6 changed nothing a listing shows


def test_modified_dates_come_from_history_where_descriptors_state_none(story: Story) -> None:
    def modified(db: Path, dataset_id: str) -> tuple[Any, Any]:
        (row,) = _rows(db, "select modified, modified_source from datasets where id = ?",
                       dataset_id)
        return row["modified"], row["modified_source"]

    assert modified(_public(story, "c6"), "tst-town-counts") == ("2025-02-10", "history")
    assert modified(_staff(story, "c6"), "tst-town-counts") == ("2025-05-12", "history")
    assert modified(_public(story, "c7"), "tst-case-records") == ("2025-04-01", "descriptor")
    assert modified(_public(story, "c7"), "tst-listed-register") == ("2025-01-15", "history")
    assert modified(_staff(story, "c7"), "tst-listed-register") == ("2025-06-03", "history")


def test_scorecards_at_every_month_and_tag(story: Story) -> None:
    points = _rows(_staff(story, "c7"), "select distinct point, kind, commit_sha, date "
                   "from scorecard_history order by date, kind, point")
    assert [(p["point"], p["kind"]) for p in points] == [
        ("2025-01", "month"), ("2025-02", "month"), ("2025-03", "month"),
        ("2025-04", "month"), ("v1.0", "tag"), ("2025-05", "month"), ("2025-06", "month"),
        ("2025-07", "month")]
    opened = {p["point"]: p for p in _rows(
        _staff(story, "c7"), "select point, numerator, denominator from scorecard_history "
        "where scope = 'tst' and metric = 'api-access'")}
    assert (opened["2025-01"]["numerator"], opened["2025-01"]["denominator"]) == (1, 3)
    assert _rows(_public(story, "c7"), "select count(*) as n from scorecard_history") == [
        {"n": 0}]


def test_an_incremental_history_equals_a_cold_one(story: Story, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    build(Project(story.root), fresh, allow_warnings=True, jobs=1, full=True)
    for db in ("inventory.db", "public.db"):
        for table in ("dataset_changes", "commits", "scorecard_history"):
            sql = f"select * from {table} order by 1, 2, 3"
            assert _rows(story.root / "build" / db, sql) == _rows(fresh / db, sql), (db, table)
        sql = "select id, modified, modified_source from datasets order by id"
        assert _rows(story.root / "build" / db, sql) == _rows(fresh / db, sql), db


# -- privacy: bytes, routes, feeds ---------------------------------------------------------

@pytest.mark.parametrize("step", [f"c{i}" for i in range(1, 8)])
def test_public_db_bytes_hold_no_non_public_trace(story: Story, step: str) -> None:
    raw = _public(story, step).read_bytes()
    leaked = [s for s in NEVER_PUBLIC if s.encode() in raw]
    assert leaked == [], step
    if step == "c7":  # c2 and c5 changed only the town counts, hidden now
        for sha in (story.shas["c2"], story.shas["c5"], story.shas["c3"]):
            assert sha.encode() not in raw and sha[:10].encode() not in raw


def _get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    async def go() -> Any:
        return await ds.client.get(path, cookies=cookies or {})
    return asyncio.run(go())


ROUTES = ["/changes", "/changes.json", "/changes?agency=tst", "/changes.json?agency=tst",
          "/feeds/datasets.atom", "/feeds/agencies/tst.atom",
          "/public/dataset_changes.json?_shape=array&_size=max", "/public/dataset_changes.csv",
          "/public/commits.json?_shape=array", "/public.json?sql=select+*+from+dataset_changes",
          "/public.json?sql=select+*+from+commits", "/public/datasets.json?_shape=array",
          "/-/metadata.json", "/search.json?q=case"]
DATASETS = ["tst-town-counts", "tst-case-records", "tst-listed-register"]


@pytest.fixture(scope="module")
def apps(story: Story) -> dict[str, Any]:
    from catalog.site.config import Site

    return {step: Site(Project(REPO), story.builds[step]).app()
            for step in ("c3", "c6", "c7")}


@pytest.mark.parametrize("step", ["c3", "c6", "c7"])
def test_no_history_route_or_feed_leaks(story: Story, apps: dict[str, Any], step: str) -> None:
    ds = apps[step]
    paths = list(ROUTES) + [f"/datasets/{d}{suffix}" for d in DATASETS
                            for suffix in ("", ".json", "/history", "/history.json")]
    secrets = NEVER_PUBLIC + ([story.shas["c2"], story.shas["c5"]] if step == "c7" else [])
    for path in paths:
        r = _get(ds, path)
        assert r.status_code in (200, 404), (path, r.status_code)
        leaked = [s for s in secrets if s in r.text]
        assert leaked == [], (step, path)
    hidden = ["tst-case-records"] if step == "c3" else ["tst-town-counts"] \
        if step == "c7" else []
    for d in hidden:
        for suffix in ("/history", "/history.json"):
            assert _get(ds, f"/datasets/{d}{suffix}").status_code == 404


def test_staff_see_the_whole_history_on_the_page(story: Story, apps: dict[str, Any]) -> None:
    ds = apps["c7"]
    page = _get(ds, "/datasets/tst-town-counts/history", staff_cookies(ds))
    assert page.status_code == 200
    assert "hide the town counts" in page.text and "risk-pii-exposed" in page.text
    data = _get(ds, "/datasets/tst-case-records/history.json", staff_cookies(ds)).json()
    assert [c["kind"] for c in data["changes"]] == ["changed", "changed", "added"]
    assert data["changes"][1]["subject"] == "darkroom edits"


def test_public_dataset_page_shows_history(apps: dict[str, Any], story: Story) -> None:
    ds = apps["c7"]
    page = _get(ds, "/datasets/tst-case-records")
    assert "Change history" in page.text and "Added to the public catalog" in page.text
    assert story.shas["c4"][:10] in page.text
    data = _get(ds, "/datasets/tst-case-records.json").json()
    day = dt.date.fromisoformat(data["history"]["recent"][0]["committed_at"][:10])
    assert re.search(rf'<p class="ct-change-head"><time class="ct-date" datetime="{day}">'
                     rf'{day:%b} {day.day}, {day:%Y}</time>', page.text)  # a date in words
    assert data["history"]["available"] is True
    assert [c["commit_sha"] for c in data["history"]["recent"]] == [story.shas["c4"]]
    assert "subject" not in data["history"]["recent"][0]


def test_atom_feeds(apps: dict[str, Any], story: Story) -> None:
    import xml.etree.ElementTree as ET

    ns = {"a": "http://www.w3.org/2005/Atom"}
    ds = apps["c6"]
    r = _get(ds, "/feeds/datasets.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert feed.find(required, ns) is not None, required
    entries = feed.findall("a:entry", ns)
    titles = [e.findtext("a:title", namespaces=ns) for e in entries]
    assert titles == ["New dataset: Case records", "Changed: Town counts of things",
                      "New dataset: Town counts of things", "New dataset: Listed register"]
    for e in entries:
        assert e.findtext("a:id", namespaces=ns).startswith(
            "http://127.0.0.1:8001/datasets/")
        assert e.find("a:link[@rel='alternate']", ns) is not None
        assert e.findtext("a:updated", namespaces=ns).endswith("+00:00")
    assert feed.findtext("a:updated", namespaces=ns) == "2025-04-20T12:00:00+00:00"
    per_agency = ET.fromstring(_get(ds, "/feeds/agencies/tst.atom").content)
    assert len(per_agency.findall("a:entry", ns)) == 4
    assert _get(ds, "/feeds/agencies/nope.atom").status_code == 404


# -- without history ------------------------------------------------------------------------

def _status(build_dir: Path) -> str:
    (row,) = _rows(build_dir / "public.db", "select value from meta where key = "
                   "'history_status'")
    return str(row["value"])


def test_a_tree_without_git_builds_and_says_so(make_project: Any) -> None:
    from catalog.site.config import Site

    root = make_project()
    outcome = build(Project(root), jobs=1)
    assert outcome.mode == "full"
    assert _status(root / "build") == "not a git repository"
    ds = Site(Project(REPO), root / "build").app()
    page = _get(ds, "/datasets/tst-town-counts")
    assert "Change history is unavailable for this build (not a git repository)" in page.text
    assert _get(ds, "/datasets/tst-town-counts/history.json").json()["history"] == {
        "available": False, "reason": "not a git repository"}
    assert _get(ds, "/feeds/datasets.atom").status_code == 200


def test_a_shallow_clone_builds_and_says_so(story: Story, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{story.root}", str(clone))
    outcome = build(Project(clone), allow_warnings=True, jobs=1)
    assert outcome.mode == "full"
    assert _status(clone / "build").startswith("a shallow clone")
    assert _rows(clone / "build" / "inventory.db", "select count(*) as n from "
                 "dataset_changes") == [{"n": 0}]


def test_history_gone_empties_the_tables(make_project: Any) -> None:
    root = make_project()
    init(root)
    commit(root, "first")
    build(Project(root), jobs=1)
    assert _rows(root / "build" / "public.db", "select count(*) as n from dataset_changes") \
        == [{"n": 1}]
    shutil.rmtree(root / ".git")  # the same files, exported without their history
    outcome = build(Project(root), jobs=1)
    assert outcome.mode == "incremental" and outcome.analysed == 0
    assert _status(root / "build") == "not a git repository"
    for db in ("public.db", "inventory.db"):
        assert _rows(root / "build" / db, "select count(*) as n from dataset_changes") == [
            {"n": 0}]
        assert _rows(root / "build" / db, "select modified from datasets") == [
            {"modified": None}]


# -- incremental and content-addressed ------------------------------------------------------

def test_a_new_commit_of_built_files_is_a_new_build(make_project: Any) -> None:
    root = make_project()
    init(root)
    commit(root, "first")
    build(Project(root), jobs=1)
    write(root, {TOWN: edit("title: Town counts\n", "title: Counted towns\n", DATASET)})
    assert build(Project(root), jobs=1).mode == "incremental"  # not committed yet
    assert len(_rows(root / "build" / "inventory.db", "select * from dataset_changes")) == 1
    commit(root, "retitle")
    outcome = build(Project(root), jobs=1)  # the same files, one commit more
    assert (outcome.mode, outcome.analysed) == ("incremental", 0)
    rows = _rows(root / "build" / "inventory.db", "select kind from dataset_changes")
    assert [r["kind"] for r in rows] == ["added", "changed"]
    assert build(Project(root), jobs=1).mode == "unchanged"


def test_each_blob_is_read_once_and_new_commits_only(make_project: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project()
    init(root)
    for i in range(4):  # four commits, each changing only the second descriptor
        commit(root, f"step {i}", {"inventory/tst/tst-other.yml": DATASET.replace(
            "tst-town-counts", "tst-other").replace("Town counts", f"Other {i}")})
    seen: list[bytes] = []
    real = engine.read_dataset

    def counting(raw: bytes, rel: str, std: Any) -> Any:
        seen.append(raw)
        return real(raw, rel, std)

    monkeypatch.setattr(engine, "read_dataset", counting)
    h = engine.update(root, root / "build")
    assert len(h.events) == 5  # two added, three changed
    assert len(seen) == len(set(seen)) == 5  # each version parsed once
    seen.clear()
    commit(root, "one more", {TOWN: edit("title: Town counts\n", "title: Towns\n", DATASET)})
    h = engine.update(root, root / "build")
    assert len(h.events) == 6
    assert len(seen) <= 2  # the new version, and the old one for its diff


def test_a_rewritten_commit_is_replaced(make_project: Any) -> None:
    root = make_project()
    init(root)
    commit(root, "first")
    commit(root, "typo", {TOWN: edit("title: Town counts\n", "title: Town cuonts\n", DATASET)})
    first = engine.update(root, root / "build")
    assert [e.kind for e in first.events] == ["added", "changed"]
    write(root, {TOWN: edit("title: Town counts\n", "title: Town totals\n", DATASET)})
    git(root, "commit", "-q", "-a", "--amend", "-m", "retitle")
    again = engine.update(root, root / "build")
    assert [c.subject for c in again.commits] == ["first", "retitle"]
    assert again.events[-1].changes == (("title", "Town counts", "Town totals"),)


def _same(a: engine.History, b: engine.History) -> None:
    assert [e.pack() for e in a.events] == [e.pack() for e in b.events]
    assert a.scores == b.scores and a.points == b.points


def test_workers_compute_what_one_process_computes(story: Story, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "POOL_MIN", 1)
    monkeypatch.setattr(engine, "CHUNK", 1)
    _same(engine.update(story.root, tmp_path / "pool", jobs=2),
          engine.update(story.root, tmp_path / "one", jobs=1))


def test_an_id_the_quick_reading_gets_wrong_falls_back(make_project: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folded = DATASET.replace("id: tst-town-counts\n", "id: >-\n  tst-town-counts\n")
    root = make_project({TOWN: folded})
    init(root)
    commit(root, "first")
    commit(root, "second", {TOWN: edit("title: Town counts\n", "title: Towns\n", folded)})
    monkeypatch.setattr(engine, "POOL_MIN", 1)
    pooled = engine.update(root, tmp_path / "pool", jobs=2)
    assert [(e.dataset, e.kind) for e in pooled.events] == [
        ("tst-town-counts", "added"), ("tst-town-counts", "changed")]
    _same(pooled, engine.update(root, tmp_path / "one", jobs=1))


# -- progress over time ---------------------------------------------------------------------

def test_scorecards_page_shows_the_trend(apps: dict[str, Any]) -> None:
    ds = apps["c7"]
    cookies = staff_cookies(ds)
    data = _get(ds, "/scorecards.json?trend=tst", cookies).json()
    trend = data["trend"]
    assert trend["scope"] == "tst"
    assert [p["point"] for p in trend["points"]] == [
        "2025-01", "2025-02", "2025-03", "2025-04", "v1.0", "2025-05", "2025-06", "2025-07",
        "now"]
    assert trend["series"]["api-access"][0] == pytest.approx(1 / 3, abs=1e-4)
    page = _get(ds, "/scorecards?trend=tst", cookies)
    assert "Progress over time" in page.text
    assert 'aria-label="Datasets with API access over time' in page.text
    assert "/agencies/tst/progress" in page.text
    statewide = _get(ds, "/scorecards.json?trend=nosuch", cookies).json()["trend"]
    assert statewide["scope"] == "statewide"
    assert _get(ds, "/scorecards.json").status_code == 403


def test_progress_report_page_and_exports(apps: dict[str, Any]) -> None:
    ds = apps["c7"]
    cookies = staff_cookies(ds)
    base = "/agencies/tst/progress"
    data = _get(ds, f"{base}.json?from=2025-02&to=2025-06", cookies).json()
    assert (data["start"], data["end"]) == ("2025-02-01", "2025-06-30")
    assert (data["baseline"], data["closing"]) == ("2025-01", "2025-06")
    assert data["added"] == []
    assert [(i["dataset_id"], i["date"]) for i in data["opened"]] == [
        ("tst-case-records", "2025-04-20")]
    assert [(i["dataset_id"], i["detail"]) for i in data["documented"]] == [
        ("tst-case-records", "now meets the documentation standard")]
    assert [(i["dataset_id"], i["detail"]) for i in data["conformed"]] == [
        ("tst-case-records", "+1 field(s) conforming to their standard")]
    goals = {g["metric"]: g for g in data["goals"]}
    assert goals["open-documented"]["end_share"] == pytest.approx(0.5)
    assert goals["open-documented"]["source"] == "Plan goal 2"
    whole = _get(ds, f"{base}.json?from=2025-01-01&to=2030-01-01", cookies).json()
    assert whole["baseline"] is None and whole["closing"] == "now"
    assert len(whole["added"]) == 3
    page = _get(ds, f"{base}?from=2025-02&to=2025-06", cookies)
    assert "Progress report: Department of Testing" in page.text
    md = _get(ds, f"{base}.md?from=2025-02&to=2025-06", cookies)
    assert md.headers["content-type"].startswith("text/markdown")
    assert "| Open data meeting the documentation standard | Plan goal 2 |" in md.text
    assert "- 2025-04-20 [Case records](/datasets/tst-case-records): data made public" \
        in md.text
    csv_text = _get(ds, f"{base}.csv?from=2025-02&to=2025-06", cookies).text
    assert csv_text.splitlines()[0] == "section,date,id,title,plan,start,end,change,detail"
    assert "opened,2025-04-20,tst-case-records,Case records,,,,,data made public" in csv_text
    for path in (base, f"{base}.json", f"{base}.md", f"{base}.csv"):
        assert _get(ds, path).status_code == 403, path
    assert _get(ds, "/agencies/nope/progress", cookies).status_code == 404
    assert _get(ds, f"{base}?from=2025-13", cookies).status_code == 404


def test_catalog_progress_command(story: Story) -> None:
    from click.testing import CliRunner

    from catalog.cli import main

    runner = CliRunner()
    args = ["progress", "tst", "--root", str(story.root), "--no-build", "--from", "2025-02",
            "--to", "2025-06"]
    out = runner.invoke(main, [*args, "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert "documented,2025-04-20,tst-case-records" in out.stdout
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["section", "date", "id", "title", "plan", "start", "end",
                             "change", "detail"]
    goals = [r for r in rows if r["section"] == "goal"]
    # a change is a number (a negative one without an apostrophe) or empty
    assert goals and all(re.fullmatch(r"(-?\d+\.\d{4})?", r["change"]) for r in goals)
    # text a spreadsheet would run as a formula is neutralised, and only text
    marked = {k for r in rows for k, v in r.items() if v.startswith("'")}
    assert marked <= {"title", "detail"}
    assert "'+1 field(s) conforming to their standard" in [r["detail"] for r in rows]
    data = json.loads(runner.invoke(main, [*args, "--format", "json"]).stdout)
    assert data["agency_id"] == "tst" and "documented" in data
    md = runner.invoke(main, [*args, "--format", "markdown"])
    assert md.exit_code == 0 and md.stdout.startswith("# Progress report: ")
    text = runner.invoke(main, args)
    assert "Data opened: 1" in text.stdout and "2025-04-20 tst-case-records" in text.stdout
    bad = runner.invoke(main, [*args[:5], "--from", "2025-07", "--to", "2025-06"])
    assert bad.exit_code == 1 and "starts (2025-07-01) after it ends" in bad.output
    nodate = runner.invoke(main, [*args[:5], "--from", "July"])
    assert nodate.exit_code == 1 and "hint: write YYYY-MM-DD or YYYY-MM" in nodate.output
    unknown = runner.invoke(main, ["progress", "zzz", "--root", str(story.root), "--no-build"])
    assert unknown.exit_code == 1 and "no agency 'zzz'" in unknown.output


def test_default_period_is_the_year_to_today() -> None:
    import datetime as dt

    from catalog.history.progress import period

    assert period(None, None, dt.date(2026, 3, 1)) == (dt.date(2025, 3, 2), dt.date(2026, 3, 1))
    assert period("2025-02", "2025-02", dt.date(2026, 1, 1)) == (
        dt.date(2025, 2, 1), dt.date(2025, 2, 28))


# -- more of what docs/history.md says -------------------------------------------------------

def test_exports_carry_history_dates_and_feeds_are_cached(apps: dict[str, Any]) -> None:
    ds = apps["c6"]
    catalog = _get(ds, "/data.json").json()
    modified = {d["identifier"].rsplit("/", 1)[-1]: d["modified"] for d in catalog["dataset"]}
    assert modified["tst-town-counts"] == "2025-02-10"  # the last change the public saw
    feed = _get(ds, "/feeds/datasets.atom")
    assert feed.headers["cache-control"].startswith("public")
    assert feed.headers.get("etag")
    changes = _get(ds, "/changes.json?agency=tst").json()["changes"]
    assert [c["dataset_id"] for c in changes][:2] == ["tst-case-records", "tst-town-counts"]


def test_a_dataset_page_shows_the_latest_five(make_project: Any) -> None:
    from catalog.site.config import Site

    root = make_project()
    init(root)
    commit(root, "first")
    for i in range(6):
        commit(root, f"edit {i}", {TOWN: edit("title: Town counts\n",
                                               f"title: Town counts {i}\n", DATASET)})
    build(Project(root), jobs=1)
    ds = Site(Project(REPO), root / "build").app()
    data = _get(ds, "/datasets/tst-town-counts.json").json()["history"]
    assert len(data["recent"]) == 5 and data["url"] == "/datasets/tst-town-counts/history"
    assert data["recent"][0]["summary"] == ("Title changed from “Town counts 4” to "
                                            "“Town counts 5”")
    assert len(_get(ds, "/datasets/tst-town-counts/history.json").json()["changes"]) == 7


def test_staff_see_removed_datasets_changes(make_project: Any) -> None:
    from catalog.site.config import Site

    other = "inventory/tst/tst-other.yml"
    root = make_project({other: DATASET.replace("tst-town-counts", "tst-other")})
    init(root)
    commit(root, "two datasets")
    commit(root, "drop one", {other: None})
    build(Project(root), jobs=1)
    ds = Site(Project(REPO), root / "build").app()
    staff = _get(ds, "/changes.json", staff_cookies(ds)).json()["changes"]
    assert [(c["dataset_id"], c["kind"]) for c in staff][0] == ("tst-other", "removed")
    public = _get(ds, "/changes.json").json()["changes"]
    assert {c["dataset_id"] for c in public} == {"tst-town-counts"}


def test_a_build_after_a_rewritten_commit_equals_a_cold_one(make_project: Any,
                                                            tmp_path: Path) -> None:
    root = make_project()
    init(root)
    commit(root, "first")
    commit(root, "typo", {TOWN: edit("title: Town counts\n", "title: Town cuonts\n", DATASET)})
    build(Project(root), jobs=1)
    write(root, {TOWN: edit("title: Town counts\n", "title: Town totals\n", DATASET)})
    git(root, "commit", "-q", "-a", "--amend", "-m", "retitle")
    build(Project(root), jobs=1)
    build(Project(root), tmp_path / "cold", jobs=1, full=True)
    for db in ("inventory.db", "public.db"):
        for table in ("dataset_changes", "commits"):
            sql = f"select * from {table} order by 1, 2"
            assert _rows(root / "build" / db, sql) == _rows(tmp_path / "cold" / db, sql)
    assert "typo" not in [r["subject"] for r in _rows(root / "build" / "inventory.db",
                                                       "select subject from commits")]


# -- in a real browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def story_server(story: Story, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from catalog.site.config import Site

    from .test_browser import datasette

    with datasette(Site(Project(REPO), story.builds["c6"]), {},
                   tmp_path_factory.mktemp("history-server")) as base:
        yield base


@pytest.mark.browser
def test_history_by_keyboard_in_chromium(story_server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{story_server}/datasets/tst-town-counts")
        link = page.get_by_role("link", name="The whole history of this record")
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/datasets/tst-town-counts/history")
        assert page.get_by_role("heading", level=1).inner_text() == \
            "History of Town counts of things"
        details = page.locator("details.ct-change-details summary").first
        details.focus()
        page.keyboard.press("Enter")
        assert page.locator("details.ct-change-details").first.get_attribute("open") == ""
        assert "Households" in page.locator("details.ct-change-details").first.inner_text()
        page.goto(f"{story_server}/changes")
        page.get_by_label("Agency").select_option("tst")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/changes?agency=tst")
        feed = page.locator("link[rel=alternate][type='application/atom+xml']")
        assert feed.get_attribute("href") == "/feeds/agencies/tst.atom"
        assert page.locator("ol.ct-history > li").count() == 4
        assert errors == []
    finally:
        context.close()


def test_changed_dates_read_as_dates() -> None:
    from catalog.history.changes import Change, phrases

    assert phrases([Change("classification_assessed_on", "2025-11-04", "2026-11-04")]) == [
        "Date of the classification assessment changed from Nov 4, 2025 to Nov 4, 2026"]
    assert phrases([Change("title", "2025-11-04 notes", "Town counts")]) == [
        "Title changed from “2025-11-04 notes” to “Town counts”"]
