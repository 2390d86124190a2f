"""``catalog``: the command line. Each command calls one library function and renders its
result; :class:`~catalog.problems.CatalogError` becomes a click error in one place."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from . import __version__
from .clikit import emit, format_option, handle_errors, project_of, root_option, today_option
from .lazy import load
from .problems import CatalogError, Report
from .project import Project


class LazyGroup(click.Group):
    """A group whose commands from other packages are imported only when run (or listed
    in --help): ``catalog build`` need not import Frictionless or the usage store."""

    LAZY = {  # command: "module:attribute"
        "import": "catalog.interop.cli_import:import_command",
        "check-suppression": "catalog.governance.cli:check_suppression",
        "agreements": "catalog.agreements.cli:agreements",
        "usage": "catalog.usage.cli:usage",
        "diff": "catalog.history.cli:diff",
        "codeowners": "catalog.history.cli:codeowners",
        "progress": "catalog.history.cli:progress",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            command: click.Command = load(self.LAZY[cmd_name])
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="catalog")
def main() -> None:
    """State metadata catalog and high-value data inventory.

    Stewards describe datasets as YAML in inventory/<agency>/<dataset>.yml;
    `catalog validate` checks them, `catalog build` compiles them into SQLite and
    `catalog serve` browses them with Datasette.
    """


def _emit(report: Report, project: Project, fmt: str) -> None:
    """Print ``report`` in ``fmt``: text with source excerpts, JSON, SARIF or GitHub
    workflow-command annotations (their count on stderr)."""
    from . import report_formats

    emit(fmt, text=lambda: report_formats.text(report, project.root, context=True),
         data=report.to_dict(),
         others={"sarif": lambda: report_formats.sarif(report),
                 "github": lambda: report_formats.github(report)})
    if fmt == "github":
        click.echo(report.summary(), err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@format_option("text", "json", "github", "sarif",
               help="github: workflow-command annotations for pull requests; sarif: SARIF 2.1.0 "
              "for code-scanning dashboards.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too (not on dated ones: "
              "findings of today's date alone, listed by `catalog due`).")
@root_option
@today_option
@handle_errors
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, root: Path | None,
             today: dt.datetime | None) -> None:
    """Check descriptors, agencies, agreements and standards; report every problem.

    Each problem prints as `file:line:col severity code: message (hint: ...)`.
    PATHS limits the report to those files or folders (the whole inventory is still
    read, so cross-references are checked). Exit code 1 when there are errors. Dated
    findings (a term that ended, a review that fell due) are reported but never fail
    the run: nobody changed anything.

    \b
    Example:
        catalog validate inventory/dcf/
        catalog validate --format json > problems.json
    """
    from .build import check_project
    from .validate import filter_report

    project = project_of(root)
    outcome = check_project(project, today=today.date() if today else None)
    report = filter_report(outcome.report, project, paths) if paths else outcome.report
    _emit(report, project, fmt)
    if report.errors or (strict and any(not w.dated for w in report.warnings)):
        sys.exit(1)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Build folder (default: <root>/build).")
@click.option("--allow-warnings", is_flag=True,
              help="Build even if validation reports warnings (never with errors).")
@click.option("--full", is_flag=True,
              help="Re-read every descriptor and write the databases afresh (ignore the "
              "cache in <build>/.cache).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes that analyse descriptors (default: one per core).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@root_option
@today_option
@handle_errors
def build(out_dir: Path | None, allow_warnings: bool, full: bool, jobs: int | None,
          quiet: bool, root: Path | None, today: dt.datetime | None) -> None:
    """Validate, then compile the inventory into build/inventory.db and build/public.db.

    Refuses to build when validation finds errors, or warnings without
    --allow-warnings. The previous databases stay untouched on failure.

    Builds are incremental: only descriptors whose content changed since the last build
    are parsed and checked again, and the databases are patched rather than rewritten.
    A change to the standards (or --full) rebuilds everything.

    \b
    Example:
        catalog build --allow-warnings
    """
    from .build import build as run_build
    from .project import discover

    project = project_of(root)
    day = today.date() if today else None
    if quiet:
        outcome = run_build(project, out_dir, today=day, allow_warnings=allow_warnings,
                            jobs=jobs, full=full)
    else:
        found = discover(project)  # the bar's length; the build uses it too
        total = sum(s.kind == "dataset" for s in found.sources)
        with click.progressbar(length=total, label="Checking", file=sys.stderr,
                               show_pos=True) as bar:
            outcome = run_build(project, out_dir, today=day, allow_warnings=allow_warnings,
                                jobs=jobs, full=full, progress=bar.update, found=found)
    report, result = outcome.report, outcome.result
    if outcome.mode == "blocked":
        from . import report_formats

        click.echo(report_formats.text(report, project.root, context=True), err=True)
        hint = "" if report.errors else " (pass --allow-warnings to build anyway)"
        raise click.ClickException(f"not built: {report.summary()}{hint}")
    if result is None:  # unchanged
        if not quiet:
            click.echo(f"up to date: {out_dir or project.build_dir} was built from these "
                       "sources today (catalog build --full to rebuild anyway)")
        return
    if not quiet:
        c, pc = result.counts, result.public_counts
        click.echo(f"built {result.inventory_db}: {c.get('datasets', 0)} datasets, "
                   f"{c.get('fields', 0)} fields, {c.get('agreements', 0)} agreements")
        click.echo(f"built {result.public_db}: {pc.get('datasets', 0)} public datasets, "
                   f"{pc.get('fields', 0)} fields, {pc.get('agreements', 0)} agreements")
        click.echo(f"{outcome.mode} build: {outcome.analysed} of {total} descriptors "
                   "checked, the rest unchanged since the last build"
                   if outcome.mode == "incremental" else
                   f"{outcome.mode} build: {outcome.analysed} descriptors checked")
        if report.warnings:
            click.echo(f"with {report.summary()} (see `catalog validate`)")


@main.command()
@click.argument("agency")
@click.argument("dataset_id")
@click.option("--title", default=None, help="Dataset title.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--new-agency", is_flag=True,
              help="AGENCY is new: create inventory/AGENCY/_agency.yml too (otherwise an "
              "unknown agency is an error).")
@root_option
@handle_errors
def new(agency: str, dataset_id: str, title: str | None, force: bool, new_agency: bool,
        root: Path | None) -> None:
    """Scaffold a commented descriptor at inventory/AGENCY/DATASET_ID.yml.

    AGENCY must exist, unless --new-agency creates inventory/AGENCY/_agency.yml. Every
    placeholder value is an error (scaffold-placeholder) until replaced.

    \b
    Example:
        catalog new dph dph-lead-screening --title "Childhood Lead Screening"
    """
    from .scaffold import scaffold

    project = Project(root.resolve()) if root else Project(Path.cwd())
    for path in scaffold(project, agency, dataset_id, title=title, force=force,
                         new_agency=new_agency):
        click.echo(f"created {project.rel(path)}")
    click.echo(f"next: edit it, then run `catalog validate inventory/{agency}/`")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--no-build", is_flag=True, help="Serve the databases as they are.")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help="Switch to each new build (`catalog build`) without dropping a request. "
              "--no-watch runs Datasette alone: restart it after a build.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The build folder to serve (default: <root>/build); a replica serves "
              "the folder `catalog publish` writes to, with --no-build.")
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
@root_option
@handle_errors
def serve(host: str, port: int, no_build: bool, watch: bool, build_dir: Path | None,
          datasette_args: tuple[str, ...], root: Path | None) -> None:
    """Build if the inventory changed, then serve the catalog with Datasette.

    While it runs, each new build in build/ is picked up: a fresh Datasette process
    takes over the socket once it is ready (docs/robustness.md). Extra arguments after
    `--` go to `datasette serve`.

    \b
    Example:
        catalog serve --port 8001
    """
    from .serve import serve as run

    project = project_of(root)
    sys.exit(run(project, host=host, port=port, build=not no_build,
                 extra=list(datasette_args), watch=watch,
                 build_dir=build_dir.resolve() if build_dir else None))


@main.command()
@click.option("--to", "folders", multiple=True, required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="A replica's build folder (repeat for each replica).")
@click.option("--wait", "healths", multiple=True, metavar="URL",
              help="That replica's address (or its /-/health URL), one per --to in the same "
              "order: switch the replicas one at a time, each once the previous one serves "
              "the new build.")
@click.option("--from", "source", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="The build to publish (default: <root>/build).")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for each replica with --wait.")
@root_option
@handle_errors
def publish(folders: tuple[Path, ...], healths: tuple[str, ...], source: Path | None,
            timeout: float, root: Path | None) -> None:
    """Copy the last build to every replica's build folder, all or none, and switch the
    replicas to it (one at a time with --wait).

    \b
    Example:
        catalog publish --to /srv/catalog/r1 --wait http://127.0.0.1:8101 \\
                        --to /srv/catalog/r2 --wait http://127.0.0.1:8102
    """
    from .publish import publish as run
    from .publish import targets_from

    source_dir = source or project_of(root).build_dir
    run(source_dir, list(targets_from(folders, healths)), wait=timeout,
        say=lambda line: click.echo(line))


@main.command()
@click.argument("kind", type=click.Choice(["dataset", "agency", "agreement", "all"]),
                default="all")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Write <kind>.schema.json files here instead of stdout.")
def schema(kind: str, out_dir: Path | None) -> None:
    """Print (or write) the JSON Schema of descriptors, generated from the model.

    Editors use it for completion and validation: the committed copies live in
    docs/schema/ and every descriptor's first line points at one.

    \b
    Example:
        catalog schema --out docs/schema
    """
    from . import descriptor_schemas as schemas

    if out_dir is not None:
        for path in schemas.write_all(out_dir):
            click.echo(f"wrote {path}")
        return
    if kind == "all":
        raise click.UsageError("give a KIND, or --out to write all of them")
    click.echo(schemas.schema_text(kind), nl=False)


@main.command()
@click.argument("user", type=click.Choice(["admin", "staff"]))
@click.password_option(help="The new password (prompted twice when omitted).")
@root_option
@handle_errors
def passwd(user: str, password: str, root: Path | None) -> None:
    """Set the local sign-in password of USER (admin: the CDO; staff: agency staff).

    Stores a salted PBKDF2 hash in catalog-auth.yml (never committed) and rotates the
    cookie-signing secret, which ends every session (how to revoke them all). At least
    12 characters, 5 different ones, not the user name. Deployments
    set CATALOG_ADMIN_PASSWORD_HASH / CATALOG_STAFF_PASSWORD_HASH instead; print a
    hash with `datasette hash-password`.

    \b
    Example:
        catalog passwd admin
    """
    from .auth import password_problem, set_password

    weak = password_problem(user, password)
    if weak:
        raise CatalogError(f"password not changed: {weak}",
                           hint="use a passphrase of several unrelated words")
    project = project_of(root)
    path = set_password(project.root, user, password)
    click.echo(f"password for {user} stored in {project.rel(path)}; the cookie secret was "
               "rotated, so every signed-in session ends when catalog serve restarts")


@main.group("ci-report")
def ci_report() -> None:
    """Agencies' CI reports, shown to staff on /staff and /staff/problems."""


