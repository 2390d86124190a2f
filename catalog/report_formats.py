"""A problems Report in the formats its readers take: text with source excerpts for people,
GitHub workflow-command annotations and SARIF for CI."""

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
        out.append(p.as_line())
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


def sarif(report: Report) -> str:
    """SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, Azure DevOps)."""
    import json

    from . import __version__
    from .problems import CODES

    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    used = sorted({p.code for p in report})
    rules = [{"id": code, "shortDescription": {"text": CODES[code].title},
              "helpUri": f"docs/errors.md#{code}"} for code in used]
    results = []
    for p in report.sorted():
        location: dict[str, object] = {"artifactLocation": {"uri": p.file or "."}}
        if p.line is not None:
            location["region"] = {"startLine": p.line, "startColumn": p.column or 1}
        text = p.message + (f" (hint: {p.hint})" if p.hint else "")
        results.append({"ruleId": p.code, "ruleIndex": used.index(p.code),
                        "level": levels[p.severity], "message": {"text": text},
                        "locations": [{"physicalLocation": location}]})
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "catalog", "version": __version__,
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2)
