"""``catalog check-suppression``: a thin layer over :func:`audit_file`."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

import click

from ..clikit import emit, format_option, handle_errors, project_of, root_option
from ..problems import CatalogError
from ..project import Project
from .suppression import Audit, audit_file, dataset_layout


def _project(root: Path | None, file: Path) -> Project:
    return project_of(root, fallback=file.resolve().parent)


def _descriptor(project: Project, path: Path) -> Any:
    from ..load import load_file
    from ..model import Dataset
    from ..model.check import check

    doc = load_file(path, project.rel(path.resolve()))
    model, problems = check(doc, Dataset) if doc.data is not None else (None, [])
    if model is None:
        first = (doc.problems + problems)[:1]
        raise CatalogError(f"{path} is not a valid dataset descriptor"
                           + (f": {first[0].as_line()}" if first else ""),
                           hint=f"run `catalog validate {path}`")
    if model.schema_ is None:
        raise CatalogError(f"{path} has no data dictionary (schema)",
                           hint="mark count fields with count: true")
    return model


def _known_totals(values: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for value in values:
        name, _, number = value.rpartition("=")
        if not name or not number.strip().isdigit():
            raise CatalogError(f"--known-total {value!r} is not COLUMN=N",
                               hint="e.g. --known-total entries=1234")
        out[name] = int(number)
    return out


def _render_text(audit: Audit, summary: str) -> str:
    lines = [f"file: {audit.file}", f"policy: {summary}",
             f"count columns ({audit.count_columns_from}): "
             + (", ".join(audit.count_columns) or "none"),
             "label columns: " + (", ".join(audit.key_columns) or "none")]
    if audit.complementary:
        totals = [f"row totals in column '{audit.total_column}'"] if audit.total_column else []
        if audit.total_rows:
            totals.append("total rows " + ", ".join(map(str, audit.total_rows[:10]))
                          + (" …" if len(audit.total_rows) > 10 else ""))
        totals += [f"known total of '{c}' = {n}" for c, n in audit.known_totals.items()]
        lines.append("totals: " + ("; ".join(totals) or "none found"))
    lines += [f"note: {n}" for n in audit.notes]
    lines += [f"{p.file}:{p.line}:{p.column} {p.code}: {p.field}: {p.message}"
              for p in audit.problems]
    n = len(audit.problems)
    lines.append(f"{n} violation(s)" if n else "no violations")
    return "\n".join(lines)


@click.command("check-suppression")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy", "policy_id", default=None,
              help="Policy id from standards/suppression.yml (default: the descriptor's).")
@click.option("--descriptor", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Dataset descriptor: its fields marked count: true are "
              "count columns (with those detected, unless waived), its primary key the "
              "label columns, its missing values suppression markers.")
@click.option("--count-columns", default=None, metavar="A,B,…",
              help="Count columns (default: the descriptor's, else auto-detected).")
@click.option("--total-column", default=None, metavar="NAME",
              help="The count column that sums the other count columns in each row "
              "(default: the one named like Total or All).")
@click.option("--known-total", multiple=True, metavar="COLUMN=N",
              help="A column total published elsewhere (repeatable).")
@format_option("text", "json")
@root_option(help="Project folder with standards/ (default: the nearest one).")
@handle_errors(exit_code=2)  # 1 means violations
def check_suppression(file: Path, policy_id: str | None, descriptor: Path | None,
                      count_columns: str | None, total_column: str | None,
                      known_total: tuple[str, ...], fmt: str, root: Path | None) -> None:
    """Check FILE, a CSV of published counts, against a small-number suppression policy.

    Reports each published count below the policy minimum (small-count), each count not
    rounded as the policy requires (unrounded-count), each count cell that is not a
    number or the suppression symbol (invalid-count) and, when the policy requires
    complementary suppression, each suppressed cell that can be recalculated from the
    table's totals (recoverable-cell), as `file:row:column code: field: message`. Exit
    code 1 when there is a violation, 2 when the file or policy cannot be used.

    \b
    Example:
        catalog check-suppression inventory/dcf/samples/dcf-entries-to-care-by-town.csv \\
            --descriptor inventory/dcf/dcf-entries-to-care-by-town.yml
        catalog check-suppression town-counts.csv --policy ct-small-n-5 \\
            --count-columns boys,girls,total
    """
    from ..standards import load_standards

    project = _project(root, file)
    standards, _ = load_standards(project)
    kw: dict[str, Any] = {}
    if descriptor is not None:
        d = _descriptor(project, descriptor)
        kw = dataset_layout(d)
        if not policy_id and d.disclosure and d.disclosure.suppression_policy:
            policy_id = d.disclosure.suppression_policy
    if count_columns is not None:
        kw.pop("also_count", None)
        kw.pop("not_count", None)
        kw["count_columns"] = [c.strip() for c in count_columns.split(",") if c.strip()]
        kw["count_columns_from"] = "option"
    if not policy_id:
        raise CatalogError("no policy: give --policy (or a --descriptor that names one)",
                           hint="policies: " + ", ".join(standards.policies))
    policy = standards.policies.get(policy_id)
    if policy is None:
        close = difflib.get_close_matches(policy_id, list(standards.policies), n=1)
        raise CatalogError(f"no suppression policy '{policy_id}' in "
                           f"{project.rel(project.standards_dir / 'suppression.yml')}",
                           hint=(f"did you mean '{close[0]}'? " if close else "")
                           + "policies: " + ", ".join(standards.policies))
    audit = audit_file(file, policy, total_column=total_column,
                       known_totals=_known_totals(known_total), display=str(file), **kw)
    zeros = "zeros suppressed" if policy.suppress_zero else "zeros shown"
    summary = (f"{policy.id} (counts below {policy.min_count} suppressed, {zeros}"
               + (f", rounded to {policy.rounding}" if policy.rounding else "")
               + (", complementary" if policy.complementary else "") + ")")
    emit(fmt, text=lambda: _render_text(audit, summary), data=audit.to_dict())
    if audit.problems:
        sys.exit(1)