@ci_report.command("add")
@click.argument("agency")
@click.argument("source")
@click.option("--commit", default="", help="The commit the report checked (for links).")
@click.option("--run-url", default="", help="The CI run that made the report.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Build folder (default: <root>/build).")
@root_option
@handle_errors
def ci_report_add(agency: str, source: str, commit: str, run_url: str, out_dir: Path | None,
                  root: Path | None) -> None:
    """Keep AGENCY's newest CI report: SOURCE is a file or an http(s) URL holding the
    output of `catalog validate --format json` in the agency's pipeline
    (docs/steward-ci.md). It replaces the agency's previous report.

    \b
    Example:
        catalog ci-report add dph https://ci.example.org/dph/inventory/report.json \\
            --commit 3f2a9c1 --run-url https://ci.example.org/dph/inventory/runs/812
    """
    import re

    from .interop.fetch import decode, read
    from .model.common import ID_PATTERN
    from .status import add_ci_report

    project = project_of(root)
    if not re.match(ID_PATTERN, agency) or not (
            project.inventory_dir / agency / "_agency.yml").is_file():
        raise CatalogError(f"no agency {agency!r} in {project.rel(project.inventory_dir)}",
                           hint="give the id of a folder with an _agency.yml")
    text, _ = decode(read(source))
    path = add_ci_report(out_dir or project.build_dir, agency, text, source, commit=commit,
                         run_url=run_url)
    click.echo(f"CI report of {agency} kept in {project.rel(path)}")


