"""Commands of the history stage: ``catalog diff``, ``catalog codeowners`` and
``catalog progress`` (loaded only when run)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..clikit import emit, format_option, handle_errors, project_of, root_option


@click.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@format_option("text", "json", "markdown", "github", "sarif",
               help="markdown: a summary to post on a pull request; github: workflow-command "
              "annotations on the changed lines; sarif: SARIF 2.1.0 of the risk flags.")
@root_option
@handle_errors(exit_code=2)
def diff(base: str | None, head: str | None, fmt: str, root: Path | None) -> None:
    """What a change does to the inventory, by property, with risk flags.

    Compares BASE with HEAD (git revisions). Default BASE: the merge base of the main
    branch (origin's default branch, else main or master) and HEAD; default HEAD: the
    working tree, untracked files included. Datasets, fields, agencies, agreements,
    requests and standards are compared property by property; changes that need a second
    look (more visible, PII in public data, lower classification, a policy removed, an
    agreement's parties, purpose or term, a standard's values under existing fields)
    raise risk flags.

    Exit code 1 when a risk flag fired, 0 when none did, 2 when the revisions cannot be
    compared.

    \b
    Example:
        catalog diff
        catalog diff origin/main HEAD --format markdown > review.md
    """
    from .. import report_formats
    from . import review as R

    result = R.review(project_of(root), base, head)
    emit(fmt, text=lambda: R.text(result), data=R.to_dict(result), ensure_ascii=False,
         others={"markdown": lambda: R.markdown(result),
                 "github": lambda: report_formats.github(result.report),
                 "sarif": lambda: report_formats.sarif(result.report)})
    if fmt == "github":
        click.echo(R.text(result).splitlines()[-1], err=True)
    if result.risky:
        sys.exit(1)


@click.command("codeowners")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write this file (e.g. .github/CODEOWNERS) instead of standard output.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when --output is not what would be written.")
@click.option("--cdo", multiple=True, metavar="HANDLE",
              help="The Chief Data Officer's office (default: stewards in "
              "inventory/_catalog.yml); repeatable.")
@root_option
@handle_errors
def codeowners(output: Path | None, check: bool, cdo: tuple[str, ...],
               root: Path | None) -> None:
    """Write a CODEOWNERS file that routes each change to its reviewers.

    Each agency folder is owned by the stewards its _agency.yml names (stewards:
    [@org/team, ...]); standards/, _agreements/, _requests/ and _catalog.yml by the
    Chief Data Officer's office, which also reviews agencies that name no stewards.

    \b
    Example:
        catalog codeowners -o .github/CODEOWNERS
        catalog codeowners -o .github/CODEOWNERS --check
    """
    from .codeowners import codeowners as codeowners_text

    text = codeowners_text(project_of(root), cdo)
    if check:
        if output is None:
            raise click.UsageError("--check needs --output (the file to compare)")
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            click.echo(f"{output} is out of date: run catalog codeowners -o {output}", err=True)
            sys.exit(1)
        click.echo(f"{output} is up to date", err=True)
        return
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@click.command("progress")
@click.argument("agency")
@click.option("--from", "start", default=None, metavar="DATE",
              help="First day of the period: YYYY-MM-DD or YYYY-MM (default: a year "
              "before --to).")
@click.option("--to", "end", default=None, metavar="DATE",
              help="Last day of the period: YYYY-MM-DD or YYYY-MM (default: today).")
@format_option("text", "markdown", "csv", "json")
@click.option("--no-build", is_flag=True, help="Report from the last build as it is.")
@root_option
@handle_errors
def progress(agency: str, start: str | None, end: str | None, fmt: str, no_build: bool,
             root: Path | None) -> None:
    """An agency's progress over a period, against the State Data Plan's goals.

    The scorecards at the start and the end of the period (from the scorecards kept at
    every release tag and month of the inventory's history, or the current build's),
    and the datasets the agency added, opened, documented and brought to conformance
    in between. The catalog serves the same report at /agencies/AGENCY/progress.

    \b
    Example:
        catalog progress dcf --from 2025-07 --to 2026-06 --format markdown
    """
    import datetime as dt

    from ..dbapi import sqlite3
    from ..serve import ensure_built
    from . import progress as P

    project = project_of(root)
    out_dir = project.build_dir if no_build else ensure_built(project)
    db = out_dir / "inventory.db"
    if not db.is_file():
        raise click.ClickException(f"{db} does not exist: run `catalog build`")
    first, last = P.period(start, end, dt.date.today())
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        report = P.report(conn, agency, first, last)
    finally:
        conn.close()
    emit(fmt, text=lambda: P.text(report), data=report.to_dict(), ensure_ascii=False,
         rows=P.csv_rows(report), columns=P.CSV_COLUMNS,
         others={"markdown": lambda: P.markdown(report)})
