"""What staff pages know beyond the last successful build (docs/site.md, "Problems"):

* the **last build attempt**: every ``catalog build`` (and the build ``catalog serve``
  runs) records its outcome and every problem it found in ``build/last-attempt.json``,
  also when it refused to write (errors): the databases keep the last good build, and
  staff still see what fails now;
* **CI reports** an agency publishes: the ``catalog validate --format json`` output of
  its pipeline, added with ``catalog ci-report add AGENCY FILE|URL`` into
  ``build/ci-reports/<agency>.json`` (the newest per agency).

Both files are owner-only, like the databases, and are read by staff pages only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .problems import CatalogError

if TYPE_CHECKING:
    from .build import Outcome

ATTEMPT_FILE = "last-attempt.json"
CI_DIR = "ci-reports"
SERVING_DIR = ".serving"  # catalog.serve pins each build in build/.serving/<name>/
SEVERITIES = ("error", "warning", "info")
PROBLEM_KEYS = ("code", "severity", "message", "file", "line", "column", "pointer", "hint")
MAX_REPORT = 16 * 1024 * 1024


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def build_dir_for(db_path: str | Path) -> Path:
    """The build folder of a served database: its own folder, or, for a snapshot that
    ``catalog serve`` pinned (``build/.serving/<name>/``), the build folder above it."""
    folder = Path(db_path).resolve().parent
    if folder.parent.name == SERVING_DIR:
        return folder.parent.parent
    return folder


def record_attempt(out_dir: Path, outcome: Outcome, git_commit: str) -> None:
    """Keep what this build attempt found (``build/last-attempt.json``)."""
    report = outcome.report
    _write_json(out_dir / ATTEMPT_FILE, {
        "at": now(), "mode": outcome.mode, "built": outcome.mode != "blocked",
        "git_commit": git_commit,
        "source_hash": outcome.result.source_hash if outcome.result else None,
        "summary": {s: sum(1 for p in report.problems if p.severity.value == s)
                    for s in SEVERITIES},
        "problems": [p.to_dict() for p in report.sorted()],
    })


def last_attempt(build_dir: Path) -> dict[str, Any] | None:
    return _read_json(build_dir / ATTEMPT_FILE)


def parse_report(text: str, source: str) -> dict[str, Any]:
    """A ``catalog validate --format json`` document, checked: its problems with the keys
    the pages use. A clear error for anything else."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise CatalogError(f"{source} is not JSON: {e}", hint="add the output of "
                           "`catalog validate --format json`") from None
    problems = data.get("problems") if isinstance(data, dict) else None
    if not isinstance(problems, list):
        raise CatalogError(f"{source} has no \"problems\" list",
                           hint="add the output of `catalog validate --format json`")
    kept = []
    for i, p in enumerate(problems):
        if not isinstance(p, dict) or not p.get("code") or p.get("severity") not in SEVERITIES:
            raise CatalogError(f"{source}: problem {i + 1} needs a code and a severity "
                               f"({', '.join(SEVERITIES)})",
                               hint="add the output of `catalog validate --format json`")
        kept.append({k: p.get(k) for k in PROBLEM_KEYS})
    return {"valid": not any(p["severity"] == "error" for p in kept),
            "summary": {s: sum(1 for p in kept if p["severity"] == s) for s in SEVERITIES},
            "problems": kept}


def add_ci_report(build_dir: Path, agency: str, text: str, source: str, *,
                  commit: str = "", run_url: str = "") -> Path:
    """Keep an agency's CI report as its newest (``build/ci-reports/<agency>.json``)."""
    if len(text) > MAX_REPORT:
        raise CatalogError(f"{source} is larger than {MAX_REPORT // (1024 * 1024)} MiB")
    report = parse_report(text, source)
    path = build_dir / CI_DIR / f"{agency}.json"
    _write_json(path, {"agency": agency, "received_at": now(), "source": source,
                       "commit": commit, "run_url": run_url, **report})
    return path


def ci_reports(build_dir: Path) -> list[dict[str, Any]]:
    """Every agency's newest CI report, by agency id."""
    folder = build_dir / CI_DIR
    if not folder.is_dir():
        return []
    found = (_read_json(p) for p in sorted(folder.glob("*.json")))
    return [r for r in found if r and isinstance(r.get("problems"), list)]
