"""Builds that redo only what changed: validate + compile with a content-hash cache.

A build keeps, in ``build/.cache/manifest`` (marshal: one :class:`CachedUnit` record per
descriptor, as plain tuples), what it learnt of every dataset descriptor: the file's stat
and SHA-256, its id, agency and links, the problems of the per-file rules
(:func:`catalog.validate.dataset_rules`) and its scorecard tally. The next build

1. re-reads only the descriptors whose size, mtime or inode changed, and re-checks only
   those whose content changed (touching a file costs a hash, not a parse);
2. runs the cross-file rules (unique ids, agencies, agreements) over the kept facts, and
   every rule of the small registers (agencies, agreements, requests), always read;
3. patches the databases the build before the last one left (``.cache/spare/``, in
   place; copies of the last build's when a server still reads those): the rows of every
   descriptor that differs from what that file holds out, their new rows in, the
   whole-inventory tables rewritten; then renames them into place, and keeps the files
   they replace as the next build's spares. The cost is the size of the change.

Anything that could change every descriptor's outcome (the standards, the catalog's base
URL, the schema or catalog version) changes the cache key and makes a full build, as do
missing databases or databases the manifest does not describe. A full build analyses
descriptors on every core (a process pool) while this process writes the databases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version
from itertools import islice
from pathlib import Path
from typing import Any, Literal, NamedTuple

from . import __version__, history
from .compile import (
    FILE_MODE,
    INVENTORY_FILE,
    PUBLIC_FILE,
    BuildResult,
    Inserter,
    ShardWriter,
    Writer,
    build_lock,
    build_meta,
    built_hash,
    built_meta,
    digest,
    disk_error,
    finish_both,
    git_commit,
    held_lock_fds,
    open_both,
    standards_files,
    table_ddl,
    unwritable,
)
from .compile import layout as L
from .compile.rows import Rows, dataset_rows, public_rows, renumber, shared_rows
from .dbapi import sqlite3
from .governance.scorecard import Score, Tally, compute_tallies, tally
from .load import Document, load_file
from .model import Dataset
from .model.check import check_partial
from .problems import Problem, Report, Severity
from .procs import die_with_parent
from .project import Discovery, Project, Source
from .status import record_attempt
from .validate import (
    Entry,
    Inventory,
    add_entry,
    dataset_rules,
    load_sources,
    references,
    register_rules,
    repeats_id,
    start,
)
from .validate.conformance import Conformance
from .validate.facts import DatasetFacts, dataset_facts
from .validate.tableschema import known_shapes

CACHE_FORMAT = "6"  # 6: spares patched in place; public full-text secure-delete
MANIFEST = Path(".cache") / "manifest"  # marshal: plain tuples, fast to read
SPARE_DIR = Path(".cache") / "spare"  # the databases the last build replaced
POOL_MIN = 200  # descriptors to analyse before a process pool pays for itself
CHUNK = 50

Mode = Literal["full", "incremental", "unchanged", "blocked", "checked"]


@dataclass
class Unit:
    """What a build knows of one dataset descriptor (rows only while it is being built)."""

    rel: str
    sha: str
    stat: tuple[int, int, int]
    id: str | None = None
    agency: str = ""
    related: tuple[str, ...] = ()
    data: tuple[tuple[str, str | None], ...] = ()  # its data files (sample, published) and hashes
    facts: DatasetFacts | None = None  # derived facts, read by cross-file rules
    load_problems: list[Problem] = field(default_factory=list)
    rule_problems: list[Problem] = field(default_factory=list)
    tally: Tally = ()
    last_reviewed: dt.date | None = None
    visibility: str = ""
    rows: Rows | None = None
    public: Rows | None = None
    entry: Entry[Dataset] | None = None  # of a check that keeps models: the parsed file
    conformance: dict[str, Conformance] = field(default_factory=dict)  # and its fields'


class Held(NamedTuple):
    """What a database holds of one descriptor: the rows of this content (and data
    files), under this id."""

    sha: str
    data: tuple[tuple[str, str | None], ...]
    id: str | None

    @classmethod
    def of(cls, unit: Unit) -> "Held":
        return cls(unit.sha, unit.data, unit.id)


@dataclass
class Manifest:
    key: str = ""  # the cache key: standards, base URL, versions
    built: str = ""  # the source hash of the databases these units describe
    units: dict[str, Unit] = field(default_factory=dict)
    shapes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Frictionless's verdicts
    # the spares: the source hash they were built from, and what they hold of each
    # descriptor (its content and data files' hashes, and its id)
    spare_built: str = ""
    spare_units: dict[str, Held] = field(default_factory=dict)


@dataclass
class Outcome:
    report: Report
    mode: Mode
    analysed: int  # descriptors parsed and checked (the rest came from the cache)
    result: BuildResult | None = None
    scores: list[Score] = field(default_factory=list)  # of a check: the scorecards
    inventory: Inventory | None = None  # of a check: the registers and every dataset's facts


def _stat(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _sha(path: Path) -> str | None:
    try:
        if not path.is_file():  # a pipe would block the build (file-not-regular)
            return None
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def analyse(source: Source, ctx: Inventory, *, rows: bool = True, keep: bool = False) -> Unit:
    """Parse one descriptor and run every per-file rule on it; its rows too (unless
    ``rows`` is false: a check that writes nothing); its parsed model and conformance
    with ``keep``."""
    try:
        stat = _stat(source.path)
    except OSError:
        stat = (0, 0, 0)
    doc = load_file(source.path, source.rel)
    model, problems, broken = check_partial(doc, Dataset) if doc.data is not None else \
        (None, [], frozenset())
    unit = Unit(source.rel, doc.sha256, stat, load_problems=doc.problems + problems)
    if not isinstance(model, Dataset):
        return unit
    entry = Entry(source, doc, model, broken)
    unit.rule_problems, conf = dataset_rules(entry, ctx)
    unit.facts = dataset_facts(entry, ctx)
    unit.data = tuple((ctx.project.rel(p), _sha(p)) for p in _data_files(entry, ctx.project))
    if keep:
        unit.entry, unit.conformance = entry, conf
    if broken:  # a partial model: its problems and facts, no rows
        return unit
    unit.id, unit.agency, unit.related = model.id, model.agency, tuple(model.related_agreements)
    unit.visibility = model.access.effective_visibility.value
    unit.tally = tally(model, lambda name: (c := conf.get(name)) is not None
                       and c.status == "conformant", ctx.standards)
    unit.last_reviewed = model.lifecycle.last_reviewed if model.lifecycle else None
    if rows:
        unit.rows = dataset_rows(model, source.rel, conf, ctx.base_url,
                                 pii=unit.facts.pii if unit.facts else ())
        unit.public = public_rows(unit.rows)
    return unit


@dataclass(frozen=True)
class Request:
    """What a build was asked to do (``catalog build``'s and ``catalog validate``'s
    options)."""

    project: Project
    out_dir: Path
    today: dt.date | None = None
    allow_warnings: bool = False
    jobs: int = 1
    full: bool = False  # ignore the cache
    if_changed: bool = False  # leave databases built from these very sources alone
    check_only: bool = False  # validate: every problem, nothing written
    keep: bool = False  # a check that keeps every dataset's model and conformance
    found: Discovery | None = None  # the files, when the caller has just discovered them


@dataclass(frozen=True)
class _Work:
    """What forked workers analyse with (inherited, not sent)."""

    ctx: Inventory
    rows: bool
    shards: Path | None


_WORK: _Work | None = None


@dataclass
class Shard:
    """Rows a worker wrote for one chunk: two SQLite files (inventory and public rows),
    field ids counted from 1, merged into the databases by the main process in C."""

    staff: Path
    public: Path
    fields: tuple[int, int]  # in each file (public.db numbers public fields only)

    def remove(self) -> None:
        self.staff.unlink(missing_ok=True)
        self.public.unlink(missing_ok=True)


Batch = tuple[list[Unit], Shard | None]
Chunk = tuple[list[Unit], Shard | None, list[tuple[str, Any]]]  # and the new field shapes


def _worker_started(parent: int) -> None:
    """A build worker ends with its build, however that ends (``kill -9`` included): the
    kernel kills it when the build process goes, and its copy of the build lock's
    descriptor is closed, so the lock never outlives the build."""
    die_with_parent(parent)
    for fd in held_lock_fds():
        try:
            os.close(fd)
        except OSError:
            pass


def _analyse_chunk(job: tuple[int, list[Source]]) -> Chunk:
    """A worker's units (and their rows, in a shard when a full build writes them), and
    the field shapes it had to ask Frictionless about."""
    work = _WORK
    assert work is not None
    number, sources = job
    shapes = known_shapes()
    before = len(shapes)
    units = [analyse(s, work.ctx, rows=work.rows) for s in sources]
    shard = None
    if work.rows and work.shards is not None:
        stem = f".shard.{os.getpid()}.{number}"
        staff = work.shards / f"{stem}.staff.tmp"
        public = work.shards / f"{stem}.public.tmp"
        shard = Shard(staff, public, write_shard(staff, public, units))
    return units, shard, list(shapes.items())[before:]


def _data_files(entry: Entry[Dataset], project: Project) -> list[Path]:
    """The data files a descriptor's outcome depends on (inside the project)."""
    d, base = entry.model, entry.source.path.parent
    rels = ([d.sample] if entry.has("sample") and d.sample else []) + (
        [x.file for x in d.distributions if x.file] if entry.has("distributions") else [])
    return [base / r for r in rels if project.inside(base / r)]


