"""``catalog usage``: usage reports and portal imports from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..clikit import emit, format_option, handle_errors, project_of, root_option
from ..compile import PUBLIC_FILE
from ..problems import CatalogError
from ..project import Project
from .config import UsageConfig

if TYPE_CHECKING:
    from .published import Published
    from .store import Store

SOURCES = ("catalog", "portal")  # as catalog.usage.store.SOURCES, without importing it


def _published(root: Path | None) -> tuple[Project, Published]:
    from .published import read_published

    project = project_of(root)
    public_db = project.build_dir / PUBLIC_FILE
    if not public_db.is_file():
        raise CatalogError(f"{public_db} does not exist", hint="run `catalog build`")
    return project, read_published(public_db)


def _open(root: Path | None, store_url: str | None) -> tuple[Store, Published]:
    from .store import Store

    project, published = _published(root)
    return Store(store_url or UsageConfig.from_env(project.build_dir).url), published


def store_option(fn: Any) -> Any:
    return click.option(
        "--store", "store_url", default=None, metavar="URL",
        help="SQLAlchemy URL of the usage store (default: $CATALOG_USAGE_URL, else "
             "build/usage.db).")(fn)


@click.group("usage")
def usage() -> None:
    """Open-data use: reports of what the catalog counted, and portal imports."""


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@usage.command("report")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (default: 29 days before --until).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day (default: today, UTC).")
@click.option("--source", type=click.Choice(["all", *SOURCES]), default="all",
              show_default=True, help="Counts of this catalog, imported portal figures, "
              "or both.")
@click.option("--bots", is_flag=True, help="Crawler traffic instead of people's.")
@click.option("--top", type=int, default=10, show_default=True,
              help="Datasets listed in the text report.")
@format_option("text", "json", "csv", help="csv: the daily counters of the period.")
@store_option
@root_option
@handle_errors
def report_command(since: dt.datetime | None, until: dt.datetime | None, source: str,
                   bots: bool, top: int, fmt: str, store_url: str | None,
                   root: Path | None) -> None:
    """Usage of the published catalog over a period, by dataset, agency and channel.

    \b
    Example:
        catalog usage report --since 2025-07-01
        catalog usage report --since 2025-01-01 --until 2025-12-31 --format csv > use.csv
    """
    from .report import PeriodError, build_report, csv_columns, daily_rows, period

    store, published = _open(root, store_url)
    try:
        start, end = period(_date(since), _date(until), dt.datetime.now(dt.timezone.utc).date())
    except PeriodError as e:
        raise CatalogError(str(e)) from None
    sources = SOURCES if source == "all" else (source,)
    audience = "bot" if bots else "human"
    try:
        if fmt == "csv":
            rows = daily_rows(store, published, start, end, sources=sources,
                              audiences=(audience,), staff=True)
            emit(fmt, text=lambda: "", rows=rows, columns=csv_columns(rows), newline="\r\n")
            return
        result = build_report(store, published, start, end, sources=sources,
                              audience=audience, staff=True)
    finally:
        store.close()

    def text() -> str:
        who = "crawlers" if bots else "people"
        lines = [f"Use by {who}, {start} to {end} ({', '.join(sources)}): "
                 f"{result.total:,} request(s)", "", "By channel:"]
        lines += [f"  {c['channel']:<9} {c['hits']:>10,}" for c in result.channels]
        lines += ["", "By agency:"]
        lines += [f"  {a['hits']:>10,}  {a['agency']}" for a in result.agencies]
        lines += ["", f"Top {min(top, len(result.datasets))} datasets:"]
        lines += [f"  {d['hits']:>10,}  {d['dataset_id']}  {d['title']}"
                  for d in result.datasets[:top]]
        return "\n".join(lines)

    emit(fmt, text=text, data=result.to_dict())


@usage.command("import-portal")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and match only; store nothing.")
@format_option("text", "json")
@store_option
@root_option
@handle_errors
def import_portal_command(csv_file: Path, dry_run: bool, fmt: str, store_url: str | None,
                          root: Path | None) -> None:
    """Import usage figures exported from the open-data portal (CSV).

    Reads Socrata's "Site Analytics: Asset Access" export (asset id, timestamp, access
    type, count) or a wide export (asset id, date, views, downloads), maps each portal
    asset onto the catalog dataset whose distribution or landing page links to it, and
    replaces the stored portal figures of those days (a re-import changes nothing).

    \b
    Example:
        catalog usage import-portal asset_access.csv --dry-run
    """
    from dataclasses import asdict

    from .portal import import_portal

    if dry_run:
        result = import_portal(None, csv_file, _published(root)[1])
    else:
        store, published = _open(root, store_url)
        try:
            result = import_portal(store, csv_file, published)
        finally:
            store.close()
    def text() -> str:
        verb = "would import" if dry_run else "imported"
        lines = [f"{result.rows} row(s) read; {result.matched_rows} matched catalog "
                 f"datasets; {verb} {result.hits:,} request(s) in {result.counters} daily "
                 "counter(s)"]
        if result.unmatched:
            lines.append(f"{len(result.unmatched)} portal asset(s) not in the public catalog "
                         "(their figures were left out):")
            lines.extend(f"  {uid}  {hits:,}" for uid, hits in
                         sorted(result.unmatched.items(), key=lambda kv: -kv[1])[:20])
        lines.extend(f"ignored access type {kind!r}: {n} row(s)"
                     for kind, n in sorted(result.ignored_types.items()))
        return "\n".join(lines)

    emit(fmt, text=text, data={**asdict(result), "dry_run": dry_run})
    if fmt == "json":
        return
    for p in result.problems:
        click.echo(f"{csv_file}:{p.line}: {p.code}: {p.message}", err=True)
