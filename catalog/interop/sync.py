"""Keep descriptors in step with the portal they were imported from.

Every import records what it generated for each dataset in a snapshot,
``inventory/_imports/<format>-<source>.json`` (JSON, so the inventory's YAML discovery
ignores it; commit it with the descriptors). The next import of the same source merges
three versions of each descriptor, field by field (a JSON pointer per leaf value):

* the **base**: what the last import generated (the snapshot);
* **ours**: the descriptor as it is now, with the stewards' edits;
* **theirs**: what this import generates from the source.

A value only the source changed is updated; a value only the steward changed is kept;
a value both changed differently is a ``sync-conflict``: the steward's value is kept, the
source's is reported (and written as a comment above the property). Datasets no longer
in the source are reported (``dataset-gone``), never deleted; a descriptor a steward
deleted is not created again. ``dry_run`` reports all of it and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import problems as P
from ..load import load_file
from ..problems import Problem, Severity
from ..project import Project
from . import importer
from .fetch import is_url, read
from .plan import ImportResult, PlannedFile, plan, render_checked, slugify

SNAPSHOT_DIR = "_imports"
SNAPSHOT_VERSION = 1


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass
class Conflict:
    pointer: str
    base: Any
    ours: Any
    theirs: Any


@dataclass
class Merge:
    value: Any
    conflicts: list[Conflict] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # pointers updated from the source


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def merge3(base: Any, ours: Any, theirs: Any) -> Merge:
    """Three-way merge of JSON-like values; dicts merge key by key, anything else is one
    value. ``MISSING`` stands for an absent key (and, as ``base``, for no snapshot)."""
    out = Merge(None)
    out.value = _merge(base, ours, theirs, "", out)
    return out


def _merge(base: Any, ours: Any, theirs: Any, pointer: str, out: Merge) -> Any:
    if ours == theirs:
        return ours
    if base == theirs:
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict) and \
            (base is MISSING or isinstance(base, dict)):  # key by key, for precise pointers
        base_d = base if isinstance(base, dict) else {}
        merged: dict[str, Any] = {}
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            value = _merge(base_d.get(key, MISSING) if base is not MISSING else MISSING,
                           ours.get(key, MISSING), theirs.get(key, MISSING),
                           f"{pointer}/{_escape(key)}", out)
            if value is not MISSING:
                merged[key] = value
        return merged
    if base == ours:
        out.taken.append(pointer or "/")
        return theirs
    out.conflicts.append(Conflict(pointer or "/", base, ours, theirs))
    return ours


# -- snapshots ----------------------------------------------------------------------------

def snapshot_path(project: Project, fmt: str, source: str) -> Path:
    """Where the snapshot of imports of ``source`` lives."""
    if is_url(source):
        name = re.sub(r"^https?://", "", source)
    else:
        name = Path(source).name
    return project.inventory_dir / SNAPSHOT_DIR / f"{slugify(f'{fmt}-{name}', 120)}.json"


def snapshot_text(head: dict[str, Any], datasets: dict[str, Any]) -> str:
    """The snapshot as JSON with one dataset per line (small diffs in git, and the fast
    encoder: an indented dump is several times slower)."""
    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    lines = [f"{dump(k)}: {dump(v)}," for k, v in head.items()]
    body = ",\n".join(f" {dump(k)}: {dump(v)}" for k, v in sorted(datasets.items()))
    return "{\n" + "\n".join(lines) + '\n"datasets": {\n' + body + "\n}}\n"


def load_snapshot(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("datasets", {}) if isinstance(data, dict) else {}


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _short(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


# -- writing --------------------------------------------------------------------------------

def _note(result: ImportResult, planned: PlannedFile | None, code: str, message: str,
          **kw: Any) -> None:
    where = planned.path.as_posix() if planned else result.source
    ident = f"{planned.identifier}: " if planned and planned.identifier else ""
    result.problems.append(Problem.make(code, ident + message, file=where, **kw))


def sync(result: ImportResult, project: Project, *, dry_run: bool = False,
         today: dt.date | None = None) -> ImportResult:
    """Write (or, with ``dry_run``, only report) what ``result`` planned, merged with the
    descriptors as they are now and the snapshot of the last import."""
    result.dry_run = dry_run
    snap_file = snapshot_path(project, result.format, result.source)
    base = load_snapshot(snap_file)
    snapshot: dict[str, Any] = dict(base)
    for planned in result.files:
        path = project.root / planned.path
        if planned.kind == "agency":
            if not path.exists():
                result.created.append(planned.path)
                result.written.append(planned.path)
                if not dry_run:
                    _write_atomic(path, planned.text)
            continue
        ident = planned.identifier or ""
        before = base.get(ident, {}).get("data", MISSING)
        snapshot[ident] = {"path": planned.path.as_posix(), "data": planned.data}
        if not path.exists():
            if before is not MISSING:
                _note(result, planned, P.DATASET_REMOVED_LOCALLY, "the descriptor was deleted "
                      "after the last import; it is not created again",
                      hint="restore it from git to follow the source again")
                continue
            result.created.append(planned.path)
            result.written.append(planned.path)
            if not dry_run:
                _write_atomic(path, planned.text)
            continue
        ours = load_file(path, planned.path.as_posix()).data
        if not isinstance(ours, dict):
            _note(result, planned, P.SYNC_CONFLICT, "the descriptor cannot be read; it is "
                  "kept as it is", severity=Severity.WARNING,
                  hint="run `catalog validate` on it, then import again")
            result.conflicts.append(planned.path)
            continue
        merged = merge3(before, ours, planned.data)
        for c in merged.conflicts:
            _note(result, planned, P.SYNC_CONFLICT,
                  f"{c.pointer}: the steward's value {_short(c.ours)} is kept; the source "
                  f"now has {_short(c.theirs)} (last import: {_short(c.base)})",
                  pointer=c.pointer, hint="edit the descriptor to take the source's value, "
                  "or keep yours; the next import will not ask again")
        if merged.conflicts:
            result.conflicts.append(planned.path)
        if merged.value == ours:
            result.unchanged.append(planned.path)
            continue
        _note(result, planned, P.DATASET_UPDATED,
              "updated from the source: " + ", ".join(merged.taken))
        result.updated.append(planned.path)
        result.written.append(planned.path)
        if not dry_run:
            comments = _comments(planned, merged)
            text, _ = render_checked(merged.value, comments, planned.header, planned.path)
            _write_atomic(path, text)
    planned_ids = {f.identifier for f in result.datasets}
    for ident, entry in sorted(base.items()):
        if ident in planned_ids:
            continue
        rel = entry.get("path", "")
        if (project.root / rel).exists():
            result.gone.append(ident)
            result.problems.append(Problem.make(
                P.DATASET_GONE, f"{ident}: no longer in the source; the descriptor is kept",
                file=rel, hint="retire the dataset (or delete the file) if the portal "
                "removed it for good"))
        else:
            snapshot.pop(ident, None)
    if not dry_run:
        _write_atomic(snap_file, snapshot_text({
            "version": SNAPSHOT_VERSION, "format": result.format, "source": result.source,
            "imported_on": (today or dt.date.today()).isoformat()}, snapshot))
    return result


def _comments(planned: PlannedFile, merged: Any) -> dict[str, list[str]]:
    """REVIEW comments for the properties still as imported, and one line per conflict."""
    comments: dict[str, list[str]] = {}
    for key, lines in planned.comments.items():
        if key in merged.value and merged.value[key] == planned.data.get(key):
            comments[key] = list(lines)
    for c in merged.conflicts:
        top = c.pointer.strip("/").split("/")[0]
        comments.setdefault(top, []).append(
            f"SYNC: {c.pointer} kept; the source has {_short(c.theirs)}")
    return comments


# -- the whole import -----------------------------------------------------------------------

def import_catalog(fmt: str, source: str | Path, project: Project, *,
                   agency_map: Mapping[str, str] | None = None, dry_run: bool = False,
                   portal: str | None = None, today: dt.date | None = None,
                   timeout: float = 60) -> ImportResult:
    """Read ``source`` (a file or URL) in format ``fmt``, plan the descriptors, and sync
    them into the project."""
    spec = importer(fmt)
    parse = spec.load()
    fetched = read(source, timeout=timeout, accept=spec.media_type)
    parsed = parse(fetched, portal)
    result = plan(parsed, project, source=str(source), agency_map=agency_map, today=today)
    return sync(result, project, dry_run=dry_run, today=today)