def _analysed(sources: list[Source], ctx: Inventory, jobs: int, rows: bool,
              shards: Path | None = None, keep: bool = False) -> Iterator[Batch]:
    """Units in the order of ``sources``, in batches: in worker processes when there are
    many, with a bounded number of chunks in flight (memory stays flat however many
    there are). With ``shards`` (a folder), workers write the rows of each chunk there
    instead of sending them back. Units that ``keep`` their models are analysed here."""
    global _WORK
    if keep or jobs <= 1 or len(sources) < POOL_MIN:
        for s in sources:
            yield [analyse(s, ctx, rows=rows, keep=keep)], None
        return
    _WORK = _Work(ctx, rows, shards)  # inherited by the forked workers
    if rows and shards is not None:
        table_ddl()  # the shards' DDL, compiled once before the fork
    chunks = iter(enumerate(sources[i:i + CHUNK] for i in range(0, len(sources), CHUNK)))
    pending: deque[Future[Chunk]] = deque()
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_started,
                                 initargs=(os.getpid(),)) as pool:
            pending.extend(pool.submit(_analyse_chunk, c) for c in islice(chunks, 4 * jobs))
            while pending:
                units, shard, shapes = pending.popleft().result()
                known_shapes().update(shapes)
                for c in islice(chunks, 1):
                    pending.append(pool.submit(_analyse_chunk, c))
                yield units, shard
    finally:
        _WORK = None
        # a build that stopped early: the pool finished what was in flight; drop its shards
        for future in pending:
            if future.done() and future.exception() is None:
                left = future.result()[1]
                if left:
                    left.remove()


