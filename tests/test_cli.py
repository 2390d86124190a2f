"""The command line, run in-process with click's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from catalog.cli import main

from .conftest import DATASET, REPO, MakeProject

BROKEN = DATASET.replace("title: Town counts", "titel: Town counts")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_validate_clean_project_exits_zero(make_project: MakeProject) -> None:
    code, out = run("validate", "--root", str(make_project()))
    assert code == 0
    assert "0 error(s)" in out


def test_validate_text_names_file_line_column_code_and_hint(make_project: MakeProject) -> None:
    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN})
    code, out = run("validate", "--root", str(root))
    assert code == 1
    assert ("inventory/tst/tst-town-counts.yml:2:1 error unknown-property: unknown property "
            "'titel'") in out
    assert "did you mean 'title'?" in out
    assert "    2 | titel: Town counts" in out  # the source line, with a caret below


def test_validate_json_format(make_project: MakeProject) -> None:
    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN})
    code, out = run("validate", "--root", str(root), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["valid"] is False
    found = {(p["code"], p["line"], p["pointer"]) for p in data["problems"]}
    assert ("unknown-property", 2, "/titel") in found
    assert ("missing-property", 1, "") in found


def test_validate_github_annotations(make_project: MakeProject) -> None:
    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN})
    code, out = run("validate", "--root", str(root), "--format", "github")
    assert code == 1
    assert ("::error file=inventory/tst/tst-town-counts.yml,line=2,col=1,"
            "title=unknown-property::") in out


def test_validate_formats_print_the_report_as_its_formatters_write_it(
        make_project: MakeProject) -> None:
    """Every format of `catalog validate` is the report's formatter output, byte for byte,
    through the one output helper; github adds the summary on stderr and prints nothing
    on stdout when there is nothing to annotate."""
    from catalog import report_formats
    from catalog.build import check_project
    from catalog.project import Project

    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN})
    report = check_project(Project(root)).report
    runner = CliRunner()
    out = {fmt: runner.invoke(main, ["validate", "--root", str(root), "--format", fmt])
           for fmt in ("text", "json", "github", "sarif")}
    assert {fmt: r.exit_code for fmt, r in out.items()} == dict.fromkeys(out, 1)
    assert out["text"].stdout == report_formats.text(report, Project(root).root) + "\n"
    assert out["json"].stdout == json.dumps(report.to_dict(), indent=2) + "\n"
    assert json.loads(out["json"].stdout)["summary"]["error"] == len(report.errors)
    assert out["sarif"].stdout == report_formats.sarif(report) + "\n"
    assert out["github"].stdout == report_formats.github(report) + "\n"
    assert out["github"].stderr == report.summary() + "\n"
    clean = runner.invoke(main, ["validate", "--root", str(make_project()), "--format",
                                 "github", "--today", "2026-01-01"])
    assert clean.exit_code == 0 and clean.stdout == ""
    assert clean.stderr == "0 error(s), 0 warning(s), 0 note(s)\n"


def test_validate_paths_limit_the_report(make_project: MakeProject) -> None:
    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN,
                         "inventory/oth/_agency.yml": "id: oth\nname: Other\nabbreviation: O\n"
                         "data_officer: {name: A B}\n"})
    code, out = run("validate", "--root", str(root), str(root / "inventory/oth"))
    assert code == 0, out


def test_build_refuses_on_errors_and_keeps_nothing_half_written(
        make_project: MakeProject) -> None:
    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN})
    code, out = run("build", "--root", str(root), "-q")
    assert code == 1 and "not built" in out
    assert not (root / "build" / "public.db").exists()


def test_build_refuses_warnings_unless_allowed(make_project: MakeProject) -> None:
    warn = DATASET.replace("    - name: things\n", "    - name: owner_name\n      pii: true\n"
                           "    - name: things\n") + (
        "personal_data:\n  purpose: Licensing.\n  access_procedure: Ask.\n"
        "  contact: {name: Records, email: r@ct.gov}\n")
    root = make_project({"inventory/tst/tst-town-counts.yml": warn})
    code, out = run("build", "--root", str(root), "-q")
    assert code == 1 and "--allow-warnings" in out
    code, out = run("build", "--root", str(root), "-q", "--allow-warnings")
    assert code == 0, out
    assert (root / "build" / "public.db").is_file()


def test_new_scaffolds_a_descriptor_that_is_an_error_until_edited(
        make_project: MakeProject) -> None:
    from catalog.scaffold import PLACEHOLDERS

    root = make_project(base=False)
    code, out = run("new", "dph", "dph-lead-screening", "--title", "Lead screening",
                    "--root", str(root))
    assert code == 1 and "agency 'dph' does not exist" in out and "--new-agency" in out
    assert not (root / "inventory/dph").exists()
    code, out = run("new", "dph", "dph-lead-screening", "--title", "Lead screening",
                    "--new-agency", "--root", str(root))
    assert code == 0, out
    path = root / "inventory/dph/dph-lead-screening.yml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    agency = root / "inventory/dph/_agency.yml"
    assert agency.is_file()
    code, out = run("validate", "--format", "json", "--root", str(root))
    assert code == 1
    found = [(p["file"], p["code"]) for p in json.loads(out)["problems"]]
    left = {v for k, v in PLACEHOLDERS.items() if k != "title"}  # --title replaced one
    assert found.count(("inventory/dph/dph-lead-screening.yml", "scaffold-placeholder")) == \
        sum(text.count(v) for v in left) > 5
    assert ("inventory/dph/_agency.yml", "scaffold-placeholder") in found
    for key, value in PLACEHOLDERS.items():  # the steward fills it in
        real = {"keyword": "lead", "steward_email": "sam.steward@ct.gov",
                "officer_email": "pat.officer@ct.gov"}.get(key, f"Real {key}")
        text = text.replace(value, real)
        agency.write_text(agency.read_text().replace(value, real))
    path.write_text(text)
    code, out = run("validate", "--root", str(root))
    assert code == 0, out
    code, out = run("new", "dph", "dph-lead-screening", "--root", str(root))
    assert code == 1 and "already exists" in out
    code, out = run("new", "dhp", "dhp-x", "--root", str(root))
    assert code == 1 and "did you mean 'dph'?" in out


def test_new_rejects_bad_ids(make_project: MakeProject) -> None:
    code, out = run("new", "DPH", "x", "--root", str(make_project()))
    assert code == 1 and "not a valid id" in out


def test_committed_json_schemas_match_the_model() -> None:
    from catalog import descriptor_schemas as schema

    for kind in schema.SCHEMAS:
        committed = (REPO / "docs" / "schema" / f"{kind}.schema.json").read_text()
        assert committed == schema.schema_text(kind), "run: python -m catalog.docgen"


def test_sample_inventory_matches_the_json_schema() -> None:
    import jsonschema
    import yaml

    schemas = {k: json.loads((REPO / "docs/schema" / f"{k}.schema.json").read_text())
               for k in ("dataset", "agency", "agreement", "catalog", "request")}
    checked = 0
    for path in sorted((REPO / "inventory").rglob("*.yml")):
        kind = ("catalog" if path.name == "_catalog.yml"
                else "request" if path.parent.name == "_requests"
                else "agreement" if path.parent.name == "_agreements"
                else "agency" if path.name == "_agency.yml" else "dataset")
        data = yaml.safe_load(path.read_text())
        data = json.loads(json.dumps(data, default=str))  # dates as strings, like the loader
        jsonschema.validate(data, schemas[kind])
        checked += 1
    assert checked >= 30


def test_help_lists_every_command() -> None:
    out = subprocess.run([sys.executable, "-m", "catalog", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ("validate", "build", "new", "serve", "schema", "passwd", "export", "scorecards",
                    "requests", "agreements", "check-suppression",
                    "import",
                    "conformance"):
        assert command in out


def test_conformance_report(make_project: MakeProject) -> None:
    bad = DATASET.replace("enum: [Hartford, New Haven]", "enum: [Hartford, Gotham]")
    root = make_project({"inventory/tst/tst-town-counts.yml": bad})
    code, out = run("conformance", "--root", str(root), "--format", "json")
    rows = json.loads(out)
    assert [(r["dataset_id"], r["field_name"], r["standard"], r["status"]) for r in rows] == [
        ("tst-town-counts", "town", "ct-town", "nonconformant")]
    assert "Gotham" in rows[0]["details"][0]
    code, out = run("conformance", "--root", str(root), "--status", "conformant")
    assert out.strip().endswith("0 conformant, 0 partial, 0 nonconformant")


def test_validate_sarif(make_project: MakeProject) -> None:
    root = make_project({"inventory/tst/tst-town-counts.yml": BROKEN})
    code, out = run("validate", "--root", str(root), "--format", "sarif")
    doc = json.loads(out)
    results = doc["runs"][0]["results"]
    assert code == 1 and doc["version"] == "2.1.0"
    assert {"ruleId": "unknown-property", "line": 2} in [
        {"ruleId": r["ruleId"],
         "line": r["locations"][0]["physicalLocation"]["region"]["startLine"]}
        for r in results]


def test_pre_commit_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "catalog-validate"
    assert hooks[0]["entry"] == "catalog validate"
