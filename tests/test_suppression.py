"""Small-N suppression check: hand-made tables whose answer is known, asserted as
(row, column, code) tuples. Row is the CSV row (header = 1), column the field position."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.build import validate
from catalog.governance.cli import check_suppression
from catalog.governance.suppression import CODES, audit_file, check_file
from catalog.model.standards import SuppressionPolicy
from catalog.problems import CODES as REGISTERED
from catalog.problems import CatalogError, Problem
from catalog.project import Project
from catalog.validate.disclosure import published_counts_are_suppressed

from .conftest import REPO, MakeProject

SAMPLE = REPO / "inventory/dcf/samples/dcf-entries-to-care-by-town.csv"
SAMPLE_DESCRIPTOR = REPO / "inventory/dcf/dcf-entries-to-care-by-town.yml"


def policy(min_count: int = 5, *, zero: bool = False, complementary: bool = True,
           rounding: int | None = None) -> SuppressionPolicy:
    return SuppressionPolicy(id="test-n", title="Test", description="Test policy.",
                             min_count=min_count, suppress_zero=zero,
                             complementary=complementary, rounding=rounding, symbol="*")


Table = Callable[..., Path]


@pytest.fixture
def table(tmp_path: Path) -> Table:
    def write(text: str, name: str = "t.csv") -> Path:
        path = tmp_path / name
        path.write_text(text.strip() + "\n", encoding="utf-8")
        return path
    return write


def found(problems: list[Problem]) -> list[tuple[int | None, int | None, str]]:
    return [(p.line, p.column, p.code) for p in problems]


# -- cell rules ---------------------------------------------------------------------------

def test_small_counts(table: Table) -> None:
    path = table("town,children\nA,3\nB,0\nC,12\nD,*\nE,5\nF,\nG,1\n")
    assert found(check_file(path, policy(5))) == [(2, 2, "small-count"), (8, 2, "small-count")]


def test_zero_is_shown_unless_the_policy_suppresses_zeros(table: Table) -> None:
    path = table("town,children\nA,0\nB,7\nC,2\n")
    assert found(check_file(path, policy(5))) == [(4, 2, "small-count")]
    assert found(check_file(path, policy(5, zero=True))) == [
        (2, 2, "small-count"), (4, 2, "small-count")]


def test_threshold_is_exclusive(table: Table) -> None:
    path = table("town,children\nA,5\nB,6\n")
    assert found(check_file(path, policy(6))) == [(2, 2, "small-count")]
    assert found(check_file(path, policy(5))) == []


def test_rounding(table: Table) -> None:
    path = table("town,children\nA,10\nB,12\nC,15\nD,3\nE,1,005\n".replace("1,005", '"1,005"'))
    assert found(check_file(path, policy(5, rounding=5))) == [
        (3, 2, "unrounded-count"), (5, 2, "small-count"), (5, 2, "unrounded-count")]


def test_values_that_are_not_counts(table: Table) -> None:
    path = table('town,children\nA,<5\nB,n/a\nC,-3\nD,12.5\nE,"1,200"\nF,7.0\n')
    assert found(check_file(path, policy(5), count_columns=["children"])) == [
        (2, 2, "invalid-count"), (3, 2, "invalid-count"), (4, 2, "invalid-count"),
        (5, 2, "invalid-count")]


# -- complementary suppression -------------------------------------------------------------

def test_one_suppressed_cell_in_a_row_with_a_total_column(table: Table) -> None:
    path = table("town,boys,girls,Total\nA,10,*,30\nB,12,8,20\n")
    assert found(check_file(path, policy(5))) == [(2, 3, "recoverable-cell")]


def test_two_suppressed_cells_in_a_row_are_not_recoverable(table: Table) -> None:
    path = table("town,boys,girls,other,Total\nA,10,*,*,30\nB,12,8,7,27\n")
    assert found(check_file(path, policy(5))) == []


def test_suppressed_total_is_recoverable_from_its_parts(table: Table) -> None:
    path = table("town,boys,girls,Total\nA,10,12,*\nB,12,8,20\n")
    assert found(check_file(path, policy(5))) == [(2, 4, "recoverable-cell")]


def test_column_total_row(table: Table) -> None:
    path = table("town,children\nA,*\nB,10\nC,12\nTotal,25\n")
    audit = audit_file(path, policy(5))
    assert audit.total_rows == [5]
    assert found(audit.problems) == [(2, 2, "recoverable-cell")]
    two = table("town,children\nA,*\nB,*\nC,12\nAll towns,25\n", "two.csv")
    assert found(check_file(two, policy(5))) == []


def test_deduction_chains_across_rows_and_columns(table: Table) -> None:
    # row A gives girls; then the girls column gives C; then row C gives boys
    path = table("town,boys,girls,Total\nA,10,*,30\nB,12,8,20\nC,*,*,40\nTotal,52,38,90\n")
    assert found(check_file(path, policy(5))) == [
        (2, 3, "recoverable-cell"), (4, 2, "recoverable-cell"), (4, 3, "recoverable-cell")]


def test_a_suppressed_rectangle_is_safe(table: Table) -> None:
    # four cells on two rows and two columns: each line has two unknowns, the system
    # has rank 3 for 4 unknowns — the classic complementary pattern
    path = table("town,boys,girls,Total\nA,*,*,9\nB,*,*,11\nC,20,30,50\nTotal,29,41,70\n")
    assert found(check_file(path, policy(5))) == []


def test_combination_that_no_single_line_reveals(table: Table) -> None:
    # every line has two or more suppressed cells; A/B × a/b and C/D × c/d are safe
    # rectangles, but cell B/c links them and follows from rows A+B minus columns a+b
    path = table(
        "town,a,b,c,d,Total\n"
        "A,*,*,20,20,51\n"
        "B,*,*,*,20,44\n"
        "C,20,20,*,*,61\n"
        "D,20,20,*,*,65\n"
        "Total,52,54,51,64,221\n")
    violations = check_file(path, policy(5))
    assert found(violations) == [(3, 4, "recoverable-cell")]
    assert "by combining 4 totals" in violations[0].message


def test_no_complementary_rule_no_totals_check(table: Table) -> None:
    path = table("town,boys,girls,Total\nA,10,*,30\n")
    assert found(check_file(path, policy(5, complementary=False))) == []


def test_totals_that_do_not_add_up_are_not_used(table: Table) -> None:
    # alone-or-in-combination counts: a child is in several groups, the total is less
    path = table("town,black,hispanic,white,Total\nA,20,15,30,60\nB,*,12,40,55\n")
    audit = audit_file(path, policy(5))
    assert found(audit.problems) == []
    assert audit.total_column is None
    assert any("row totals in column 'Total'" in n for n in audit.notes)


def test_grouped_long_table(table: Table) -> None:
    path = table(
        "year,town,race,children\n"
        "2025,A,black,12\n2025,A,white,*\n2025,A,Total,30\n"
        "2025,B,black,*\n2025,B,white,*\n2025,B,Total,25\n"
        "2024,A,black,*\n2024,A,white,15\n2024,A,Total,20\n")
    audit = audit_file(path, policy(5))
    assert audit.count_columns == ["children"]
    assert audit.key_columns == ["year", "town", "race"]
    assert audit.total_rows == [4, 7, 10]
    assert found(audit.problems) == [(3, 4, "recoverable-cell"), (8, 4, "recoverable-cell")]


def test_known_total(table: Table) -> None:
    path = table("town,children\nA,*\nB,10\nC,12\n")
    assert found(check_file(path, policy(5))) == []
    audit = audit_file(path, policy(5), known_totals={"children": 25})
    assert found(audit.problems) == [(2, 2, "recoverable-cell")]


def test_declared_total_column(table: Table) -> None:
    path = table("town,entries,first_entries,reentries\nA,31,28,*\nB,40,*,*\n")
    assert found(check_file(path, policy(6))) == []
    audit = audit_file(path, policy(6), total_column="entries")
    assert found(audit.problems) == [(2, 4, "recoverable-cell")]


# -- which columns are counts --------------------------------------------------------------

def test_auto_detection_skips_years_codes_and_rates(table: Table) -> None:
    path = table("fiscal_year,town_code,town,children,rate_per_1000,pct\n"
                 "2025,64,Hartford,3,2,1\n")
    audit = audit_file(path, policy(5))
    assert audit.count_columns == ["children"]
    assert audit.count_columns_from == "auto-detected"
    assert found(audit.problems) == [(2, 4, "small-count")]


def test_count_columns_option_overrides_detection(table: Table) -> None:
    path = table("town,children,adults\nA,3,2\n")
    assert found(check_file(path, policy(5), count_columns=["adults"])) == [
        (2, 3, "small-count")]


# -- reading ------------------------------------------------------------------------------

def test_policy_symbols_and_other_markers(table: Table) -> None:
    pol = SuppressionPolicy(id="p", title="P", description="D", min_count=5,
                            other_symbols=["<5"], complementary=False)
    path = table("town,children\nA,<5\nB,*\nC,12\nD,s\n")
    assert found(check_file(path, pol, count_columns=["children"])) == [(5, 2, "invalid-count")]


def test_semicolons_latin1_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("ville;enfants\nMontr\xe9al;3\n\nB;7;extra\nC\n".encode("latin-1"))
    audit = audit_file(path, policy(5), count_columns=["enfants"])
    assert found(audit.problems) == [(2, 2, "small-count")]
    assert any("irregular" in n for n in audit.notes)


def test_reads_the_table_as_a_stream(tmp_path: Path) -> None:
    """Memory does not grow with the rows: a 40,000-row table is checked with a few MB of
    Python allocations (the rows are never held)."""
    import tracemalloc

    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("town,year,boys,girls,Total\n")
        for i in range(40_000):
            fh.write(f"T{i % 169},{2000 + i // 169},{10 + i % 7},{12 + i % 5},"
                     f"{22 + i % 7 + i % 5}\n")
    tracemalloc.start()
    audit = audit_file(path, policy(5))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert audit.ok and audit.rows == 40_000
    assert audit.count_columns == ["boys", "girls", "Total"]
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_problems_are_capped_with_a_note(table: Table) -> None:
    from catalog.governance import suppression

    path = table("town,children\n" + "".join(f"T{i},3\n" for i in range(1200)))
    audit = audit_file(path, policy(5))
    assert len(audit.problems) == suppression.MAX_CELLS
    assert any("200 more problem cell(s)" in n for n in audit.notes)


# -- datasets in the inventory --------------------------------------------------------------

def test_the_sample_passes_its_own_policy() -> None:
    inv = validate(Project(REPO))
    checked = [e for e in inv.datasets.values() if e.model.sample]
    assert checked
    for entry in checked:
        assert list(published_counts_are_suppressed(entry, inv)) == [], entry.model.id
    entry = inv.datasets["dcf-entries-to-care-by-town"]
    layout_audit = audit_file(SAMPLE, inv.standards.policies["dcf-client-small-n"],
                              count_columns=["entries", "first_entries", "reentries"],
                              total_column="entries")
    assert layout_audit.ok  # entries = first + re-entries: still nothing recoverable
    assert entry.model.disclosure and entry.model.disclosure.suppression_policy


def test_the_rule_reports_the_sample_cells(make_project: MakeProject) -> None:
    from .conftest import DATASET

    descriptor = DATASET.replace(
        "      description: Number of things.\n",
        "      description: Number of things.\n      count: true\n",
    ) + ("disclosure:\n  aggregates_confidential: true\n  suppression_policy: ct-small-n-5\n"
         "sample: samples/tst-town-counts.csv\n")
    root = make_project({"inventory/tst/tst-town-counts.yml": descriptor,
                         "inventory/tst/samples/tst-town-counts.csv":
                         "town,things\nHartford,3\nNew Haven,12\n"})
    inv = validate(Project(root))
    problems = [p for p in inv.report if p.code in CODES]
    assert [(p.file, p.line, p.column, p.field, p.code, p.pointer) for p in problems] == [
        ("inventory/tst/samples/tst-town-counts.csv", 2, 2, "things", "small-count", "/sample")]
    assert "ct-small-n-5" in problems[0].hint
    assert problems[0].as_line().startswith(
        "inventory/tst/samples/tst-town-counts.csv:2:2 error small-count: things: count 3")
    assert set(CODES) <= set(REGISTERED)


# -- command line -------------------------------------------------------------------------

def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(check_suppression, [*args, "--root", str(REPO)])
    return result.exit_code, result.output


def test_cli_sample_with_its_descriptor() -> None:
    code, out = run(str(SAMPLE), "--descriptor", str(SAMPLE_DESCRIPTOR))
    assert code == 0, out
    assert "count columns (descriptor and auto-detected): entries, first_entries, reentries" in out
    assert "no violations" in out


def test_cli_reports_row_and_column(table: Table) -> None:
    path = table("town,boys,girls,Total\nA,10,*,30\nB,3,17,20\n")
    code, out = run(str(path), "--policy", "ct-small-n-5")
    assert code == 1
    assert "count columns (auto-detected): boys, girls, Total" in out
    assert f"{path}:2:3 recoverable-cell: girls:" in out
    assert f"{path}:3:2 small-count: boys:" in out
    code, out = run(str(path), "--policy", "ct-small-n-5", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["valid"] is False
    assert [(v["line"], v["column"], v["field"], v["code"]) for v in data["problems"]] == [
        (2, 3, "girls", "recoverable-cell"), (3, 2, "boys", "small-count")]


def test_cli_options(table: Table) -> None:
    path = table("town,entries,first,re\nA,31,28,*\n")
    assert run(str(path), "--policy", "dcf-client-small-n")[0] == 0
    code, out = run(str(path), "--policy", "dcf-client-small-n", "--total-column", "entries")
    assert code == 1 and ":2:4 recoverable-cell" in out
    code, out = run(str(path), "--policy", "dcf-client-small-n", "--count-columns", "first",
                    "--known-total", "first=28")
    assert code == 0 and "count columns (option): first" in out


def test_cli_errors(table: Table) -> None:
    path = table("town,children\nA,7\n")
    code, out = run(str(path), "--policy", "ct-small-n")
    assert code == 2 and "did you mean 'ct-small-n-5'" in out
    code, out = run(str(path))
    assert code == 2 and "no policy" in out
    code, out = run(str(path), "--policy", "ct-small-n-5", "--count-columns", "kids")
    assert code == 2 and "no column(s) kids" in out
    code, out = run(str(path), "--policy", "ct-small-n-5", "--known-total", "children")
    assert code == 2 and "COLUMN=N" in out


def test_totals_must_name_count_columns(table: Table) -> None:
    path = table("town,children,adults\nA,*,10\n")
    for kw in ({"total_column": "adults"}, {"known_totals": {"adults": 10}}):
        with pytest.raises(CatalogError, match="not count columns: adults"):
            audit_file(path, policy(5), count_columns=["children"], **kw)


def test_the_policys_symbol_is_not_a_sample_error(make_project: MakeProject) -> None:
    """A count column with the policy's `*` and no missingValues: not sample-invalid, and
    the small count beside it is still found (whatever else is wrong with the sample)."""
    from .test_corpus import SUP, SUP_CSV, SUPPRESSED

    descriptor = SUPPRESSED.replace('  missingValues: ["", "*"]\n', "")
    root = make_project({SUP: descriptor, SUP_CSV: "region,things\nCapitol,*\nSouth,3\n"
                         "North,many\n"})
    report = validate(Project(root)).report
    found = [(p.code, p.line) for p in report if p.file == SUP_CSV]
    assert ("small-count", 3) in found and ("invalid-count", 4) in found
    assert ("sample-invalid", 2) not in found  # the policy's own symbol
    assert ("sample-invalid", 4) in found  # 'many' is not an integer


@pytest.mark.slow
def test_a_ten_megabyte_sample_in_bounded_memory_at_frictionless_speed(tmp_path: Path) -> None:
    """The benchmark (scripts/bench_suppression): a valid 10 MiB aggregate with total rows
    is audited in about Frictionless's own time, in memory that does not grow with the
    rows (before streaming: 27.6 s and 626 MB for a file Frictionless read in 4.6 s)."""
    from catalog.bench import suppression as bench

    path = tmp_path / "big.csv"
    rows = bench.generate(path, 10.0)
    frictionless = bench._run(bench._FRICTIONLESS, str(path), json.dumps(bench.SCHEMA))
    audit = bench._run(bench._AUDIT, str(path))
    assert rows > 200_000 and audit["total_rows"] > 25_000
    assert audit["seconds"] < 2.0 * frictionless["seconds"], (audit, frictionless)
    assert audit["peak"] < 2.5 * frictionless["peak"], (audit, frictionless)


def test_a_detected_count_column_is_checked_unless_waived(make_project: MakeProject) -> None:
    from .test_corpus import SUP, SUP_CSV, SUPPRESSED

    field = ("    - name: population\n      type: integer\n"
             "      description: Census population of the region.\n")
    with_field = SUPPRESSED.replace("    - name: things\n", field + "    - name: things\n")
    waived = with_field.replace(
        "      description: Census population of the region.\n",
        "      description: Census population of the region.\n"
        "      waivers:\n        count: A published census estimate, not a count of records.\n")
    csv_text = "region,population,things\nCapitol,3,12\nSouth,900,22\n"
    for descriptor, flagged in ((with_field, True), (waived, False)):
        root = make_project({SUP: descriptor, SUP_CSV: csv_text})
        report = validate(Project(root)).report
        found = [(p.code, p.field) for p in report if p.file == SUP_CSV]
        assert (("small-count", "population") in found) is flagged, found