def _cache_key(inv: Inventory) -> str:
    std = digest(((d.rel, d.sha256) for d in inv.standards.documents),
                 standards_files(inv.project), inv.project)
    # the libraries whose verdicts are cached
    libraries = "\0".join(f"{lib}={version(lib)}"
                           for lib in ("frictionless", "pydantic", "pyyaml"))
    return hashlib.sha256(f"{CACHE_FORMAT}\0{__version__}\0{L.LAYOUT_VERSION}\0"
                          f"{libraries}\0{inv.base_url}\0{inv.sample_limit}\0{std}"
                          .encode()).hexdigest()


class CachedProblem(NamedTuple):
    """A :class:`~catalog.problems.Problem` as the manifest stores it (builtins only)."""

    code: str
    message: str
    file: str
    line: int | None
    column: int | None
    pointer: str
    hint: str
    severity: str
    field: str

    @classmethod
    def pack(cls, problems: list[Problem]) -> tuple[tuple[Any, ...], ...]:
        return tuple((p.code, p.message, p.file, p.line, p.column, p.pointer, p.hint,
                      p.severity.value, p.field) for p in problems)

    @classmethod
    def unpack(cls, packed: Iterable[Iterable[Any]]) -> list[Problem]:
        out = []
        for record in packed:
            c = cls(*record)
            out.append(Problem(c.code, c.message, c.file, c.line, c.column, c.pointer, c.hint,
                               severity=Severity(c.severity), field=c.field))
        return out


