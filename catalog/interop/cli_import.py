"""``catalog import``: descriptors from another catalog's metadata. A thin layer over
:mod:`catalog.interop.datajson_import`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..project import Project


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def import_command() -> None:
    """Turn another catalog's metadata into descriptors (one file per dataset)."""


@import_command.command("datajson")
@click.argument("source")
@click.option("--agency-map", "agency_map", multiple=True, metavar="FILE|NAME=ID",
              help="Publisher name → agency id: a YAML file of 'name: id' lines, or a "
                   "NAME=ID pair. Repeatable. Unmapped publishers get an id derived from "
                   "their name.")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Project folder (default: the nearest folder with an "
                                 "inventory/).")
@click.option("--dry-run", is_flag=True, help="Report what would be written; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite existing dataset files (an existing "
                                            "_agency.yml is always kept).")
@click.option("--quiet", "-q", is_flag=True, help="Print warnings only, not info notes.")
def datajson(source: str, agency_map: tuple[str, ...], root: Path | None, dry_run: bool,
             force: bool, quiet: bool) -> None:
    """Import a DCAT-US 1.1 data.json (a file or an http(s) URL).

    Writes inventory/<agency>/_agency.yml for each new publisher and
    inventory/<agency>/<agency>-<title>.yml for each dataset, with '# REVIEW:' comments
    where a steward must confirm a value. Properties with no place in a descriptor are
    kept under extensions.datajson. Malformed entries are repaired or skipped, each
    with a note; the exit code is 1 only when the source itself is unusable.

    \b
    Example:
        catalog import datajson https://data.ct.gov/data.json \\
            --agency-map agencies.yml --dry-run
        catalog import datajson data.json --agency-map "Department of Public Health=dph"
    """
    from ..clikit import handle_errors

    handle_errors(_run)(source, agency_map, root, dry_run, force, quiet)


def _run(source: str, agency_map: tuple[str, ...], root: Path | None, dry_run: bool,
         force: bool, quiet: bool) -> None:
    from .datajson_import import INFO, import_catalog, parse_agency_map

    mapping = parse_agency_map(agency_map)
    project = Project(root.resolve()) if root else Project.find()
    result = import_catalog(source, project, agency_map=mapping, force=force, dry_run=dry_run)
    for note in result.notes:
        if not (quiet and note.severity == INFO):
            click.echo(note.render())
    verb = "would write" if dry_run else "wrote"
    per_folder = Counter(path.parent.as_posix() for path in result.written)
    for folder, count in sorted(per_folder.items()):
        click.echo(f"{verb} {count} file(s) in {folder}/")
    click.echo(result.summary())
    if result.written and not dry_run:
        click.echo("next: search for '# REVIEW:' in the new files, then run `catalog validate`")
