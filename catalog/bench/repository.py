"""The synthetic inventory (catalog.bench.generate) as a git repository with a history.

The generated files are the last commit. Before it, the descriptors arrive in batches
over the first half of the commits, and over the second half a share of them are
edited into their final form: published (hidden before), retitled, documented (their
last-modified date added) or given a field; a release tag every hundred commits, one
commit a day and a half. The repository is written with ``git fast-import`` (one
process, no working-tree scans), then its index is set to the last commit.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .generate import Scale, generate

AUTHOR = "Bench Steward <bench.steward@example.org>"
START = dt.datetime(2024, 1, 1, 9, tzinfo=dt.timezone.utc)
STEP = dt.timedelta(hours=36)
TAG_EVERY = 100
EDITS = ("published", "retitled", "documented", "field")


@dataclass
class Repository:
    root: Path
    commits: int
    datasets: int
    edits: int
    tags: int


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for folder in ("standards", "inventory") for p in sorted((root / folder).rglob("*"))
            if p.is_file()}


def _dataset(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) == 3 and parts[0] == "inventory" and not parts[1].startswith("_") \
        and not parts[2].startswith("_")


def _early(text: bytes, edit: str) -> bytes:
    """The version of a descriptor before ``edit`` made it what it is."""
    header, _, body = text.decode().partition("\n")
    d: dict[str, Any] = yaml.load(body, Loader=yaml.CSafeLoader)
    if edit == "published":
        d["access"]["visibility"] = "hidden" if d["access"]["visibility"] == "public" \
            else "listed"
    elif edit == "retitled":
        d["title"] = "Draft " + d["title"]
    elif edit == "documented":
        d["lifecycle"].pop("modified", None)
    else:
        d["schema"]["fields"].pop()
    dumped = yaml.dump(d, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                       width=100)
    return f"{header}\n{dumped}".encode()


def _stream(files: dict[str, bytes], commits: int, edit_share: float,
            rng: random.Random) -> tuple[Iterator[bytes], int, int]:
    datasets = [r for r in files if _dataset(r)]
    rng.shuffle(datasets)
    first = [r for r in files if not _dataset(r) and "_agreements" not in r]
    last = [r for r in files if "_agreements" in r]
    adding = max(1, (commits - 2) // 2)
    editing = max(1, commits - 2 - adding)
    batches = [datasets[i::adding] for i in range(adding)]
    edited = rng.sample(datasets, int(len(datasets) * edit_share))
    kind = {r: EDITS[i % len(EDITS)] for i, r in enumerate(edited)}
    order = {r: i for i, batch in enumerate(batches) for r in batch}
    edited.sort(key=order.__getitem__)
    edit_batches = [edited[i::editing] for i in range(editing)]
    plan: list[tuple[str, list[tuple[str, bytes]]]] = [
        ("Standards, agencies and the catalog file",
         [(".gitignore", b"build/\n")] + [(r, files[r]) for r in first])]
    for i, batch in enumerate(batches):
        plan.append((f"Add {len(batch)} descriptors ({i + 1} of {adding})",
                     [(r, _early(files[r], kind[r]) if r in kind else files[r])
                      for r in batch]))
    for i, batch in enumerate(edit_batches):
        plan.append((f"Edit {len(batch)} descriptors ({i + 1} of {editing})",
                     [(r, files[r]) for r in batch]))
    plan.append(("Agreements", [(r, files[r]) for r in last]))

    def stream() -> Iterator[bytes]:
        for n, (message, changed) in enumerate(plan, 1):
            when = START + (n - 1) * STEP
            msg = message.encode()
            out = [f"commit refs/heads/main\nmark :{n}\n"
                   f"committer {AUTHOR} {int(when.timestamp())} +0000\n"
                   f"data {len(msg)}\n".encode() + msg + b"\n"]
            if n > 1:
                out.append(f"from :{n - 1}\n".encode())
            for rel, data in changed:
                out.append(f"M 100644 inline {rel}\ndata {len(data)}\n".encode() + data
                           + b"\n")
            if n % TAG_EVERY == 0:
                tag = f"v{n // TAG_EVERY}.0".encode()
                out.append(b"tag " + tag + f"\nfrom :{n}\ntagger {AUTHOR} "
                           f"{int(when.timestamp())} +0000\n".encode()
                           + f"data {len(tag)}\n".encode() + tag + b"\n")
            yield b"".join(out)

    return stream(), len(plan), len(edited)


def make_repository(root: Path, scale: Scale, commits: int, standards_from: Path,
                    edit_share: float = 0.5) -> Repository:
    """Generate the inventory at ``root`` and give it a history of ``commits`` commits."""
    generate(root, scale, standards_from)
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    files = _files(root)
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", "-b", "main"], **run)  # type: ignore[call-overload]
    stream, made, edited = _stream(files, commits, edit_share, random.Random(scale.seed))
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for chunk in stream:
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "reset", "-q"], **run)  # type: ignore[call-overload]
    return Repository(root, made, sum(_dataset(r) for r in files), edited,
                      made // TAG_EVERY)