class CachedUnit(NamedTuple):
    """A :class:`Unit` as the manifest stores it: what the next build reuses, in
    builtins only (marshal writes plain tuples: :meth:`pack` gives one, the class reads
    one back by name)."""

    rel: str
    sha: str
    stat: tuple[int, int, int]
    id: str | None
    agency: str
    related: tuple[str, ...]
    data: tuple[tuple[str, str | None], ...]
    facts: tuple[Any, ...] | None  # DatasetFacts.pack()
    load_problems: tuple[tuple[Any, ...], ...]  # CachedProblem.pack()
    rule_problems: tuple[tuple[Any, ...], ...]
    tally: Tally
    last_reviewed: int | None  # a date's ordinal
    visibility: str

    @staticmethod
    def pack(u: Unit) -> tuple[Any, ...]:
        return tuple(CachedUnit(
            u.rel, u.sha, u.stat, u.id, u.agency, u.related, u.data,
            u.facts.pack() if u.facts else None, CachedProblem.pack(u.load_problems),
            CachedProblem.pack(u.rule_problems), u.tally,
            u.last_reviewed.toordinal() if u.last_reviewed else None, u.visibility))

    def unit(self) -> Unit:
        return Unit(
            self.rel, self.sha, self.stat, id=self.id, agency=self.agency,
            related=self.related, data=tuple(tuple(d) for d in self.data),  # type: ignore[misc]
            facts=DatasetFacts.unpack(self.facts) if self.facts else None,
            load_problems=CachedProblem.unpack(self.load_problems) if self.load_problems
            else [],
            rule_problems=CachedProblem.unpack(self.rule_problems) if self.rule_problems
            else [],
            tally=self.tally,
            last_reviewed=dt.date.fromordinal(self.last_reviewed)
            if self.last_reviewed is not None else None,
            visibility=self.visibility)


def load_manifest(path: Path) -> Manifest:
    """The manifest of the last build (empty when absent, unreadable or of another
    format: the build is then a full one)."""
    try:
        key, built, units, shapes, spare_built, spare = marshal.loads(path.read_bytes())
        cached = (CachedUnit(*u) for u in units)
        return Manifest(key, built, {c.rel: c.unit() for c in cached}, shapes, spare_built,
                        {rel: Held(sha, tuple(tuple(d) for d in data), id)  # type: ignore[misc]
                         for rel, (sha, data, id) in spare.items()})
    except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError):
        return Manifest()


def _save_manifest(path: Path, manifest: Manifest) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(marshal.dumps((manifest.key, manifest.built,
                                    [CachedUnit.pack(u) for u in manifest.units.values()],
                                    dict(known_shapes()), manifest.spare_built,
                                    {rel: tuple(h) for rel, h in
                                     manifest.spare_units.items()})))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _reusable(source: Source, old: Unit | None, root: Path) -> Unit | None:
    """The cached unit, if the file (and its data files) still has the content it had."""
    if old is None or (old.id is None and old.facts is None):
        return None
    try:
        stat = _stat(source.path)
    except OSError:
        return None
    if stat != old.stat:
        if _sha(source.path) != old.sha:
            return None
        old.stat = stat
    if any(_sha(root / rel) != sha for rel, sha in old.data):
        return None
    return old


def check_project(project: Project, *, today: dt.date | None = None, jobs: int | None = None,
                  keep: bool = False) -> Outcome:
    """Validate only: every problem, as a build would find them, writing nothing. Uses
    the build's cache for descriptors that did not change (read only), unless ``keep``:
    then every descriptor is parsed again and the outcome's inventory holds every
    dataset's model (``datasets``, ``partial``) and its fields' ``conformance``."""
    return _build(Request(project, project.build_dir, today,
                          jobs=jobs or os.cpu_count() or 1, check_only=True, keep=keep), None)


def validate(project: Project, *, today: dt.date | None = None) -> Inventory:
    """The inventory as the pipeline reads it, every model kept, nothing written: its
    report holds every problem a build would find."""
    inv = check_project(project, today=today, keep=True).inventory
    assert inv is not None
    return inv


