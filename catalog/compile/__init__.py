"""Compile stage: a validated :class:`~catalog.validate.Inventory` → ``inventory.db`` (all
of it, staff only) and ``public.db`` (only what the public may see).

Atomic and exclusive: each database is written to a temporary file in the build directory
and renamed over the old one; a lock file keeps two builds from interleaving. A failed
build leaves the previous databases byte-identical.

An incremental build patches the file the build before the last one left (kept in
``build/.cache/spare/`` when no server still reads it), in place: its cost is the size
of the change, not of the catalog. ``public.db`` keeps no trace of what it no longer
holds (docs/security.md): SQLite's ``secure_delete`` zeroes deleted cells and freed
pages, FTS5's ``secure-delete`` takes deleted entries out of the full-text index, the
patch runs in a WAL that names every page it wrote, and :func:`scrub` then zeroes the
unallocated space of those pages (where SQLite leaves old copies of cells it moved when it
rebalanced a page); the WAL is checkpointed and removed before the file is put in place.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import mmap
import operator
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..dbapi import sqlite3
from ..problems import CatalogError
from ..project import Project
from ..validate import Inventory
from . import layout as L
from .rows import DATASET_TABLES, NOT_STORED, Rows

# the files a build writes; Datasette serves them as the databases named by their stems
# (catalog.site.access.PRIVATE_DB and PUBLIC_DB)
INVENTORY_FILE = "inventory.db"
PUBLIC_FILE = "public.db"

FTS = {
    # table: (columns indexed)
    "datasets": ("title", "description", "keywords", "field_text"),
    "fields": ("name", "title", "description", "dataset_key"),
    "standards": ("title", "description"),
}
# where an index reads its text (FTS5 external content), when not from its table: the
# datasets' index holds their fields' text too, and the fields' index each field's
# dataset key, read through views (tables.VIEWS)
FTS_CONTENT = {"datasets": "dataset_text", "fields": "field_search"}


def fts_content(table: str) -> str:
    """The table or view the full-text index of ``table`` reads its columns from."""
    return FTS_CONTENT.get(table, table)


@dataclass
class BuildResult:
    inventory_db: Path
    public_db: Path
    counts: dict[str, int]
    public_counts: dict[str, int]
    source_hash: str


def digest(docs: Iterable[tuple[str, str]], extras: Iterable[Path], project: Project) -> str:
    """Hash of every input: (path, sha256) of each YAML document, then the content of
    extra files (standards' CSVs, sample data), and the schema version."""
    h = hashlib.sha256(f"schema:{L.LAYOUT_VERSION}\n".encode())
    for rel, sha in sorted(docs):
        h.update(f"{rel}\0{sha}\n".encode())
    for path in extras:
        if path.is_file():
            with open(path, "rb") as fh:  # in blocks: a sample may be large
                h.update(f"{project.rel(path)}\0".encode()
                         + hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def standards_files(project: Project) -> list[Path]:
    std_dir = project.standards_dir / "data"
    return sorted(std_dir.glob("*.csv")) if std_dir.is_dir() else []


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


# a temporary database and the journals SQLite keeps beside it while writing it
TEMP_GLOBS = tuple(f".*.tmp{suffix}" for suffix in ("", "-journal", "-wal", "-shm"))
FILE_MODE = 0o600  # build outputs: the inventory holds non-public records
DIR_MODE = 0o700
LOCK_FILE = ".build.lock"
_HELD: set[int] = set()  # descriptors of the build locks this process holds


def held_lock_fds() -> frozenset[int]:
    """The open descriptors of the build locks held here: a forked worker closes its
    copies, so that the lock goes with the build process however that ends."""
    return frozenset(_HELD)


def unwritable(path: Path, error: OSError, what: str) -> CatalogError:
    """A clear error for a build folder that cannot be written (read-only, full, ...)."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = (f"free some space on the disk that holds {path} (df -h {path}); "
                "the previous build is untouched")
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = (f"builds write {path}/*.db, .cache/ and {LOCK_FILE} there: make it "
                "writable, or build elsewhere with --out DIR (serve a read-only build with "
                "--no-build)")
    else:
        hint = "the previous build is untouched"
    return CatalogError(f"cannot {what} in {path}: {reason}", hint=hint)


def disk_error(exc: BaseException) -> OSError | None:
    """The OSError behind a failed write (SQLite's own errors included), if it is one
    that the machine, not the inventory, caused: a full disk, a read-only folder."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS,
                                                    errno.EACCES, errno.EPERM, errno.EIO):
        return exc
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        for needle, code in (("disk is full", errno.ENOSPC), ("readonly", errno.EROFS),
                             ("read-only", errno.EROFS), ("disk i/o error", errno.EIO),
                             ("unable to open", errno.EACCES)):
            if needle in text:
                return OSError(code, os.strerror(code) + f" ({exc})")
    return None


@contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Exclusive use of ``build_dir``; removes what a killed build left behind."""
    try:
        build_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(build_dir, DIR_MODE)  # owner only: the inventory and usage data live here
        fh = open(build_dir / LOCK_FILE, "a")
    except OSError as e:
        raise unwritable(build_dir, e, "build") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CatalogError(f"another build is running in {build_dir}",
                               hint="wait for it to finish; builds never run at once") from None
        _HELD.add(fh.fileno())
        try:
            # only a build holding the lock writes these: any found were left by a crash
            for stale in [p for glob in TEMP_GLOBS for folder in ("", ".cache/", ".cache/spare/")
                          for p in build_dir.glob(folder + glob)]:
                if not stale.is_dir():
                    stale.unlink(missing_ok=True)
            yield
        finally:
            _HELD.discard(fh.fileno())
            fcntl.flock(fh, fcntl.LOCK_UN)


def _iso(value: dt.date) -> str:
    return value.isoformat()


# dates are stored as ISO 8601 text (converted by sqlite3 itself, per value, in C)
sqlite3.register_adapter(dt.date, _iso)

# tables rewritten whole by an incremental build (the dataset-scoped ones are patched;
# the standards ones only change with the standards, which forces a full build)
SHARED_TABLES = ("meta", "agencies", "agreements", "agreement_parties", "agreement_datasets",
                 "agreement_reviews", "agreement_approvals", "data_requests",
                 "data_request_datasets", "scorecard_metrics", "scorecards", "due_items",
                 "problems")
FLUSH_ROWS = 20_000


CACHE_KIB = 64 * 1024  # page cache per database being written


@lru_cache(maxsize=1)
def table_ddl() -> tuple[dict[str, str], list[str]]:
    """The DDL of every table (as sqlmodel declares them) and view by name, in the order
    they are created, and of the tables' indexes."""
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    from . import tables as T

    engine = create_engine("sqlite://")
    try:
        SQLModel.metadata.create_all(
            engine, tables=[t.__table__ for t in T.TABLES])  # type: ignore[attr-defined]
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                "ORDER BY rowid").fetchall()
    finally:
        engine.dispose()
    made = {name: sql for kind, name, sql in found if kind == "table"}
    made.update({name: f"CREATE VIEW [{name}] AS {select}"
                 for name, (_, select) in T.VIEWS.items()})
    return made, sorted(sql for kind, _, sql in found if kind == "index")


@lru_cache(maxsize=None)
def row_keys(table: str) -> frozenset[str]:
    """The keys a row of ``table`` may have: its columns, and the few keys rows carry
    for :func:`~catalog.compile.rows.public_rows` that are not stored."""
    return frozenset(L.COLUMNS[table]) | NOT_STORED.get(table, frozenset())


class Inserter:
    """Rows buffered and inserted in bulk into an open connection (in a transaction)."""

    conn: sqlite3.Connection

    def __init__(self) -> None:
        self.pending: Rows = {}
        self.pending_count = 0
        self.columns: dict[str, list[str]] = {}

    def _open(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=OFF")  # a temp file: a crash discards it
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA temp_store=MEMORY")  # index and full-text builds sort
        self.conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")

    def add(self, rows: Rows) -> None:
        for name, table_rows in rows.items():
            if table_rows:
                self.pending.setdefault(name, []).extend(table_rows)
                self.pending_count += len(table_rows)
        if self.pending_count >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for name, data in self.pending.items():
            for row in (data[0], data[-1]):  # rows of one table come from one builder
                unknown = row.keys() - row_keys(name)
                if unknown:  # a misspelt key must not become a NULL column
                    raise KeyError(f"{name} has no column {', '.join(sorted(unknown))}")
            columns = self.columns.get(name)
            if columns is None:
                columns = self.columns[name] = [c for c in L.COLUMNS[name] if c in data[0]]
            sql = (f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in columns)}) "
                   f"VALUES ({', '.join('?' for _ in columns)})")
            self.conn.executemany(sql, map(operator.itemgetter(*columns), data)
                                  if len(columns) > 1 else ((r[columns[0]],) for r in data))
            self.inserted(name, data)
        self.pending.clear()
        self.pending_count = 0

    def inserted(self, name: str, data: list[dict[str, Any]]) -> None:
        """Called after each bulk insert."""


