"""Render a Report for people (text with source excerpts), machines (JSON) and CI
(GitHub workflow-command annotations)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .problems import Problem, Report, Severity


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def excerpt(problem: Problem, root: Path) -> str:
    """The offending source line with a caret under the column."""
    if problem.line is None or not problem.file:
        return ""
    lines = _lines(str(root / problem.file))
    if not 0 < problem.line <= len(lines):
        return ""
    source = lines[problem.line - 1].replace("\t", " ")
    if len(source) > 160:
        source = source[:157] + "..."
    gutter = f"{problem.line:>5} | "
    text = f"{gutter}{source}"
    if problem.column is not None and problem.file.endswith((".yml", ".yaml")):
        text += "\n" + " " * (len(gutter) + problem.column - 1) + "^"
    return text


def text(report: Report, root: Path, *, context: bool = True) -> str:
    out: list[str] = []
    for p in report.sorted():
        out.append(p.render())
        if context:
            snippet = excerpt(p, root)
            if snippet:
                out.append(snippet)
    out.append(report.summary())
    return "\n".join(out)


def github(report: Report) -> str:
    """GitHub Actions workflow commands: problems show on the changed lines of a PR."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    out = []
    for p in report.sorted():
        where = [f"file={p.file}"] if p.file else []
        if p.line is not None:
            where.append(f"line={p.line}")
        if p.column is not None:
            where.append(f"col={p.column}")
        where.append(f"title={p.code}")
        message = p.message + (f" (hint: {p.hint})" if p.hint else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        out.append(f"::{kinds[p.severity]} {','.join(where)}::{message}")
    return "\n".join(out)
