"""``catalog publish``: one build copied to the build folders that replicas serve.

Each replica is a ``catalog serve --no-build --build-dir DIR`` over its own folder; it
switches to a new build once both of that folder's databases carry the same new source
hash (catalog.serve), so a replica never serves half of a publication. Publishing:

1. takes the build lock of every target (a build or another publication into one of
   them waits its turn; what a killed publication left there is removed);
2. stages both databases in every target (copied beside the live files, fsynced). If any
   copy fails (a full disk, a read-only folder), every staged file is removed and no
   replica changes: a publication reaches all replicas or none;
3. renames them into place, one target at a time. With ``--wait``, it waits after each
   target until that replica's ``/-/health`` names the new build before the next target
   changes: a rolling switch, at most one replica changing at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from .compile import INVENTORY_FILE, PUBLIC_FILE, build_lock, built_hash, unwritable
from .problems import CatalogError

DATABASES = (INVENTORY_FILE, PUBLIC_FILE)  # renamed in this order, as a build does
WAIT_SECONDS = 60.0


@dataclass
class Target:
    folder: Path
    health: str | None = None  # the replica's /-/health URL
    staged: tuple[Path, ...] = ()
    seconds: float | None = None  # from its renames to its health naming the build


def source_build(build_dir: Path) -> str:
    """The source hash of a complete build in ``build_dir`` (both databases agree)."""
    hashes = [built_hash(build_dir / db) for db in DATABASES]
    if None in hashes:
        raise CatalogError(f"{build_dir} holds no complete build",
                           hint="run `catalog build` first")
    if len(set(hashes)) != 1:
        raise CatalogError(f"{build_dir}: inventory.db and public.db come from different "
                           "builds", hint="run `catalog build` (or wait for it to finish)")
    return str(hashes[0])


def served(health: str, timeout: float = 2.0) -> str | None:
    """The source hash a replica serves, from its /-/health (None when it does not answer)."""
    try:
        with urllib.request.urlopen(health, timeout=timeout) as r:
            return str(json.loads(r.read())["build"]["source_hash"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _copy(source: Path, target: Path) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def _discard(path: Path) -> None:
    """Remove a staged file (and nothing else that happens to have its name)."""
    if path.is_file() or path.is_symlink():
        path.unlink(missing_ok=True)


def _stage(source_dir: Path, target: Target) -> None:
    staged = []
    try:
        for db in DATABASES:
            tmp = target.folder / f".{db}.{os.getpid()}.publish.tmp"
            staged.append(tmp)
            _copy(source_dir / db, tmp)
    except OSError as e:
        for tmp in staged:
            _discard(tmp)
        raise unwritable(target.folder, e, "stage the build") from None
    target.staged = tuple(staged)


def _unstage(targets: list[Target]) -> None:
    for t in targets:
        for tmp in t.staged:
            _discard(tmp)
        t.staged = ()


def _wait_for(target: Target, digest: str, seconds: float) -> None:
    assert target.health is not None
    started = time.monotonic()
    while served(target.health) != digest:
        if time.monotonic() - started > seconds:
            raise CatalogError(f"{target.health} still does not serve build {digest[:12]} "
                               f"after {seconds:g} s; the replicas after it were not "
                               "changed", hint="is `catalog serve` running on "
                               f"{target.folder}? its log says why")
        time.sleep(0.05)
    target.seconds = time.monotonic() - started


def publish(source_dir: Path, targets: list[Target], *, say: Callable[[str], None],
            wait: float = WAIT_SECONDS) -> str:
    """Publish the build in ``source_dir`` to every target (see the module doc), telling
    ``say`` each step; returns its source hash."""
    digest = source_build(source_dir)
    if not targets:
        raise CatalogError("no target folder given", hint="catalog publish --to DIR ...")
    folders = [t.folder.resolve() for t in targets]
    if len(set(folders)) != len(folders) or source_dir.resolve() in folders:
        raise CatalogError("each target must be a different folder, and not the build "
                           "folder itself")
    with ExitStack() as locks:
        for t in targets:
            locks.enter_context(build_lock(t.folder))
        todo = [t for t in targets if not all(built_hash(t.folder / db) == digest
                                              for db in DATABASES)]
        for t in targets:
            if t not in todo:
                say(f"{t.folder} already holds build {digest[:12]}")
        try:
            for t in todo:
                _stage(source_dir, t)
        except BaseException:
            _unstage(todo)
            raise
        for n, t in enumerate(todo):
            try:
                for db, tmp in zip(DATABASES, t.staged, strict=True):
                    os.replace(tmp, t.folder / db)
                t.staged = ()
                if t.health:
                    _wait_for(t, digest, wait)
            except BaseException:
                _unstage(todo[n:])
                raise
            say(f"published build {digest[:12]} to {t.folder}"
                + (f" (served by {t.health} after {t.seconds:.2f} s)" if t.health else ""))
    return digest


def targets_from(folders: tuple[Path, ...], healths: tuple[str, ...]) -> Iterator[Target]:
    if healths and len(healths) != len(folders):
        raise CatalogError(f"{len(folders)} --to folder(s) but {len(healths)} --wait URL(s)",
                           hint="give one --wait URL per --to folder, in the same order")
    for n, folder in enumerate(folders):
        health = healths[n] if healths else None
        if health and not health.rstrip("/").endswith("/-/health"):
            health = health.rstrip("/") + "/-/health"
        yield Target(folder, health)