def build(project: Project, out_dir: Path | None = None, *, today: dt.date | None = None,
          allow_warnings: bool = False, jobs: int | None = None, full: bool = False,
          if_changed: bool = False, progress: Callable[[int], None] | None = None,
          found: Discovery | None = None) -> Outcome:
    """Validate and compile ``project`` into ``out_dir``, reusing the previous build.

    ``full`` ignores the cache; ``if_changed`` leaves the databases alone when they were
    built from these very sources. The outcome's report holds every problem; nothing is
    written when it has errors, or warnings without ``allow_warnings``. ``found``: the
    project's files, when the caller has just discovered them (not discovered again)."""
    out_dir = out_dir or project.build_dir
    request = Request(project, out_dir, today, allow_warnings, jobs or os.cpu_count() or 1,
                      full, if_changed, found=found)
    with build_lock(out_dir):
        try:
            outcome = _build(request, progress)
            record_attempt(out_dir, outcome, git_commit(project.root))
            return outcome
        except (OSError, sqlite3.Error) as exc:  # what was half-written is gone already
            error = disk_error(exc)
            if error is None:
                raise
            raise unwritable(out_dir, error, "write the build") from None


def _context(project: Project, today: dt.date | None, found: Discovery | None = None
             ) -> tuple[Inventory, list[Source]]:
    """The standards and the small registers (agencies, agreements, requests, the
    catalog file), always read; and the dataset descriptors found."""
    inv, found = start(project, today, found)
    for loaded in load_sources(s for s in found.sources if s.kind != "dataset"):
        add_entry(inv, *loaded)
    return inv, [s for s in found.sources if s.kind == "dataset"]


