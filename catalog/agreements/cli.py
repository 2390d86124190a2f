"""``catalog agreements``: the data-sharing agreement register from the command line, a
thin layer over :mod:`catalog.agreements.lifecycle` and :mod:`.calendar`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from ..clikit import emit, format_option, handle_errors, project_of, root_option, today_option
from .lifecycle import STATUSES, Dates, Due, due, next_review, parse_window
from .register import Register, load_agreements


def _register(root: Path | None) -> Register:
    project = project_of(root)
    reg = load_agreements(project)
    for file in reg.skipped:
        click.echo(f"warning: {file} skipped: it has errors (run `catalog validate {file}`)",
                   err=True)
    return reg


def _day(today: dt.datetime | None) -> dt.date:
    return today.date() if today else dt.date.today()


class Window(click.ParamType):
    """A number of days ahead: ``60d``, ``8w`` or ``60``."""

    name = "window"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_window(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.group("agreements")
def agreements() -> None:
    """Data-sharing agreements (inventory/_agreements/, DCF Policy 5-4): what falls due,
    the register and a calendar of renewal and review dates."""


def _render_due(items: list[Due], as_of: dt.date, within: int) -> str:
    lines = []
    for item in items:
        mark = "OVERDUE" if item.overdue else "due"
        lines.append(f"{item.date.isoformat()}  {mark:<7}  {item.when:<22} "
                     f"{item.label.lower():<19} {item.agreement_id}  ({item.status})")
    overdue = sum(1 for i in items if i.overdue)
    lines.append(f"{len(items)} date(s) within {within} days of {as_of.isoformat()}, "
                 f"{overdue} overdue")
    return "\n".join(lines)


@agreements.command("due")
@click.option("--within", type=Window(), default="60d", show_default=True,
              help="Window ahead of today: days (60d) or weeks (8w).")
@format_option("text", "json")
@root_option
@today_option
@handle_errors
def due_command(within: int, fmt: str, root: Path | None, today: dt.datetime | None) -> None:
    """Term ends and ongoing reviews of approved and active agreements that fall due.

    Lists each date within the window, overdue ones first: a term that has ended while
    the agreement is still approved or active, or an ongoing review whose date has
    passed. Exits 1 when anything is overdue, 0 otherwise (2 on a usage error), so a
    scheduled job can alert.

    \b
    Example:
        catalog agreements due --within 60d --format json
    """
    days = within
    as_of = _day(today)
    items = due(_register(root).dates, as_of, days)
    emit(fmt, text=lambda: _render_due(items, as_of, days),
         data={"as_of": as_of.isoformat(), "within_days": days,
               "overdue": sum(1 for i in items if i.overdue),
               "items": [i.as_dict() for i in items]})
    if any(i.overdue for i in items):
        sys.exit(1)


LIST_COLUMNS = ("id", "title", "status", "public", "term_start", "term_end", "parties",
                "datasets", "next_review")


@agreements.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Only these statuses (repeatable).")
@format_option("text", "json", "csv")
@root_option
@handle_errors
def list_command(statuses: tuple[str, ...], fmt: str, root: Path | None) -> None:
    """The register: id, status, term, parties and the next ongoing review.

    \b
    Example:
        catalog agreements list --status active --format csv
    """
    rows: list[dict[str, Any]] = []
    for a in _register(root).agreements:
        if statuses and a.status.value not in statuses:
            continue
        review = next_review(Dates.from_model(a))
        rows.append({
            "id": a.id, "title": a.title, "status": a.status.value, "public": a.public,
            "term_start": a.term.start.isoformat(),
            "term_end": a.term.end.isoformat() if a.term.end else None,
            "parties": [p.agency or p.name for p in a.parties],
            "datasets": list(a.datasets),
            "next_review": review.isoformat() if review else None,
        })

    def text() -> str:
        return "\n".join([*(f"{r['id']:<42} {r['status']:<12} {r['term_start']} → "
                             f"{r['term_end'] or 'open-ended':<10}  "
                             f"{', '.join(map(str, r['parties']))}" for r in rows),
                          f"{len(rows)} agreement(s)"])

    emit(fmt, text=text, rows=rows, columns=LIST_COLUMNS)


@agreements.command("calendar")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the .ics file here (default: standard output).")
@root_option
@handle_errors
def calendar_command(out: Path | None, root: Path | None) -> None:
    """An iCalendar file of term ends and ongoing reviews of in-force agreements.

    The site serves the same feed to staff at /agreements.ics.

    \b
    Example:
        catalog agreements calendar -o agreements.ics
    """
    from .calendar import calendar

    reg = _register(root)
    body = calendar(reg.dates, base_url=reg.base_url,
                    domain=urlsplit(reg.base_url).hostname or "catalog",
                    stamp=dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    if out:
        out.write_bytes(body)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(body.decode("utf-8"), nl=False)
