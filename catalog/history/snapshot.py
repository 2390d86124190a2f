"""The tracked files of a project at one point: a commit, or the working tree.

A :class:`Snapshot` maps each file under ``inventory/`` and ``standards/`` to its git
blob id and reads contents on demand (from ``git cat-file`` or from disk). Standards are
loaded from a snapshot by materialising its ``standards/`` files in a temporary folder
and reading them with :func:`catalog.standards.load_standards`, once per distinct
content (:func:`standards_key`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..project import Project
from ..standards import Standards, load_standards
from .git import Repo, worktree

Reader = Callable[[Iterable[str]], dict[str, bytes]]  # blob ids → contents


@dataclass
class Snapshot:
    label: str  # for people: a short commit id and what it is, or "working tree"
    files: dict[str, str]  # project path → blob id
    reader: Reader
    commit: str | None = None  # None: the working tree

    def read(self, rels: Iterable[str]) -> dict[str, bytes]:
        """Contents of these project paths (by path)."""
        rels = [r for r in rels if r in self.files]
        blobs = self.reader(self.files[r] for r in rels)
        return {r: blobs[self.files[r]] for r in rels}

    def standards(self) -> Standards:
        return standards_for(self.files, self.reader)


def of_commit(repo: Repo, sha: str, label: str) -> Snapshot:
    return Snapshot(label, repo.tree(sha), lambda blobs: dict(repo.read(blobs)), sha)


def of_worktree(root: Path) -> Snapshot:
    files = worktree(root)
    paths = {blob: rel for rel, blob in files.items()}

    def read(blobs: Iterable[str]) -> dict[str, bytes]:
        return {b: (root / paths[b]).read_bytes() for b in blobs}

    return Snapshot("working tree", files, read)


def standards_key(files: Mapping[str, str]) -> str:
    """A digest of the standards' files (path and blob id of each)."""
    h = hashlib.sha256()
    for rel in sorted(r for r in files if r.startswith("standards/")):
        h.update(f"{rel}\0{files[rel]}\n".encode())
    return h.hexdigest()


_STANDARDS: dict[str, Standards] = {}


def standards_for(files: Mapping[str, str], reader: Reader) -> Standards:
    """The standards of a snapshot (loaded once per distinct content in a process)."""
    key = standards_key(files)
    if key not in _STANDARDS:
        rels = sorted(r for r in files if r.startswith("standards/"))
        blobs = reader(files[r] for r in rels)
        with tempfile.TemporaryDirectory(prefix="catalog-standards-") as tmp:
            for rel in rels:
                target = Path(tmp) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(blobs[files[rel]])
            (Path(tmp) / "inventory").mkdir()
            std, _ = load_standards(Project(Path(tmp)))
        if len(_STANDARDS) > 16:
            _STANDARDS.clear()
        _STANDARDS[key] = std
    return _STANDARDS[key]
