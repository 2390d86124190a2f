"""History stage: the inventory's past, read from git (docs/history.md).

The build calls two functions of it:

* :func:`head` before deciding whether anything changed: the commit (and tags) history
  would be computed up to, folded into the source hash, so that a new commit makes a new
  build even when the files are the same;
* :func:`write` once the dataset rows are in both databases: the history extended by
  the commits since the last build (:mod:`.engine`, cached in ``build/.cache/history``)
  and written into inventory.db, its public subset into public.db (:mod:`.compile`,
  :mod:`.public`). It returns the ``meta`` entries that say whether history is
  available, and why not: a tree without git, a shallow clone, or a repository git
  cannot read still builds.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..problems import CatalogError
from .git import Repo, Unavailable

if TYPE_CHECKING:
    from ..project import Project
    from ..standards import Standards
    from .compile import Sink


@dataclass(frozen=True)
class Head:
    commit: str | None
    status: str  # "available", or why not
    key: str  # what the source hash includes


def head(project: "Project") -> Head:
    """Where the history of ``project`` ends now (cheap: a few ``git`` calls)."""
    from .engine import FORMAT

    repo = Repo.open(project.root)
    if isinstance(repo, Unavailable):
        return Head(None, repo.reason, f"unavailable:{repo.reason}")
    try:
        sha = repo.head()
        tags = repo.tags() if sha else []
    except CatalogError as exc:
        return Head(None, str(exc), f"unavailable:{exc}")
    if sha is None:
        return Head(None, "no commits yet", "unavailable:no commits yet")
    digest = hashlib.sha256("\n".join(f"{n}\0{c}" for n, c in tags).encode()).hexdigest()
    return Head(sha, "available", f"{FORMAT}:{sha}:{digest}")


def write(project: "Project", build_dir: Path, at: Head, staff: "Sink", public: "Sink",
          standards: "Standards | None" = None) -> dict[str, str]:
    """Extend the history to ``at`` and write it into both databases (``standards``: the
    working tree's, already loaded)."""
    from . import compile as C
    from .engine import History, update

    history = History(at.status)
    if at.commit is not None:
        try:
            history = update(project.root, build_dir, at.commit, standards=standards)
        except (CatalogError, OSError, subprocess.SubprocessError) as exc:
            history = History(f"git could not be read: {exc}")
    return C.write(history, staff, public)
