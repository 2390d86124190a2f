"""``catalog diff`` on real git repositories: changes by property, risk flags on the
changed lines, every output format, exit status; and ``catalog codeowners``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.history.review import review
from catalog.problems import CODES
from catalog.project import Project

from .conftest import DATASET, MakeProject
from .gitrepo import commit, git, init, write
from .test_corpus import AGREEMENT, edit, line_of

DS = "inventory/tst/tst-town-counts.yml"
PRIVATE_PATH = "inventory/tst/tst-case-records.yml"
AG = "inventory/_agreements/tst-uconn-evaluation.yml"
PRIVATE = """\
id: tst-case-records
title: Case records
description: One record per case handled by the department.
agency: tst
high_value:
  value: true
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
access:
  level: non-public
  visibility: hidden
  rights: Confidential under state law.
classification:
  level: confidential
  assessed_on: 2025-01-15
  assessed_by: Sam Steward
disclosure:
  suppression_policy: ct-small-n-5
personal_data:
  purpose: Case management required by statute.
  access_procedure: Write to the privacy officer.
  contact:
    name: Privacy Officer
    email: privacy@ct.gov
schema:
  fields:
    - name: case_id
      type: string
      description: Case number.
    - name: client_name
      type: string
      description: Name of the client.
      pii: true
      internal: true
"""
COUNTY_FIELD = """\
    - name: county
      type: string
      description: County.
      standard: ct-county