@main.command()
@click.argument("fmt", metavar="FORMAT")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@click.option("--no-build", is_flag=True, help="Export the last build as it is.")
@root_option
@handle_errors
def export(fmt: str, output: Path | None, no_build: bool, root: Path | None) -> None:
    """Export the public catalog: datajson, dcat-us3 (JSON-LD), dcat-us3-turtle,
    dcat-us3-rdfxml, dcat-us3-ntriples, datapackage or csv.

    Only what the public may see is exported (it is read from public.db). The site
    serves the same files at /data.json, /catalog.jsonld, /catalog.ttl, /catalog.rdf,
    /catalog.nt, /datapackage.json and /inventory.csv.

    \b
    Example:
        catalog export datajson -o data.json
        catalog export dcat-us3-turtle -o catalog.ttl
    """
    from .interop import exporter
    from .interop.source import read
    from .serve import ensure_built

    project = project_of(root)
    spec = exporter(fmt)
    out_dir = project.build_dir if no_build else ensure_built(project)
    text = spec.load()(read(out_dir / "public.db"))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({spec.description})", err=True)




@main.command()
@format_option("text", "json", "csv")
@click.option("--status", type=click.Choice(["conformant", "partial", "nonconformant"]),
              multiple=True, help="Only fields with this status (repeatable).")