def _build(request: Request, progress: Callable[[int], None] | None) -> Outcome:
    project, out_dir, check_only = request.project, request.out_dir, request.check_only
    full = request.full
    inv, datasets = _context(project, request.today, request.found)
    manifest_path = out_dir / MANIFEST
    old = Manifest() if full else load_manifest(manifest_path)
    key = _cache_key(inv)
    if old.key == key:
        known_shapes().update(old.shapes)
    targets = (out_dir / INVENTORY_FILE, out_dir / PUBLIC_FILE)
    # patch the last build only if the cache describes exactly those databases
    incremental = old.key == key and not request.keep and (check_only or bool(old.built) and all(
        built_hash(t) == old.built for t in targets))
    units: list[Unit | None] = [None] * len(datasets)
    restated = False  # a reused unit's file has a new stat (same content)
    if incremental:
        for i, source in enumerate(datasets):
            cached = old.units.get(source.rel)
            stat = cached.stat if cached else None
            units[i] = _reusable(source, cached, project.root)
            restated = restated or (cached is not None and units[i] is not None
                                    and cached.stat != stat)
    todo = [i for i, u in enumerate(units) if u is None]

    writers: tuple[Writer, Writer] | None = None
    next_id = (0, 0)
    written = True  # every row of the units so far is in the databases
    try:
        seen: set[str] = set()
        fresh: list[Unit] = []
        analysed = _analysed([datasets[i] for i in todo], inv,
                             1 if request.keep else request.jobs, rows=not check_only,
                             shards=None if incremental or check_only else out_dir,
                             keep=request.keep)
        slots = iter(todo)
        for batch, shard in analysed:
            for unit in batch:
                units[next(slots)] = unit
                fresh.append(unit)
                if progress:
                    progress(1)
            if incremental or check_only:
                continue
            if writers is None:  # opened once the workers exist: write while they analyse
                writers = open_both(targets, incremental=False)
            ids = [u.id for u in batch if u.id]
            # a repeated id fails the build (duplicate-id): stop writing, keep checking
            written = written and len(set(ids)) == len(ids) and not seen.intersection(ids)
            seen.update(ids)
            if shard is not None:
                if written:
                    for w, path, offset in zip(writers, (shard.staff, shard.public), next_id,
                                               strict=True):
                        w.merge(path, offset)
                    next_id = (next_id[0] + shard.fields[0], next_id[1] + shard.fields[1])
                shard.remove()
            elif written:
                for unit in batch:
                    if unit.rows is not None:
                        next_id = _add(writers, unit, next_id)
        done = [u for u in units if u is not None]
        valid = _cross_check(inv, datasets, done)
        if check_only:
            return Outcome(inv.report, "checked", len(todo), scores=_scores(inv, valid),
                           inventory=inv)
        blocked = bool(inv.report.blocking(request.allow_warnings))
        if not written and not blocked:
            raise RuntimeError("a repeated dataset id was not reported")
        at = history.head(project)  # a new commit is a new input, even with the same files
        source_digest = digest(
            [(d.rel, d.sha256) for d in inv.documents + inv.standards.documents]
            + [(u.rel, u.sha) for u in done] + [("\0history", at.key)],
            standards_files(project) + [project.root / rel for u in valid for rel, _ in u.data],
            project)
        if blocked:
            _abort(writers)
            return Outcome(inv.report, "blocked", len(todo))
        today = inv.today.isoformat()
        if not full and all(built_hash(t) == source_digest for t in targets) and (
                request.if_changed or all(built_meta(t, "validated_on") == today
                                          for t in targets)):
            _abort(writers)  # built from these very sources (on this day): nothing to do
            kept = {u.rel: u for u in valid}
            if todo or restated or old.key != key or old.built != source_digest \
                    or kept.keys() != old.units.keys():
                _save_manifest(manifest_path, Manifest(key, source_digest, kept, {},
                                                       old.spare_built, old.spare_units))
            return Outcome(inv.report, "unchanged", len(todo))
        spares = (out_dir / SPARE_DIR / INVENTORY_FILE, out_dir / SPARE_DIR / PUBLIC_FILE)
        if incremental:
            held = old.spare_units if _spares_free(spares, old) else None
            writers = _patch(targets, spares, held, old, done,
                             {s.rel: s for s in datasets}, inv)
        elif writers is None:  # no descriptors at all
            writers = open_both(targets, incremental=False)
        shared = shared_rows(inv, _scores(inv, valid), inv.report.sorted())
        known = {u.id for u in valid if u.id and u.visibility != "hidden"}
        meta = build_meta(inv, source_digest)
        if incremental:
            writers[0].replace_shared(shared)
            writers[1].replace_shared(public_rows(shared, known))
        else:
            writers[0].add(shared)
            writers[1].add(public_rows(shared, known))
        meta.update(history.write(project, out_dir, at, *writers, inv.standards))
        counts, public_counts = finish_both(writers, meta)
    except BaseException:
        _abort(writers)
        raise
    if incremental:  # the files replaced become the spares: they hold the last build
        (out_dir / SPARE_DIR).mkdir(parents=True, exist_ok=True)
        spare_built, spare_units = old.built, {rel: Held.of(u) for rel, u in old.units.items()}
    else:
        writers[0].spare = writers[1].spare = None
        for spare in spares:
            spare.unlink(missing_ok=True)
        spare_built, spare_units = "", {}
    for w in writers:
        w.commit()
    _save_manifest(out_dir / MANIFEST, Manifest(key, source_digest, {u.rel: u for u in valid},
                                                {}, spare_built, spare_units))
    result = BuildResult(targets[0], targets[1], counts, public_counts, source_digest)
    return Outcome(inv.report, "incremental" if incremental else "full", len(todo), result)


def _spares_free(spares: tuple[Path, Path], old: Manifest) -> bool:
    """Whether both spares hold what the manifest says and nothing else reads them (a
    server's snapshot is a hard link: a second name)."""
    try:
        return bool(old.spare_built) and all(
            os.stat(p).st_nlink == 1 and built_hash(p) == old.spare_built for p in spares)
    except OSError:
        return False