class ShardWriter(Inserter):
    """The dataset-scoped rows of a chunk of descriptors, written by a build worker into
    a file of its own and merged by :meth:`Writer.merge`."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        path.unlink(missing_ok=True)
        try:
            self._open(path)
            tables, _ = table_ddl()
            for name in DATASET_TABLES:
                self.conn.execute(tables[name])
            self.conn.execute("BEGIN")
        except BaseException:
            if getattr(self, "conn", None) is not None:
                self.conn.close()
            path.unlink(missing_ok=True)
            raise

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        failed = kind is not None
        try:
            if not failed:
                failed = True
                self.flush()
                self.conn.execute("COMMIT")
                failed = False
        finally:
            self.conn.close()
            if failed:
                self.path.unlink(missing_ok=True)


# columns shifted by a shard's field-id offset when it is merged
SHIFTED = {("fields", "id"), ("field_conformance", "field_id")}


class Writer(Inserter):
    """One database written to a temporary file beside ``target``, then renamed over it.

    Fresh (``base=None``): tables are created empty, rows streamed in with :meth:`add`
    (or merged from workers' shards with :meth:`merge`), then indexes and full-text
    indexes built once at the end. Incremental (``base`` an existing build): the file is
    copied and patched: :meth:`remove_datasets` deletes one descriptor's rows (and their
    full-text entries), :meth:`add` inserts new ones.
    Nothing touches ``target`` until :meth:`commit`; :meth:`abort` leaves it as it was.
    """

    def __init__(self, target: Path, base: Path | None = None, *, public: bool = False,
                 spare: Path | None = None) -> None:
        super().__init__()
        self.target = target
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.incremental = base is not None
        # public.db is patched so that it reads as if removed rows never existed
        self.public = public
        self.spare = spare  # where the file this one replaces is kept, for the next build
        self.freed: dict[str, list[int]] = {}  # rowids deleted, per table (public.db)
        self.added: set[str] = set()
        self.indexes: list[str] = []
        try:
            if base is not None:
                if spare is not None and base == spare:
                    os.replace(base, self.tmp)  # a file no one reads: patched in place
                else:
                    shutil.copyfile(base, self.tmp)
                    os.chmod(self.tmp, FILE_MODE)
                self._open(self.tmp)
                # the pages this patch writes, listed by the WAL's frames (see scrub())
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA wal_autocheckpoint=0")
                if public:
                    self.conn.execute("PRAGMA secure_delete=ON")
            else:
                self.tmp.unlink(missing_ok=True)
                os.close(os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
                self._open(self.tmp)
                tables, self.indexes = table_ddl()  # indexes: built after the bulk insert
                for sql in tables.values():
                    self.conn.execute(sql)
            self.conn.execute("BEGIN")
        except BaseException:  # e.g. a full disk while copying: leave nothing behind
            self.abort()
            raise

    def inserted(self, name: str, data: list[dict[str, Any]]) -> None:
        if self.incremental and name in FTS_KEYS:
            self.added.update(str(r[FTS_KEYS[name][1]]) for r in data)

    def merge(self, shard: Path, field_offset: int) -> None:
        """Copy a worker's shard in (field ids shifted by ``field_offset``), in SQLite."""
        self.flush()
        conn = self.conn
        conn.execute("COMMIT")  # ATTACH is not allowed inside a transaction
        conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
        try:
            conn.execute("BEGIN")
            for name in DATASET_TABLES:
                cols = L.COLUMNS[name]
                shifted = [c for c in cols if (name, c) in SHIFTED]
                picked = ", ".join(f"[{c}] + ?" if c in shifted else f"[{c}]" for c in cols)
                conn.execute(f"INSERT INTO main.[{name}] ({', '.join(f'[{c}]' for c in cols)})"
                             f" SELECT {picked} FROM shard.[{name}]",
                             [field_offset] * len(shifted))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.execute("DETACH DATABASE shard")
        conn.execute("BEGIN")

    def remove_datasets(self, ids: Iterable[str]) -> None:
        """Delete every row of these datasets (incremental builds)."""
        ids = list(ids)
        if not ids:
            return
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS gone (id TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM gone")
        self.conn.executemany("INSERT OR IGNORE INTO gone VALUES (?)", ((i,) for i in ids))
        for name, (key, _) in FTS_KEYS.items():
            cols = ", ".join(FTS[name])
            self.conn.execute(  # before the rows go: the view reads their fields
                f"INSERT INTO [{name}_fts] ([{name}_fts], rowid, {cols}) SELECT 'delete', "
                f"rowid, {cols} FROM [{fts_content(name)}] WHERE {key} IN "
                "(SELECT id FROM gone)")
        for name in DATASET_TABLES:
            key = "id" if name == "datasets" else "dataset_id"
            where = f"FROM [{name}] WHERE {key} IN (SELECT id FROM gone)"
            if self.public and name in COMPACTED:
                self.freed.setdefault(name, []).extend(
                    r[0] for r in self.conn.execute(f"SELECT rowid {where}"))
            self.conn.execute(f"DELETE {where}")

    def compact(self) -> None:
        """Fill the rowid gaps that deleted rows left (public.db): the rows with the
        highest rowids move into them, so rowids, field ids and full-text docids count
        1, 2, 3… as in a fresh build. Costs the number of rows deleted."""
        conn = self.conn
        for name in COMPACTED:
            freed = sorted(set(self.freed.get(name, ())))
            if not freed:
                continue
            count = conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]
            over = [r[0] for r in conn.execute(
                f"SELECT rowid FROM [{name}] WHERE rowid > ? ORDER BY rowid", (count,))]
            holes = [r for r in freed if r <= count and conn.execute(
                f"SELECT 1 FROM [{name}] WHERE rowid = ?", (r,)).fetchone() is None]
            assert len(holes) == len(over), (name, holes, over)
            fts = FTS_KEYS.get(name)
            cols = ", ".join(FTS.get(name, ()))
            for new, old in zip(holes, over, strict=True):
                indexed = fts is not None and str(conn.execute(
                    f"SELECT [{fts[0]}] FROM [{name}] WHERE rowid = ?", (old,)).fetchone()[0]
                ) not in self.added  # rows added by this build are indexed in finish()
                if indexed:
                    conn.execute(f"INSERT INTO [{name}_fts] ([{name}_fts], rowid, {cols}) "
                                 f"SELECT 'delete', rowid, {cols} FROM [{fts_content(name)}] "
                                 "WHERE rowid = ?", (old,))
                conn.execute(f"UPDATE [{name}] SET rowid = ? WHERE rowid = ?", (new, old))
                if name == "fields":  # its integer key is field_conformance's
                    conn.execute("UPDATE field_conformance SET field_id = ? "
                                 "WHERE field_id = ?", (new, old))
                if indexed:
                    conn.execute(f"INSERT INTO [{name}_fts] (rowid, {cols}) SELECT rowid, "
                                 f"{cols} FROM [{fts_content(name)}] WHERE rowid = ?", (new,))
        self.freed.clear()

    def replace_shared(self, rows: Rows) -> None:
        """Rewrite the whole-inventory tables (incremental builds)."""
        for name in SHARED_TABLES:
            self.conn.execute(f"DELETE FROM [{name}]")
        self.add({name: rows.get(name, []) for name in SHARED_TABLES})

    def next_field_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM fields").fetchone()[0])

    def finish(self, meta: dict[str, str]) -> dict[str, int]:
        """Write meta, indexes and full-text indexes; returns the row count per table."""
        self.conn.execute("DELETE FROM meta")
        self.add({"meta": [dict(key=k, value=v) for k, v in sorted(meta.items())]})
        self.flush()
        conn = self.conn
        for sql in self.indexes:
            conn.execute(sql)
        if self.incremental:
            if self.public:
                self.compact()
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS fresh (id TEXT PRIMARY KEY)")
            conn.executemany("INSERT OR IGNORE INTO fresh VALUES (?)",
                             ((i,) for i in self.added))
            for name, (key, _) in FTS_KEYS.items():
                cols = ", ".join(FTS[name])
                conn.execute(f"INSERT INTO [{name}_fts] (rowid, {cols}) SELECT rowid, {cols} "
                             f"FROM [{fts_content(name)}] WHERE {key} IN (SELECT id FROM fresh)")
        else:
            for name, indexed in FTS.items():
                conn.execute(f"CREATE VIRTUAL TABLE [{name}_fts] USING fts5("
                             f"{', '.join(indexed)}, content=[{fts_content(name)}], "
                             "tokenize='porter unicode61')")
                conn.execute(f"INSERT INTO [{name}_fts] ([{name}_fts]) VALUES ('rebuild')")
                if self.public:
                    # a delete takes the terms out of the index (not only a marker in a
                    # later segment, which kept them until the next 'optimize')
                    conn.execute(f"INSERT INTO [{name}_fts] ([{name}_fts], rank) "
                                 "VALUES ('secure-delete', 1)")
        conn.execute("COMMIT")
        counts = {str(name): int(conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0])
                  for name in L.COLUMNS}
        pages: set[int] | None = None  # every page
        if self.incremental:
            pages = wal_pages(self.tmp.with_name(self.tmp.name + "-wal"))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")  # the WAL is removed
        conn.close()
        if self.public:
            scrub(self.tmp, pages)
        with open(self.tmp, "rb") as fh:  # on disk before it may replace anything
            os.fsync(fh.fileno())
        return counts

    def commit(self) -> None:
        """Put the finished database in place (atomically); the file it replaces is kept
        as the spare (when asked and there is one), any other spare is dropped."""
        if self.spare is None:
            os.replace(self.tmp, self.target)
            return
        kept: Path | None = self.spare.with_name(f".{self.spare.name}.{os.getpid()}.tmp")
        assert kept is not None
        kept.unlink(missing_ok=True)
        try:
            os.link(self.target, kept)
        except FileNotFoundError:
            kept = None
        os.replace(self.tmp, self.target)
        if kept is not None:
            os.replace(kept, self.spare)
        else:
            self.spare.unlink(missing_ok=True)

    def abort(self) -> None:
        try:
            if getattr(self, "conn", None) is not None:
                self.conn.close()
        finally:
            for suffix in ("", "-wal", "-shm"):  # a WAL a failed close could not remove
                self.tmp.with_name(self.tmp.name + suffix).unlink(missing_ok=True)


