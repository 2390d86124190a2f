"""Compile stage: a validated :class:`~catalog.validate.Inventory` → ``inventory.db`` (all
of it, staff only) and ``public.db`` (only what the public may see).

Atomic and exclusive: each database is written to a temporary file in the build directory
and renamed over the old one; a lock file keeps two builds from interleaving. A failed
build leaves the previous databases byte-identical.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import operator
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import SQLModel

from .. import __version__
from ..problems import CatalogError
from ..project import Project
from ..validate import Inventory
from . import tables as T
from .rows import Rows, inventory_rows, public_rows

INVENTORY_DB = "inventory.db"
PUBLIC_DB = "public.db"

FTS = {
    # table: (columns indexed)
    "datasets": ("title", "description", "keywords", "field_text"),
    "fields": ("name", "title", "description"),
    "standards": ("title", "description"),
}


@dataclass
class BuildResult:
    inventory_db: Path
    public_db: Path
    counts: dict[str, int]
    public_counts: dict[str, int]
    source_hash: str


def source_hash(inv: Inventory) -> str:
    """Hash of every input file (path + content) and the schema version."""
    h = hashlib.sha256(f"schema:{T.SCHEMA_VERSION}\n".encode())
    docs = sorted(inv.documents + inv.standards.documents, key=lambda d: d.rel)
    for doc in docs:
        h.update(f"{doc.rel}\0{doc.sha256}\n".encode())
    std_dir = inv.project.standards_dir / "data"
    extra = sorted(std_dir.glob("*.csv")) if std_dir.is_dir() else []
    for entry in inv.datasets.values():
        if entry.model.sample:
            extra.append(entry.source.path.parent / entry.model.sample)
    for path in extra:
        if path.is_file():
            h.update(f"{inv.project.rel(path)}\0".encode() + hashlib.sha256(
                path.read_bytes()).digest())
    return h.hexdigest()


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


@contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CatalogError(f"another build is running in {build_dir}",
                               hint="wait for it to finish; builds never run at once") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _write(path: Path, rows: Rows, meta: dict[str, str]) -> None:
    engine = create_engine(f"sqlite:///{path}")
    tables = [t.__table__ for t in T.TABLES]  # type: ignore[attr-defined]
    SQLModel.metadata.create_all(engine, tables=tables)
    engine.dispose()
    conn = sqlite3.connect(path)
    # dates are stored as ISO 8601 text (converted by sqlite3 itself, per value, in C)
    sqlite3.register_adapter(dt.date, _iso)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        with conn:
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
            for table in T.TABLES:
                name = str(table.__tablename__)
                data = rows.get(name)
                if not data:
                    continue
                columns = [c.name for c in table.__table__.columns  # type: ignore[attr-defined]
                           if c.name in data[0]]
                sql = (f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in columns)}) "
                       f"VALUES ({', '.join('?' for _ in columns)})")
                conn.executemany(sql, map(operator.itemgetter(*columns), data)
                                 if len(columns) > 1 else ((r[columns[0]],) for r in data))
            for name, indexed in FTS.items():
                cols = ", ".join(indexed)
                conn.execute(f"CREATE VIRTUAL TABLE [{name}_fts] USING fts5({cols}, "
                             f"content=[{name}], tokenize='porter unicode61')")
                conn.execute(f"INSERT INTO [{name}_fts] ([{name}_fts]) VALUES ('rebuild')")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()


def _replace(rows: Rows, meta: dict[str, str], target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _write(tmp, rows, meta)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def compile_inventory(inv: Inventory, out_dir: Path | None = None) -> BuildResult:
    """Write both databases from a validated inventory (the caller checked the report)."""
    project: Project = inv.project
    out_dir = out_dir or project.build_dir
    digest = source_hash(inv)
    rows = inventory_rows(inv)
    public = public_rows(rows, inv)
    meta = {
        "schema_version": T.SCHEMA_VERSION,
        "catalog_version": __version__,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(project.root),
        "source_hash": digest,
        "validated_on": inv.today.isoformat(),
        "base_url": inv.base_url,
        "catalog_json": inv.catalog.model.model_dump_json(exclude_none=True)
        if inv.catalog else "{}",
    }
    with build_lock(out_dir):
        _replace(rows, {**meta, "database": "inventory"}, out_dir / INVENTORY_DB)
        _replace(public, {**meta, "database": "public"}, out_dir / PUBLIC_DB)
    return BuildResult(
        inventory_db=out_dir / INVENTORY_DB, public_db=out_dir / PUBLIC_DB,
        counts={k: len(v) for k, v in rows.items()},
        public_counts={k: len(v) for k, v in public.items()}, source_hash=digest,
    )


def built_hash(db: Path) -> str | None:
    """The source hash a database was built from (None if absent or unreadable)."""
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'source_hash'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None
