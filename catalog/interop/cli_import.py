"""``catalog import FORMAT SOURCE``: descriptors from another catalog's metadata, one
command per registered import format (:data:`catalog.interop.IMPORTS`). A thin layer over
:func:`catalog.interop.sync.import_catalog`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from ..clikit import handle_errors, project_of, root_option
from . import IMPORTS

EXAMPLES = {
    "datajson": "catalog import datajson https://data.ct.gov/data.json "
                "--agency-map agencies.yml --dry-run",
    "socrata": "catalog import socrata Asset_Inventory.csv --agency-map agencies.yml\n"
               "        catalog import socrata https://data.ct.gov/api/views.json",
    "ckan": "catalog import ckan 'https://catalog.data.gov/api/3/action/package_search?"
            "rows=100'",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def import_command() -> None:
    """Turn another catalog's metadata into descriptors (one file per dataset), and keep
    them in step with it: importing again merges the source's changes with the
    stewards' edits."""


def _options(fn: Any) -> Any:
    for option in reversed([
        click.argument("source"),
        click.option("--agency-map", "agency_map", multiple=True, metavar="FILE|NAME=ID",
                     help="Publisher name → agency id: a YAML file of 'name: id' lines, "
                          "or a NAME=ID pair. Repeatable. Unmapped publishers get an id "
                          "derived from their name."),
        click.option("--portal", metavar="URL", default=None,
                     help="The portal's address, for sources that do not say it (a Socrata "
                          "/api/views file); default: the source URL's host."),
        root_option(exists=True),
        click.option("--dry-run", is_flag=True,
                     help="Report what would be created, updated and in conflict; write "
                          "nothing."),
        click.option("--quiet", "-q", is_flag=True, help="Print warnings only, not notes."),
    ]):
        fn = option(fn)
    return fn


def _command(name: str) -> click.Command:
    spec = IMPORTS[name]

    @_options
    def run(source: str, agency_map: tuple[str, ...], portal: str | None, root: Path | None,
            dry_run: bool, quiet: bool) -> None:
        handle_errors(_run)(name, source, agency_map, portal, root, dry_run, quiet)

    run.__doc__ = (f"Import {spec.description} (a file or an http(s) URL).\n\n"
                   "Writes inventory/<agency>/_agency.yml for each new publisher and "
                   "inventory/<agency>/<agency>-<title>.yml for each dataset, with '# "
                   "REVIEW:' comments where a steward must confirm a value, and records "
                   "what it generated in inventory/_imports/ so that the next import "
                   "merges instead of overwriting. Problems with single entries are "
                   "reported with their code; the exit code is 1 only when the source "
                   f"itself is unusable.\n\n\b\nExample:\n        {EXAMPLES[name]}")
    return click.command(name)(run)


def _run(fmt: str, source: str, agency_map: tuple[str, ...], portal: str | None,
         root: Path | None, dry_run: bool, quiet: bool) -> None:
    from ..problems import Severity
    from .plan import parse_agency_map
    from .sync import import_catalog

    mapping = parse_agency_map(agency_map)
    project = project_of(root)
    result = import_catalog(fmt, source, project, agency_map=mapping, dry_run=dry_run,
                            portal=portal)
    for problem in result.problems:
        if not (quiet and problem.severity == Severity.INFO):
            click.echo(problem.as_line())
    verb = "would write" if dry_run else "wrote"
    per_folder = Counter(path.parent.as_posix() for path in result.written)
    for folder, count in sorted(per_folder.items()):
        click.echo(f"{verb} {count} file(s) in {folder}/")
    click.echo(result.summary())
    if result.created and not dry_run:
        click.echo("next: search for '# REVIEW:' in the new files, then run `catalog validate`")


for _name in IMPORTS:
    import_command.add_command(_command(_name))