def _patch(targets: tuple[Path, Path], spares: tuple[Path, Path],
           held: dict[str, Held] | None, old: Manifest, units: list[Unit],
           sources: dict[str, Source], inv: Inventory) -> tuple[Writer, Writer]:
    """The spares (``held`` says what they hold; None: copies of the last build, which
    the manifest describes) without the rows of every descriptor they hold otherwise than
    now, then with its rows now (read again if this build reused it from the cache)."""
    if held is None:
        held = {rel: Held.of(u) for rel, u in old.units.items()}
        writers = open_both(targets, incremental=True, spares=spares)
    else:
        writers = open_both(targets, incremental=True, bases=spares, spares=spares)
    try:
        same = {u.rel for u in units if held.get(u.rel) == Held.of(u)}
        gone = {h.id for rel, h in held.items() if rel not in same and h.id}
        for w in writers:
            w.remove_datasets(gone)
        next_id = (writers[0].next_field_id(), writers[1].next_field_id())
        for unit in units:
            if unit.rel in same or unit.id is None:
                continue
            if unit.rows is None:  # changed since the spare, not since the last build
                unit = analyse(sources[unit.rel], inv)
            if unit.rows is not None:
                next_id = _add(writers, unit, next_id)
    except BaseException:
        _abort(writers)
        raise
    return writers


def write_shard(staff: Path, public: Path, units: list[Unit]) -> tuple[int, int]:
    """Write the rows of ``units`` into two shard files (field ids from 1); returns the
    number of fields in each. Drops the rows from the units, which go back without them."""
    last = (0, 0)
    with ShardWriter(staff) as s, ShardWriter(public) as p:
        for unit in units:
            if unit.rows is not None:
                last = _add((s, p), unit, last)
    return last


def _add(sinks: tuple[Inserter, Inserter], unit: Unit, next_id: tuple[int, int]
         ) -> tuple[int, int]:
    """Write one descriptor's rows, staff and public (field ids after ``next_id``, one
    counter per database); drops them from the unit, which the manifest keeps. Returns the
    last field ids used."""
    assert unit.rows is not None and unit.public is not None
    last = (renumber(unit.rows, next_id[0]), renumber(unit.public, next_id[1]))
    sinks[0].add(unit.rows)
    sinks[1].add(unit.public)
    unit.rows = unit.public = None
    return last


def _scores(inv: Inventory, units: list[Unit]) -> list[Score]:
    return compute_tallies(sorted(inv.agencies),
                           ((u.agency, u.tally, u.last_reviewed) for u in units), inv.today)


def _abort(writers: Iterable[Writer] | None) -> None:
    for w in writers or ():
        w.abort()


def _entry(source: Source) -> Entry[Dataset] | None:
    """A descriptor read again, for the positions of a cross-file problem."""
    ((_, doc, model, _, _),) = load_sources([source])
    return Entry(source, doc, model) if isinstance(model, Dataset) else None


def _doc(source: Source) -> Document | None:
    entry = _entry(source)
    return entry.doc if entry else None


def _cross_check(inv: Inventory, sources: list[Source], units: list[Unit]) -> list[Unit]:
    """Each unit's problems, then the cross-file rules, into ``inv.report``; returns the
    units kept (the first of each id; a kept model goes into ``inv.datasets``)."""
    by_rel = {s.rel: s for s in sources}
    first: dict[str, str] = {}
    kept: list[Unit] = []
    for unit in units:
        inv.report.extend(unit.load_problems)
        if unit.facts is not None:
            inv.facts.setdefault(unit.facts.id, unit.facts)
        if unit.id is None:
            inv.report.extend(unit.rule_problems)  # of a partial model
            if unit.entry is not None:
                inv.partial.append(unit.entry)
            continue
        if repeats_id(inv, unit.id, first.get(unit.id), partial(_doc, by_rel[unit.rel])):
            continue
        first[unit.id] = unit.rel
        kept.append(unit)
        if unit.entry is not None:
            inv.datasets[unit.id] = unit.entry
            inv.conformance.update({(unit.id, n): c for n, c in unit.conformance.items()})
        inv.report.extend(unit.rule_problems)
        if unit.facts is not None:
            inv.facts[unit.id] = unit.facts  # the first of each id wins
    inv.report.extend(references.check_agencies(inv))
    for unit in kept:
        if not references.links_ok(unit.agency, unit.related, inv.agencies, inv.agreements):
            entry = _entry(by_rel[unit.rel])
            if entry:
                inv.report.extend(references.check_links(entry, inv.agencies, inv.agreements))
    inv.report.extend(register_rules(inv, first))
    return kept