"""


@pytest.fixture
def repo(make_project: MakeProject) -> Path:
    root = make_project({PRIVATE_PATH: PRIVATE, AG: AGREEMENT,
                         DS: DATASET.replace("    - name: things\n",
                                             COUNTY_FIELD + "    - name: things\n")})
    init(root)
    commit(root, "the inventory as merged")
    git(root, "checkout", "-q", "-b", "change")
    return root


def _codes(root: Path) -> list[tuple[str, str, int | None]]:
    return [(p.code, p.file, p.line) for p in review(Project(root)).report.sorted()]


def _text(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


# -- one case per risk flag -----------------------------------------------------------------

def _publish(root: Path) -> str:
    text = edit("  visibility: hidden\n", "  visibility: listed\n", PRIVATE)
    write(root, {PRIVATE_PATH: text})
    return text


def _pii_added(root: Path) -> str:
    text = edit("    - name: things\n", "    - name: resident_name\n      type: string\n"
                "      pii: true\n    - name: things\n", _text(root, DS))
    write(root, {DS: text})
    return text


def _unmarked(root: Path) -> str:
    # the county field becomes demographic in the base, then is unmarked in the change
    base = edit("      standard: ct-county\n", "      standard: ct-county\n"
                "      demographic: true\n", _text(root, DS))
    commit(root, "mark county demographic", {DS: base})
    git(root, "branch", "-f", "main")
    write(root, {DS: _text(root, DS).replace("      demographic: true\n", "")})
    return _text(root, DS)


def _lowered(root: Path) -> str:
    text = edit("  level: confidential\n", "  level: internal\n", PRIVATE)
    write(root, {PRIVATE_PATH: text})
    return text


def _policy_removed(root: Path) -> str:
    text = edit("disclosure:\n  suppression_policy: ct-small-n-5\n", "", PRIVATE)
    write(root, {PRIVATE_PATH: text})
    return text


def _agreement(root: Path) -> str:
    text = edit("  end: 2027-06-30\n", "  end: 2029-06-30\n", AGREEMENT)
    write(root, {AG: text})
    return text


def _values(root: Path) -> str:
    rel = "standards/elements/ct-county.yml"
    text = _text(root, rel).replace('  - code: "015"\n    label: "Windham County"\n', "")
    write(root, {rel: text})
    return text


CASES = [
    ("risk-more-visible", _publish, PRIVATE_PATH, "  visibility:"),
    ("risk-pii-exposed", _pii_added, DS, "- name: resident_name"),
    ("risk-pii-exposed", _unmarked, DS, "- name: county"),
    ("risk-classification-lowered", _lowered, PRIVATE_PATH, "  level: internal"),
    ("risk-policy-removed", _policy_removed, PRIVATE_PATH, "id:"),
    ("risk-agreement-changed", _agreement, AG, "  end:"),
    ("risk-standard-values-changed", _values, "standards/elements/ct-county.yml", "values:"),
]


@pytest.mark.parametrize("code,change,rel,needle", CASES,
                         ids=[f"{c[0]}-{c[1].__name__}" for c in CASES])
def test_risk_flag_on_the_changed_line(repo: Path, code: str, change, rel: str,  # type: ignore[no-untyped-def]
                                       needle: str) -> None:
    text = change(repo)
    found = _codes(repo)
    assert (code, rel, line_of(text, needle)) in found, found


def test_every_review_code_has_a_case() -> None:
    assert {c[0] for c in CASES} == {k for k, c in CODES.items() if c.stage == "review"}


def test_harmless_changes_raise_no_flag(repo: Path) -> None:
    write(repo, {DS: edit("title: Town counts\n", "title: Town counts by year\n",
                          _text(repo, DS)),
                 PRIVATE_PATH: edit("  visibility: hidden\n", "", PRIVATE),
                 AG: edit("purpose: Evaluate", "purpose: Evaluate", AGREEMENT)})
    r = review(Project(repo))
    assert [(e.kind, e.id, e.status) for e in r.entities] == [
        ("dataset", "tst-town-counts", "changed")]
    assert [c.path for c in r.entities[0].changes] == ["title"]
    assert not r.risky  # an explicit 'hidden' dropped: still hidden


def test_new_public_dataset_and_pii_field(repo: Path) -> None:
    text = DATASET.replace("tst-town-counts", "tst-new-counts").replace(
        "    - name: things\n", "    - name: owner_name\n      type: string\n"
        "      pii: true\n    - name: things\n")
    write(repo, {"inventory/tst/tst-new-counts.yml": text})
    r = review(Project(repo))
    (entity,) = r.entities
    assert (entity.kind, entity.status) == ("dataset", "added")
    assert sorted(p.code for p in entity.flags) == ["risk-more-visible", "risk-pii-exposed"]


def test_moved_descriptor_is_a_change_not_a_removal(repo: Path) -> None:
    git(repo, "mv", PRIVATE_PATH, "inventory/tst/tst-case-records-moved.yml")
    r = review(Project(repo))
    assert r.entities == []  # same id, same content: nothing changed in the inventory


def test_removed_dataset_and_registers(repo: Path) -> None:
    request = ("id: r1\ntitle: A request\nreceived_on: 2026-03-10\nrequester:\n"
               "  kind: researcher\ndescription: Counts.\nstatus: received\n")
    write(repo, {PRIVATE_PATH: None, "inventory/_requests/r1.yml": request,
                 "inventory/tst/_agency.yml": _text(repo, "inventory/tst/_agency.yml")
                 + "website: https://portal.ct.gov/tst\n"})
    r = review(Project(repo))
    assert [(e.kind, e.id, e.status) for e in r.entities] == [
        ("dataset", "tst-case-records", "removed"), ("agency", "tst", "changed"),
        ("request", "r1", "added")]
    assert r.entities[1].changes[0].path == "website"


def test_unreadable_descriptor_is_reported_not_fatal(repo: Path) -> None:
    write(repo, {PRIVATE_PATH: "id: [unclosed\n"})
    r = review(Project(repo))
    assert [(e.id, e.status) for e in r.entities] == [("tst-case-records", "unreadable")]


def test_two_revisions_and_the_default_merge_base(repo: Path) -> None:
    _publish(repo)
    commit(repo, "publish the case records", date="2025-02-01")
    # main moved on meanwhile: its own change is not part of this branch's review
    git(repo, "checkout", "-q", "main")
    commit(repo, "retitle on main", {DS: edit("title: Town counts\n", "title: Counts\n",
                                               _text(repo, DS))}, date="2025-02-02")
    git(repo, "checkout", "-q", "change")
    ids = [e.id for e in review(Project(repo)).entities]  # merge base → working tree
    assert ids == ["tst-case-records"]
    assert [e.id for e in review(Project(repo), "main", "change").entities] == [
        "tst-case-records", "tst-town-counts"]
    assert review(Project(repo), "HEAD", None).entities == []  # committed: nothing left


def test_cli_formats_and_exit_status(repo: Path) -> None:
    runner = CliRunner()
    args = ["diff", "--root", str(repo)]
    clean = runner.invoke(main, args)
    assert clean.exit_code == 0, clean.output
    assert "no change to the inventory; 0 risk flags" in clean.output
    _publish(repo)
    _pii_added(repo)
    out = {fmt: runner.invoke(main, [*args, "--format", fmt])
           for fmt in ("text", "json", "markdown", "github", "sarif")}
    assert {fmt: r.exit_code for fmt, r in out.items()} == dict.fromkeys(out, 1)
    data = json.loads(out["json"].stdout)
    assert data["risky"] is True and data["head"] == {"label": "working tree", "commit": None}
    assert {r["code"] for r in data["risks"]} == {"risk-more-visible", "risk-pii-exposed"}
    assert data["summary"] == {"dataset": {"changed": 2}}
    md = out["markdown"].stdout
    assert md.startswith("### Inventory changes:")
    assert "**2 risk flags need a second look.**" in md
    assert "| `risk-pii-exposed` | `inventory/tst/tst-town-counts.yml:" in md
    line = line_of(_text(repo, PRIVATE_PATH), "  visibility:")
    assert f"::warning file={PRIVATE_PATH},line={line},col=15,title=risk-more-visible::" \
        in out["github"].stdout
    sarif = json.loads(out["sarif"].stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {
        "risk-more-visible", "risk-pii-exposed"}
    # each format is the review's formatter output, byte for byte (JSON keeps non-ASCII)
    from catalog import report_formats
    from catalog.history import review as R

    result = review(Project(repo))
    assert out["text"].stdout == R.text(result) + "\n"
    assert out["markdown"].stdout == R.markdown(result)
    assert out["json"].stdout == json.dumps(R.to_dict(result), indent=2,
                                            ensure_ascii=False) + "\n"
    assert out["sarif"].stdout == report_formats.sarif(result.report) + "\n"
    assert out["github"].stdout == report_formats.github(result.report) + "\n"
    assert out["github"].stderr == R.text(result).splitlines()[-1] + "\n"


def test_cli_errors_exit_2_with_a_hint(repo: Path, make_project: MakeProject,
                                       tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["diff", "nosuchrev", "--root", str(repo)])
    assert bad.exit_code == 2
    assert "unknown revision 'nosuchrev'" in bad.output and "hint:" in bad.output
    plain = tmp_path / "plain"
    (plain / "inventory").mkdir(parents=True)
    none = runner.invoke(main, ["diff", "--root", str(plain)])
    assert none.exit_code == 2 and "not a git repository" in none.output
    git(repo, "branch", "-m", "main", "trunk")
    nomain = runner.invoke(main, ["diff", "--root", str(repo)])
    assert nomain.exit_code == 2 and "no main branch" in nomain.output


def test_markdown_escapes_steward_text(repo: Path) -> None:
    write(repo, {DS: edit("title: Town counts\n", "title: \"<img src=x> | *bold*\"\n",
                          _text(repo, DS))})
    md = CliRunner().invoke(main, ["diff", "--root", str(repo), "--format", "markdown"]).stdout
    assert not re.search(r"(?<!\\)<img", md) and "\\<img src=x\\> \\| \\*bold\\*" in md


# -- codeowners ----------------------------------------------------------------------------

def test_codeowners_routes_each_folder(make_project: MakeProject) -> None:
    root = make_project({
        "inventory/tst/_agency.yml": _agency("tst", '["@ct-tst/stewards", "data.officer@ct.gov"]'),
        "inventory/new/_agency.yml": _agency("new", None),
        "inventory/_catalog.yml": _CATALOG + 'stewards: ["@ct-data/cdo"]\n'})
    out = CliRunner().invoke(main, ["codeowners", "--root", str(root)])
    assert out.exit_code == 0, out.output
    lines = [x for x in out.stdout.splitlines() if x and not x.startswith("#")]
    assert lines == [
        "/inventory/ @ct-data/cdo", "/inventory/new/ @ct-data/cdo",
        "/inventory/tst/ @ct-tst/stewards data.officer@ct.gov",
        "/inventory/_agreements/ @ct-data/cdo", "/inventory/_requests/ @ct-data/cdo",
        "/inventory/_catalog.yml @ct-data/cdo", "/standards/ @ct-data/cdo"]
    assert "# new: no stewards in its _agency.yml yet" in out.stdout


def test_codeowners_file_check_and_subfolder_prefix(make_project: MakeProject,
                                                   tmp_path: Path) -> None:
    root = make_project({"inventory/tst/_agency.yml": _agency("tst", '["@ct-tst/stewards"]')})
    # the project lives in a sub-folder of its repository
    repo = tmp_path / "repo"
    repo.mkdir()
    root.rename(repo / "catalog")
    root = repo / "catalog"
    init(repo)
    target = repo / ".github" / "CODEOWNERS"
    runner = CliRunner()
    args = ["codeowners", "--root", str(root), "--cdo", "@ct-data/cdo", "-o", str(target)]
    assert runner.invoke(main, [*args, "--check"]).exit_code == 1
    assert runner.invoke(main, args).exit_code == 0
    assert "/catalog/inventory/tst/ @ct-tst/stewards" in target.read_text()
    assert runner.invoke(main, [*args, "--check"]).exit_code == 0
    write(root, {"inventory/tst/_agency.yml": _agency("tst", '["@ct-tst/others"]')})
    stale = runner.invoke(main, [*args, "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.output


def test_codeowners_needs_the_cdo_office(make_project: MakeProject) -> None:
    out = CliRunner().invoke(main, ["codeowners", "--root", str(make_project())])
    assert out.exit_code == 1 and "--cdo" in out.output


def test_steward_handles_are_validated(make_project: MakeProject) -> None:
    from catalog.build import validate

    root = make_project({"inventory/tst/_agency.yml": _agency("tst", '["not a handle"]')})
    problems = validate(Project(root)).report
    assert [(p.code, p.pointer) for p in problems if p.code == "invalid-value"] == [
        ("invalid-value", "/stewards/0")]


_CATALOG = ("title: Test catalog\npublisher:\n  name: State of Connecticut\n"
            "base_url: https://inventory.example.gov\n")


def _agency(agency_id: str, stewards: str | None) -> str:
    text = (f"id: {agency_id}\nname: Department {agency_id}\nabbreviation: {agency_id.upper()}\n"
            "data_officer:\n  name: Pat Officer\n")
    return text + (f"stewards: {stewards}\n" if stewards else "")


# -- the steward CI recipe, as docs/steward-ci.md gives it -----------------------------------

def _recipe_step(name: str) -> str:
    import yaml

    text = (Path(__file__).parents[1] / "docs" / "steward-ci.md").read_text(encoding="utf-8")
    block = text.split("# .github/workflows/inventory.yml (continued)\n", 1)[1].split("```")[0]
    job = yaml.safe_load(block)["review"]
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return str(step["run"])


def test_steward_ci_recipe_flags_a_pull_request(repo: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    _publish(repo)
    commit(repo, "list the case records", date="2025-02-01")
    clone = tmp_path / "clone"  # as actions/checkout leaves it: origin/<base> and HEAD
    git(tmp_path, "clone", "-q", "--no-checkout", str(repo), str(clone))
    git(clone, "checkout", "-q", "origin/change")
    script = _recipe_step("What the change does, with risk flags").replace(
        "${{ github.base_ref }}", "main")
    outputs = tmp_path / "outputs"
    env = {**os.environ, "GITHUB_OUTPUT": str(outputs),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=clone, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert outputs.read_text() == "risk=1\n"
    summary = (clone / "review.md").read_text()
    assert "**1 risk flag need a second look.**" in summary
    assert "`risk-more-visible` | `inventory/tst/tst-case-records.yml:" in summary
    assert "::warning file=inventory/tst/tst-case-records.yml" in done.stdout


def test_values_from_a_csv_change_under_fields(repo: Path) -> None:
    rel = "standards/data/ct-town-to-planning-region.csv"
    lines = _text(repo, rel).splitlines(keepends=True)
    write(repo, {rel: "".join(line for line in lines if not line.startswith("Andover,"))})
    (flag,) = review(Project(repo)).report
    assert (flag.code, flag.file) == ("risk-standard-values-changed",
                                      "standards/elements/ct-town.yml")
    assert flag.line == line_of(_text(repo, "standards/elements/ct-town.yml"), "values_from:")
    assert "1 removed" in flag.message and "tst-town-counts.town" in flag.message


def test_a_project_in_a_sub_folder_of_its_repository(make_project: MakeProject,
                                                     tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    make_project().rename(repo / "catalog")
    root = repo / "catalog"
    init(repo)
    commit(repo, "the inventory")
    write(root, {DS: edit("  api: true\n", "  api: true\n  visibility: listed\n",
                          DATASET)})
    r = review(Project(root))
    assert [(e.id, e.file, [c.path for c in e.changes]) for e in r.entities] == [
        ("tst-town-counts", DS, ["visibility"])]