@root_option
@handle_errors
def conformance(fmt: str, status: tuple[str, ...], root: Path | None) -> None:
    """Per-field conformance to the common-element standards.

    Lists every data-dictionary field that names a standard, with its status
    (conformant, partial, nonconformant) and why.

    \b
    Example:
        catalog conformance --status nonconformant --status partial
    """
    from .build import validate

    inv = validate(project_of(root))
    found = [c for _, c in sorted(inv.conformance.items()) if not status or c.status in status]

    def text() -> str:
        counts = {s: sum(1 for c in found if c.status == s)
                  for s in ("conformant", "partial", "nonconformant")}
        width = max((len(f"{c.dataset_id}.{c.field_name}") for c in found), default=10)
        lines = [f"{c.dataset_id + '.' + c.field_name:<{width}}  {c.standard:<20} {c.status}"
                 + (f"  ({'; '.join(c.details)})" if c.details else "") for c in found]
        return "\n".join([*lines, ", ".join(f"{n} {s}" for s, n in counts.items())])

    emit(fmt, text=text, data=[c.__dict__ for c in found],
         rows=[{"dataset": c.dataset_id, "field": c.field_name, "standard": c.standard,
                "status": c.status, "details": list(c.details)} for c in found],
         columns=("dataset", "field", "standard", "status", "details"))


@main.command()
@format_option("text", "json", "csv")
@click.option("--agency", "agencies", multiple=True, help="Only these agencies (repeatable).")
@root_option
@today_option
@handle_errors
def scorecards(fmt: str, agencies: tuple[str, ...], root: Path | None,
           today: dt.datetime | None) -> None:
    """Scorecards for the State Data Plan goals, per agency and statewide.

    The same figures are compiled into inventory.db (tables scorecards and
    scorecard_metrics). Definitions: docs/scorecards.md.

    \b
    Example:
        catalog scorecards --agency dcf --format csv
    """
    from .build import check_project
    from .governance.scorecard_table import COLUMNS, records, table

    outcome = check_project(project_of(root), today=today.date() if today else None)
    scores = [s for s in outcome.scores if not agencies or s.scope in agencies]
    emit(fmt, text=lambda: table(scores), rows=records(scores), columns=COLUMNS)




@main.command()
@click.option("--within", type=click.IntRange(min=0), default=60, show_default=True,
              metavar="DAYS", help="Days ahead of today.")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["agreements", "requests", "datasets"]),
              help="Only these (repeatable).")
