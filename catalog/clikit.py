"""Shared pieces of the command line: one error translation, common options (one
``--root``, one ``--format``) and the one output helper, :func:`emit`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from . import csvsafe
from .problems import CatalogError
from .project import Project

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F | None = None, *, exit_code: int = 1) -> Any:
    """Turn :class:`CatalogError` into one click error (message, hint, exit code)."""
    def decorate(inner: F) -> F:
        @functools.wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return inner(*args, **kwargs)
            except CatalogError as exc:
                error = click.ClickException(str(exc) + (f"\nhint: {exc.hint}" if exc.hint
                                                         else ""))
                error.exit_code = exit_code  # type: ignore[misc]
                raise error from None
        return wrapper  # type: ignore[return-value]
    return decorate(fn) if fn is not None else decorate


def root_option(fn: F | None = None, *, exists: bool = False,
                help: str = "Project folder (default: the nearest folder with an inventory/)."
                ) -> Any:
    """The one ``--root`` option (a folder; ``exists``: it must be there already); the
    command turns it into a project with :func:`project_of`."""
    option = click.option("--root", type=click.Path(exists=exists, file_okay=False,
                                                    path_type=Path), default=None, help=help)
    return option(fn) if fn is not None else option


def project_of(root: Path | None, *, fallback: Path | None = None) -> Project:
    """The project of ``--root``, else the nearest one at or above the current folder
    (else at or above ``fallback``, when given)."""
    if root:
        return Project(root.resolve())
    try:
        return Project.find()
    except CatalogError:
        if fallback is None:
            raise
        return Project.find(fallback)


def today_option(fn: F) -> F:
    return click.option(
        "--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
        help="Date to check expiry against (default: today).")(fn)


def format_option(*formats: str, help: str | None = None) -> Callable[[F], F]:
    """The one ``--format`` option: the first of ``formats`` is the default."""
    return click.option("--format", "fmt", type=click.Choice(list(formats)),
                        default=formats[0], show_default=True, help=help)


def emit(fmt: str, *, text: Callable[[], str], data: Any = None,
         rows: Sequence[Mapping[str, Any]] = (), columns: Sequence[str] = (),
         others: Mapping[str, Callable[[], str]] | None = None, ensure_ascii: bool = True,
         newline: str = "\n") -> None:
    """Write a command's result in the asked format: ``text()`` (lines for a person),
    ``data`` as JSON (else ``rows``), ``rows`` as spreadsheet-safe CSV of ``columns``
    (lines ending in ``newline``), or the text of one of ``others`` (markdown, SARIF, CI
    annotations: nothing at all when it is empty). Commands compute their result as data;
    this is the one place it is printed."""
    if fmt == "json":
        click.echo(json.dumps(list(rows) if data is None else data, indent=2, default=str,
                              ensure_ascii=ensure_ascii))
    elif fmt == "csv":
        click.echo(csvsafe.dumps(rows, columns, lineterminator=newline), nl=False)
    elif others and fmt in others:
        out = others[fmt]()
        if out:
            click.echo(out, nl=not out.endswith("\n"))
    else:
        out = text()
        click.echo(out, nl=not out.endswith("\n"))
