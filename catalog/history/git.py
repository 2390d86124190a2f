"""Reading a project's git history with the ``git`` command line.

Everything history needs is content-addressed: ``git log --raw`` streams, for every
commit of the first-parent line, the blob ids of the descriptor paths it changed (git's
own tree diff, in C, in one process), and ``git cat-file --batch`` reads each blob once,
however many commits keep it. No working tree, index or checkout is touched, and only
paths under ``inventory/`` and ``standards/`` are ever asked for.

A repository history cannot be read from (no git, not a repository, a shallow clone, no
commit yet) gives an :class:`Unavailable` with the reason, never an exception.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..problems import CatalogError

TRACKED = ("inventory", "standards")  # the folders history reads, relative to the project
ZERO = "0" * 40
TIMEOUT = 600


@dataclass(frozen=True)
class Unavailable:
    """Why a project has no readable history (shown on pages as it is)."""

    reason: str


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    time: int  # committer time, seconds since the epoch (UTC)
    author: str
    subject: str


@dataclass(frozen=True)
class Change:
    """One path a commit changed: blob ids before and after (None: absent)."""

    path: str  # relative to the project root
    old: str | None
    new: str | None


def _env() -> dict[str, str]:
    # stable output whatever the user's configuration; never wait on a lock or a pager
    return {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat",
            "GIT_TERMINAL_PROMPT": "0"}


class Repo:
    """The git repository holding a project (which may be a sub-folder of it)."""

    def __init__(self, root: Path, prefix: str) -> None:
        self.root = root  # the project root
        self.prefix = prefix  # the project's folder inside the repository ('' or 'a/b/')

    @classmethod
    def open(cls, root: Path, *, shallow: bool = False) -> "Repo | Unavailable":
        """The repository of ``root``; a shallow clone only with ``shallow`` (comparing
        two commits it has is fine; a history of it would be incomplete)."""
        try:
            out = subprocess.run(
                ["git", "rev-parse", "--is-inside-work-tree", "--is-shallow-repository",
                 "--show-prefix"], cwd=root, capture_output=True, text=True, env=_env(),
                timeout=30)
        except FileNotFoundError:
            return Unavailable("git is not installed")
        except (OSError, subprocess.SubprocessError) as exc:
            return Unavailable(f"git could not be run: {exc}")
        if out.returncode != 0:
            message = out.stderr.strip().splitlines()[0] if out.stderr.strip() else ""
            if "dubious ownership" in out.stderr:
                return Unavailable("git refuses the repository (dubious ownership: see "
                                   "git config safe.directory)")
            return Unavailable("not a git repository" if "not a git repository" in message
                               else f"git failed: {message}")
        lines = out.stdout.splitlines()
        if len(lines) < 2 or lines[0] != "true":
            return Unavailable("not a git working tree")
        if lines[1] == "true" and not shallow:
            return Unavailable("a shallow clone: the history is incomplete "
                               "(git fetch --unshallow to read it)")
        return cls(root, lines[2] if len(lines) > 2 else "")

    # -- plumbing ---------------------------------------------------------------------------

    def run(self, *args: str, check: bool = True) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=self.root, capture_output=True,
                                 text=True, env=_env(), timeout=TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            raise CatalogError(f"git {args[0]} could not be run: {exc}") from None
        if check and out.returncode != 0:
            raise CatalogError(f"git {' '.join(args[:2])} failed: "
                               f"{out.stderr.strip() or out.returncode}")
        return out.stdout

    def rev(self, name: str) -> str | None:
        """The commit ``name`` names (None when it names none)."""
        out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options",
                       f"{name}^{{commit}}", check=False).strip()
        return out or None

    def head(self) -> str | None:
        return self.rev("HEAD")

    def tags(self) -> list[tuple[str, str]]:
        """(tag name, commit) of every tag that names a commit, oldest name first."""
        out = self.run("for-each-ref", "--format=%(refname:short)%00%(objectname)%00"
                       "%(*objectname)%00%(objecttype)%00%(*objecttype)", "refs/tags")
        tags = []
        for line in out.splitlines():
            name, obj, peeled, kind, peeled_kind = line.split("\0")
            if kind == "commit":
                tags.append((name, obj))
            elif peeled_kind == "commit":
                tags.append((name, peeled))
        return sorted(tags)

    def first_parents(self, head: str) -> list[tuple[str, int]]:
        """(commit, committer time) of the first-parent line to ``head``, oldest first."""
        out = self.run("rev-list", "--first-parent", "--reverse", "--timestamp", head)
        pairs = []
        for line in out.splitlines():
            stamp, sha = line.split(" ", 1)
            pairs.append((sha, int(stamp)))
        return pairs

    def merge_base(self, a: str, b: str) -> str | None:
        return self.run("merge-base", a, b, check=False).strip() or None

    def _strip(self, path: str) -> str | None:
        """A repository path as a project path (None when outside the project)."""
        if self.prefix and not path.startswith(self.prefix):
            return None
        return path[len(self.prefix):]

    # -- history ----------------------------------------------------------------------------

    def log(self, head: str, since: str | None = None
            ) -> Iterator[tuple[Commit, list[Change]]]:
        """Every first-parent commit from ``since`` (excluded) to ``head`` that changed a
        tracked path, oldest first, with those changes (merges: against their first
        parent). Streams: memory stays flat however long the history is."""
        spec = f"{since}..{head}" if since else head
        args = ["git", "log", "--first-parent", "--reverse", "--raw", "-z", "--no-abbrev",
                "--no-renames", "--no-color", "--no-ext-diff",
                "--format=%x01%H%x1f%P%x1f%ct%x1f%an%x1f%s", spec, "--", *TRACKED]
        proc = subprocess.Popen(args, cwd=self.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=_env())
        assert proc.stdout is not None
        commit: Commit | None = None
        changes: list[Change] = []
        try:
            tokens = _tokens(proc.stdout)
            for token in tokens:
                if token.startswith("\x01"):
                    if commit is not None:
                        yield commit, changes
                    sha, parents, stamp, author, subject = token[1:].split("\x1f", 4)
                    commit = Commit(sha, tuple(parents.split()), int(stamp), author,
                                    subject.strip())
                    changes = []
                    continue
                raw = token.lstrip("\n")
                if not raw.startswith(":"):
                    continue
                path = next(tokens)
                old_mode, new_mode, old, new = raw[1:].split()[:4]
                rel = self._strip(path)
                if rel is None:
                    continue
                changes.append(Change(rel, old if old != ZERO and _regular(old_mode) else None,
                                      new if new != ZERO and _regular(new_mode) else None))
            if commit is not None:
                yield commit, changes
        finally:
            proc.stdout.close()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            code = proc.wait()
            if proc.stderr:
                proc.stderr.close()
        if code != 0:
            raise CatalogError(f"git log failed: {err.strip() or code}")

    def tree(self, rev: str) -> dict[str, str]:
        """Project path → blob id of every regular file under the tracked folders."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", rev, "--",
                       *(self.prefix + t for t in TRACKED))
        files = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            mode, kind, sha = meta.split()
            rel = self._strip(path)
            if kind == "blob" and _regular(mode) and rel is not None:
                files[rel] = sha
        return files

    def read(self, blobs: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(blob id, content) of each blob asked for, in order, from one ``git cat-file``."""
        wanted = list(dict.fromkeys(blobs))
        if not wanted:
            return
        proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=_env())
        assert proc.stdin is not None and proc.stdout is not None

        def feed() -> None:
            try:
                for sha in wanted:
                    proc.stdin.write(f"{sha}\n".encode())  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for sha in wanted:
                header = proc.stdout.readline().decode()
                parts = header.split()
                if len(parts) != 3:  # "<sha> missing"
                    raise CatalogError(f"git object {sha} cannot be read",
                                       hint="the repository may be damaged: git fsck")
                size = int(parts[2])
                data = proc.stdout.read(size)
                proc.stdout.read(1)  # the newline after each object
                yield sha, data
        finally:
            proc.stdout.close()
            writer.join()
            proc.wait()


def _regular(mode: str) -> bool:
    return mode in ("100644", "100755")


def _tokens(stream: object) -> Iterator[str]:
    """The NUL-separated tokens of ``git log -z`` output, read in blocks."""
    pending = b""
    read = stream.read  # type: ignore[attr-defined]
    while True:
        block = read(1 << 16)
        if not block:
            break
        pending += block
        *done, pending = pending.split(b"\0")
        for token in done:
            yield token.decode("utf-8", errors="replace")
    if pending:
        yield pending.decode("utf-8", errors="replace")


def blob_id(content: bytes) -> str:
    """The id git gives a file with this content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def worktree(root: Path, folders: tuple[str, ...] = TRACKED) -> dict[str, str]:
    """Project path → blob id of every file under the tracked folders, as they are on
    disk now (untracked files included; symlinks and other special files skipped)."""
    files = {}
    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                path = Path(dirpath) / name
                if path.is_symlink() or not path.is_file():
                    continue
                files[path.relative_to(root).as_posix()] = blob_id(path.read_bytes())
    return files