@format_option("text", "json")
@root_option
@today_option
@handle_errors
def due(within: int, kinds: tuple[str, ...], fmt: str, root: Path | None,
        today: dt.datetime | None) -> None:
    """What falls due: agreement terms and reviews, request answers, classification
    and predictive-tool reviews.

    Lists every date within DAYS of today, overdue ones first. These are the findings
    that depend on the date alone: they never stop `catalog build`, so this command
    (and the staff page /due) is where they are followed up. Exit 1 when something is
    overdue, so a scheduled job can alert.

    \b
    Example:
        catalog due --within 30 --format json
    """
    from .build import check_project
    from .governance.due import due_items
    from .governance.due import within as in_window

    groups = {"agreements": ("term-end", "ongoing-review"), "requests": ("request-answer",),
              "datasets": ("classification-review", "tool-review")}
    wanted = {k for g in (kinds or groups) for k in groups[g]}
    outcome = check_project(project_of(root), today=today.date() if today else None)
    assert outcome.inventory is not None
    day = outcome.inventory.today
    items = [i for i in in_window(due_items(outcome.inventory), day, within)
             if i.kind in wanted]
    overdue = sum(1 for i in items if i.date < day)

    def text() -> str:
        lines = []
        for i in items:
            n = i.days(day)
            when = f"overdue by {-n} days" if n < 0 else "today" if n == 0 else f"in {n} days"
            mark = "OVERDUE" if n < 0 else "due"
            lines.append(f"{i.date.isoformat()}  {mark:<7}  {when:<18} {i.label:<26} "
                         f"{i.subject}  ({i.basis})")
        return "\n".join([*lines, f"{len(items)} date(s) within {within} days of "
                                   f"{day.isoformat()}, {overdue} overdue"])

    emit(fmt, text=text, data={"as_of": day.isoformat(), "within_days": within,
                               "overdue": overdue, "items": [i.as_dict(day) for i in items]})
    if overdue:
        sys.exit(1)


@main.command()
@format_option("text", "json")
@root_option
@today_option
@handle_errors
def requests(fmt: str, root: Path | None, today: dt.datetime | None) -> None:
    """Turnaround of the data-request register (inventory/_requests/, DCF 5-1).

    Counts by status and requester, days from receipt to response (median, 90th
    percentile, longest), answers on time against each request's due date (the FOIA
    clock of Conn. Gen. Stat. §1-206 for FOIA requests, else the register's target for
    the requester kind), open requests past it, and the same per agency answering and
    per kind of requester.

    \b
    Example:
        catalog requests --format json
    """
    from .build import check_project
    from .governance.requests import Figures, turnaround

    checked = check_project(project_of(root), today=today.date() if today else None)
    assert checked.inventory is not None  # a check always gives its registers
    t = turnaround(checked.inventory)

    def line(f: Figures) -> str:
        parts = [f"{f.total} request(s), {f.open} open"]
        if f.answered:
            parts.append(f"median {f.median_days:g} days, longest {f.max_days}")
        if f.on_time_share is not None:
            parts.append(f"{f.on_time} of {f.on_time + f.late} on time")
        if f.overdue:
            parts.append(f"{f.overdue} overdue")
        return "; ".join(parts)

    def text() -> str:
        lines = [line(t) + (f" (oldest waiting {t.oldest_open_days} days)" if t.open else ""),
                 "by status: " + ", ".join(f"{k} {v}" for k, v in sorted(t.by_status.items()))]
        if t.answered:
            lines.append(f"answered {t.answered}: median {t.median_days:g} days, 90th "
                         f"percentile {t.p90_days:g}, longest {t.max_days}")
        if t.foia.total:
            lines.append(f"FOIA requests: {line(t.foia)}")
        for title, groups in (("per agency", t.by_agency), ("per requester kind", t.by_kind)):
            lines.append(f"{title}:")
            lines.extend(f"  {key:<16} {line(f)}" for key, f in groups.items())
        return "\n".join(lines)

    emit(fmt, text=text, data=t.as_dict())