def open_both(targets: tuple[Path, Path], incremental: bool,
              bases: tuple[Path, Path] | None = None,
              spares: tuple[Path, Path] | None = None) -> tuple[Writer, Writer]:
    """Writers for both databases (inventory, public), opened at once. Incremental:
    patching ``bases`` (the spares, in place; else copies of the targets)."""
    bases = bases or targets
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(Writer, t, bases[i] if incremental else None, public=i == 1,
                               spare=spares[i] if spares else None)
                   for i, t in enumerate(targets)]
    errors = [e for f in futures if (e := f.exception()) is not None]
    if errors:
        for f in futures:
            if f.exception() is None:
                f.result().abort()
        raise errors[0]
    return futures[0].result(), futures[1].result()


def finish_both(writers: tuple[Writer, Writer], meta: dict[str, str]
                ) -> tuple[dict[str, int], dict[str, int]]:
    """Finish both databases at once: index building runs in SQLite, outside the GIL."""
    with ThreadPoolExecutor(2) as pool:
        staff = pool.submit(writers[0].finish, {**meta, "database": "inventory"})
        public = pool.submit(writers[1].finish, {**meta, "database": "public"})
        return staff.result(), public.result()


BTREE_PAGES = frozenset({2, 5, 10, 13})  # the first byte of a b-tree page's header
_ZEROS = bytes(65536)


def wal_pages(wal: Path) -> set[int]:
    """The numbers of the pages written to a WAL file (its frames' headers)."""
    pages: set[int] = set()
    try:
        fh = open(wal, "rb")
    except FileNotFoundError:
        return pages
    with fh:
        header = fh.read(32)
        if len(header) < 32:
            return pages
        frame = 24 + int.from_bytes(header[8:12], "big")
        at = 32
        while True:
            fh.seek(at)
            number = fh.read(4)
            if len(number) < 4:
                return pages
            pages.add(int.from_bytes(number, "big"))
            at += frame


def scrub(path: Path, pages: Iterable[int] | None = None) -> int:
    """Zero the unallocated space of b-tree pages (all, or ``pages``): the gap between
    the cell pointers and the cells, and the free blocks among the cells, which is where
    SQLite leaves old copies of the cells of a page it rebuilt or rebalanced. Fragments of
    at most 3 bytes are left. Returns the number of pages changed. The file must not be
    open in SQLite (nothing else reads a build's temporary file)."""
    changed = 0
    with open(path, "r+b") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 100:
            return 0
        with mmap.mmap(fh.fileno(), size) as mm:
            page_size = int.from_bytes(mm[16:18], "big")
            page_size = 65536 if page_size == 1 else page_size
            count = size // page_size
            wanted = range(1, count + 1) if pages is None else sorted(
                p for p in set(pages) if 1 <= p <= count)
            for number in wanted:
                start = (number - 1) * page_size
                hdr = start + (100 if number == 1 else 0)
                if mm[hdr] not in BTREE_PAGES:
                    continue  # an overflow, free-list or lock page
                cells = int.from_bytes(mm[hdr + 3:hdr + 5], "big")
                content = int.from_bytes(mm[hdr + 5:hdr + 7], "big") or 65536
                gap = hdr + (12 if mm[hdr] in (2, 5) else 8) + 2 * cells
                spans = [(gap, start + content)]
                free = int.from_bytes(mm[hdr + 1:hdr + 3], "big")
                while free and free + 4 <= page_size:  # free blocks ascend
                    block = int.from_bytes(mm[start + free + 2:start + free + 4], "big")
                    spans.append((start + free + 4, start + min(free + block, page_size)))
                    following = int.from_bytes(mm[start + free:start + free + 2], "big")
                    free = following if following > free else 0
                dirty = False
                for a, b in spans:
                    if b > a and mm[a:b] != _ZEROS[:b - a]:
                        mm[a:b] = _ZEROS[:b - a]
                        dirty = True
                changed += dirty
            mm.flush()
    return changed


# full-text tables kept up to date row by row in incremental builds: the column that
# names the dataset, and the column of the inserted rows that holds it
FTS_KEYS = {"datasets": ("id", "id"), "fields": ("dataset_id", "dataset_id")}
# dataset-scoped tables whose rowids public.db keeps dense (field_conformance's rowid is
# its field id: it moves with the field)
COMPACTED = tuple(t for t in DATASET_TABLES if t != "field_conformance")


def build_meta(inv: Inventory, source_digest: str) -> dict[str, str]:
    return {
        "layout_version": L.LAYOUT_VERSION,
        "catalog_version": __version__,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(inv.project.root),
        "source_hash": source_digest,
        "validated_on": inv.today.isoformat(),
        "base_url": inv.base_url,
        "catalog_json": inv.catalog.model.model_dump_json(exclude_none=True)
        if inv.catalog else "{}",
    }


def built_meta(db: Path, key: str) -> str | None:
    """One value of a database's meta table (None if absent or unreadable)."""
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def built_hash(db: Path) -> str | None:
    """The source hash a database was built from (None if absent or unreadable)."""
    return built_meta(db, "source_hash")
