"""The inventory's history, computed from git objects and extended commit by commit.

For every commit of the first-parent line that touched ``inventory/`` or ``standards/``
(oldest first), :func:`update` applies its changed paths to a running map of the tracked
files and makes one :class:`Event` per dataset whose descriptor changed: what changed,
by property, for staff and (as the public catalog showed it before and after) for the
public, its risk flags, and what it did to the plan's goals (opened, documented,
conformed). Scorecards are computed at every tag and at the last commit of every month
(:class:`Point`) from cached per-version facts.

Everything is kept in ``build/.cache/history`` (marshal): the commits read, their
changed paths, the events, the facts of every descriptor version (by blob id and
standards, so a version is read once however many commits keep it) and the scores of
every point. The next run reads only the commits after the last one it saw; if that
commit is no longer on the first-parent line (history rewritten), it continues from the
newest commit that still is.
"""

from __future__ import annotations

import datetime as dt
import gc
import marshal
import multiprocessing
import os
import re
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .. import __version__
from ..compile import layout as L
from ..governance.scorecard import METRIC_IDS, compute_tallies
from ..problems import CatalogError
from ..project import AGENCY_FILE, kind_of
from ..standards import Standards
from . import risk
from .changes import Change, diff, summary, to_json
from .git import Commit, Repo, Unavailable, _env, worktree
from .records import Facts, Record, read_dataset
from .snapshot import standards_for, standards_key

FORMAT = "5"
CACHE = Path(".cache") / "history"
RECORDS_KEPT = 512  # versions whose records stay in memory during a run
OPEN_DOCUMENTED = METRIC_IDS.index("open-documented")
FIELDS_CONFORMANT = METRIC_IDS.index("fields-conformant")


class Event(NamedTuple):
    """One dataset's change in one commit (a tuple: cached as it is)."""

    commit: int  # index into History.commits
    dataset: str
    agency: str
    kind: str  # added | changed | removed
    title: str
    changes: tuple[tuple[str, Any, Any], ...]  # staff: (path, old, new)
    public_kind: str | None  # None: not a change the public saw; added | changed
    public_changes: tuple[tuple[str, Any, Any], ...]
    risks: tuple[tuple[str, str], ...]  # (code, message)
    opened: bool  # the data became public (access level)
    documented: int  # +1: now meets the documentation standard; -1: no longer
    conformed: int  # fields newly conformant to their standard (negative: fewer)
    summary: str  # the staff change in words
    staff_json: str | None  # the staff changes as stored (changes.to_json)
    public_summary: str  # the public change in words, and as stored, when all of it is
    public_json: str | None  # still shown (catalog.history.public filters what is not)

    def pack(self) -> tuple[Any, ...]:
        return tuple(self)

    @classmethod
    def unpack(cls, t: tuple[Any, ...]) -> "Event":
        return cls._make(t)

    def staff(self) -> list[Change]:
        return [Change(*c) for c in self.changes]

    def public(self) -> list[Change]:
        return [Change(*c) for c in self.public_changes]


@dataclass(frozen=True)
class Point:
    """A commit at which scorecards are kept: a release tag or a month's last commit."""

    label: str  # the tag's name, or YYYY-MM
    kind: str  # tag | month
    commit: str
    time: int


@dataclass
class History:
    status: str  # "available", or why history is unavailable
    head: str | None = None
    commits: list[Commit] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    scores: dict[str, list[tuple[str, str, int, int]]] = field(default_factory=dict)
    reused: int = 0  # events as the cache had them (the rest computed by this run)

    @property
    def available(self) -> bool:
        return self.status == "available"


# -- the cache -----------------------------------------------------------------------------


def cache_key() -> str:
    return f"{FORMAT}\0{__version__}\0{L.LAYOUT_VERSION}"


@dataclass
class Cache:
    key: str = ""
    commits: list[tuple[str, tuple[str, ...], int, str, str]] = field(default_factory=list)
    changes: list[list[tuple[str, str | None, str | None]]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # blob → dataset id ('' unreadable)
    facts: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # blob:std → facts
    scores: dict[str, list[tuple[str, str, int, int]]] = field(default_factory=dict)
    # the running state after the commits read: (how many, tree, readable paths, ids)
    state: tuple[Any, ...] = ()

    @classmethod
    def load(cls, path: Path) -> "Cache":
        try:
            data = marshal.loads(path.read_bytes())
            cache = cls(*data)
        except (OSError, EOFError, ValueError, TypeError):
            return cls(cache_key())
        return cache if cache.key == cache_key() else cls(cache_key())

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((self.key, self.commits, self.changes, self.events,
                                       self.ids, self.facts, self.scores, self.state)))
        os.replace(tmp, path)


# -- reading blobs -------------------------------------------------------------------------


class Blobs:
    """One ``git cat-file --batch`` process for a whole run, asked one blob at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.ahead: dict[str, bytes] = {}  # read ahead in one batch (see prefetch)

    def prefetch(self, shas: Iterable[str]) -> None:
        """Read these blobs in one ``git cat-file`` stream (each is then read once)."""
        self.ahead.update(Repo(self.root, "").read(s for s in shas if s not in self.ahead))

    def read(self, sha: str) -> bytes:
        if sha in self.ahead:
            return self.ahead.pop(sha)
        with self.lock:
            if self.proc is None:
                self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, env=_env())
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(f"{sha}\n".encode())
            self.proc.stdin.flush()
            header = self.proc.stdout.readline().split()
            if len(header) != 3:
                raise CatalogError(f"git object {sha} cannot be read",
                                   hint="the repository may be damaged: git fsck")
            data = self.proc.stdout.read(int(header[2]))
            self.proc.stdout.read(1)
            return data

    def many(self, shas: Iterable[str]) -> dict[str, bytes]:
        return {s: self.read(s) for s in dict.fromkeys(shas)}

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc.wait()
            self.proc = None


# -- the running state ---------------------------------------------------------------------


Follow = Callable[[bool], Callable[[str], str]]


class State:
    """The tracked files at one commit, and which dataset each descriptor holds."""

    def __init__(self) -> None:
        self.tree: dict[str, str] = {}  # path → blob
        self.readable: dict[str, str] = {}  # dataset path → its last readable blob
        self.at: dict[str, str] = {}  # dataset path → id
        self.paths: dict[str, Any] = {}  # id → its paths (a set; a list as cached)

    def pack(self, count: int) -> tuple[Any, ...]:
        return (count, self.tree, self.readable, self.at,
                {k: sorted(v) for k, v in self.paths.items() if v})

    @classmethod
    def unpack(cls, t: tuple[Any, ...]) -> "State":
        state = cls()
        _, state.tree, state.readable, state.at, paths = t
        state.paths = paths  # lists until touched (see _paths_of)
        return state

    def _paths_of(self, dataset_id: str) -> set[str]:
        found = self.paths.get(dataset_id)
        if not isinstance(found, set):
            found = self.paths[dataset_id] = set(found or ())
        return found

    def copy(self) -> "State":
        other = State()
        other.tree, other.readable, other.at = dict(self.tree), dict(self.readable), \
            dict(self.at)
        other.paths = {k: set(v) for k, v in self.paths.items()}
        return other

    def blob_of(self, dataset_id: str) -> str | None:
        paths = self.paths.get(dataset_id)
        return self.readable[min(paths)] if paths else None

    def datasets(self) -> Iterator[tuple[str, str]]:
        for dataset_id, paths in self.paths.items():
            if paths:
                yield dataset_id, self.readable[min(paths)]

    def agencies(self) -> list[str]:
        """The agency folders holding an _agency.yml (or .yaml)."""
        return sorted({parts[1] for p in self.tree
                       if p.startswith("inventory/") and "/" + AGENCY_FILE + "." in p
                       and len(parts := p.split("/")) == 3 and kind_of(p) is not None})

    def apply(self, changes: Iterable[tuple[str, str | None, str | None]],
              standards: Follow) -> dict[str, tuple[str | None, str | None]]:
        """Apply a commit's changed paths; returns, per dataset touched, its blob before
        and after. ``standards(changed)`` is called once the tree is updated (so with
        the commit's own standards; ``changed``: the commit touched them) and gives
        ``identify(blob)``: the id a version declares, '' when it cannot be read (the
        path then keeps its last readable version)."""
        rows = list(changes)
        datasets = []
        for path, _, new in rows:
            if new is None:
                self.tree.pop(path, None)
            else:
                self.tree[path] = new
            if (k := kind_of(path)) is not None and k[0] == "dataset":
                datasets.append((path, new))
        changed = any(path.startswith("standards/") for path, _, _ in rows)
        if not datasets:
            standards(changed)
            return {}
        identify = standards(changed)
        new_ids = {p: identify(new) if new is not None else None for p, new in datasets}
        ids = {self.at[p] for p, _ in datasets if p in self.at} | {
            i for i in new_ids.values() if i}
        before = {i: self.blob_of(i) for i in ids}
        for path, new in datasets:
            dataset_id = new_ids[path]
            if dataset_id == "":
                continue  # unreadable: the path keeps what it had
            old_id = self.at.pop(path, None)
            if old_id is not None:
                self._paths_of(old_id).discard(path)
            self.readable.pop(path, None)
            if dataset_id is not None and new is not None:
                self.at[path] = dataset_id
                self.readable[path] = new
                self._paths_of(dataset_id).add(path)
        touched: dict[str, tuple[str | None, str | None]] = {}
        for dataset_id in ids:
            old, now = before[dataset_id], self.blob_of(dataset_id)
            if old != now:
                touched[dataset_id] = (old, now)
        return touched


# -- computing -----------------------------------------------------------------------------


class Engine:
    """One run of :func:`update`: the cache, the blobs and the versions read so far."""

    def __init__(self, repo: Repo, cache: Cache) -> None:
        self.repo = repo
        self.cache = cache
        self.blobs = Blobs(repo.root)
        self.records: OrderedDict[str, tuple[Record, Record | None]] = OrderedDict()
        self._std: dict[str, Standards] = {}
        self._trees: dict[str, dict[str, str]] = {}
        self.key = self.at({})

    def at(self, tree: dict[str, str]) -> str:
        """The key of a tree's standards (loaded only when asked for: see :attr:`std`)."""
        key = standards_key(tree)
        if key not in self._trees:
            self._trees[key] = {p: b for p, b in tree.items() if p.startswith("standards/")}
        return key

    def standards(self, tree: dict[str, str]) -> tuple[str, Standards]:
        key = self.at(tree)
        return key, self.loaded(key)

    def seed(self, tree: dict[str, str], std: Standards) -> None:
        """Standards already loaded for this tree (the working tree's, by the build)."""
        self._std[self.at(tree)] = std

    def loaded(self, key: str) -> Standards:
        if key not in self._std:
            self._std[key] = standards_for(self._trees[key], self.blobs.many)
        return self._std[key]

    @property
    def std(self) -> Standards:
        """The standards of the commit being read (loaded once per distinct content)."""
        return self.loaded(self.key)

    def follow(self, state: "State") -> Follow:
        """For :meth:`State.apply`: the standards of the state's tree, as it is then."""
        def current(changed: bool) -> Callable[[str], str]:
            if changed:
                self.key = self.at(state.tree)
            return self.identify(self.key)
        return current

    def _read(self, blob: str, std_key: str, std: Standards) -> tuple[Record, Record | None] | None:
        """Parse one version: its records (kept for a while) and its facts (cached)."""
        rel = "inventory/x/x.yml"
        version = read_dataset(self.blobs.read(blob), rel, std)
        if version is None:
            self.cache.ids[blob] = ""
            self.cache.facts[f"{blob}:{std_key}"] = ()
            return None
        self.cache.ids[blob] = version.facts.id
        self.cache.facts[f"{blob}:{std_key}"] = version.facts.pack()
        records = (version.staff, version.public)
        self.records[blob] = records
        if len(self.records) > RECORDS_KEPT:
            self.records.popitem(last=False)
        return records

    def identify(self, std_key: str) -> Callable[[str], str]:
        def identify(blob: str) -> str:
            if blob not in self.cache.ids:
                self._read(blob, std_key, self.loaded(std_key))
            return self.cache.ids[blob]
        return identify

    def records_of(self, blob: str, std_key: str, std: Standards
                   ) -> tuple[Record, Record | None]:
        found = self.records.get(blob)
        if found is not None:
            self.records.move_to_end(blob)
            return found
        read = self._read(blob, std_key, std)
        assert read is not None, "a dataset's blob was readable when it was seen"
        return read

    def facts(self, blob: str, std_key: str, std: Standards) -> Facts | None:
        packed = self.cache.facts.get(f"{blob}:{std_key}")
        if packed is None:
            self._read(blob, std_key, std)
            packed = self.cache.facts[f"{blob}:{std_key}"]
        return Facts.unpack(packed) if packed else None


def _event(engine: Engine, index: int, dataset_id: str, old: str | None, new: str | None,
           std_key: str, std: Standards, ranks: dict[str, dict[str, int]]) -> Event:
    b = engine.records_of(old, std_key, std) if old else None
    a = engine.records_of(new, std_key, std) if new else None
    fb = engine.facts(old, std_key, std) if old else None
    fa = engine.facts(new, std_key, std) if new else None
    kind = "added" if b is None else "removed" if a is None else "changed"
    # an addition or removal is said in words; only a change lists its properties
    staff = tuple((c.path, c.old, c.new) for c in diff(b[0], a[0])) if a and b else ()
    pub_b, pub_a = (b[1] if b else None), (a[1] if a else None)
    public_kind = None if pub_a is None else "added" if pub_b is None else "changed"
    public = tuple((c.path, c.old, c.new) for c in diff(pub_b, pub_a)) \
        if public_kind == "changed" else ()
    if public_kind == "changed" and not public:
        public_kind = None

    def rank(side: str, level: str | None) -> int | None:
        return ranks[side].get(level or "")

    flags = risk.dataset_flags(b[0] if b else None, a[0], rank) if a else []
    t_b, t_a = (fb.tally if fb else ()), (fa.tally if fa else ())

    def share(t: tuple[int, ...], metric: int) -> int:
        return t[2 * metric] if t else 0

    shown, facts = (a or b), (fa or fb)
    assert shown is not None
    return Event(
        index, dataset_id, facts.agency if facts else "", kind,
        str(shown[0].get("title", "")), staff, public_kind, public,
        tuple((f.code, f.message) for f in flags),
        bool(fa and fa.access_level == "public" and (fb is None or fb.access_level != "public")),
        share(t_a, OPEN_DOCUMENTED) - share(t_b, OPEN_DOCUMENTED),
        share(t_a, FIELDS_CONFORMANT) - share(t_b, FIELDS_CONFORMANT),
        summary(kind, [Change(*c) for c in staff]), to_json(Change(*c) for c in staff),
        summary(public_kind or "changed", [Change(*c) for c in public]),
        to_json(Change(*c) for c in public))


def _ranks(std: Standards) -> dict[str, int]:
    return {k: v.rank for k, v in std.levels.items()}


Job = tuple[int, str, str | None, str | None, str, dict[str, dict[str, int]]]


def _jobs(engine: Engine, state: State, base: int,
          identify: Callable[[str], str] | None = None) -> Iterator[Job]:
    """The events of the commits from ``base`` on, to compute: (commit index, dataset,
    blob before, blob after, standards key, classification ranks before and after).
    ``identify`` (default: parse each version) gives each version's dataset id."""
    cache = engine.cache
    for index in range(base, len(cache.commits)):
        before = _ranks(engine.std)
        touched = state.apply(cache.changes[index], _follow(engine.follow(state), identify))
        ranks = {"before": before, "after": _ranks(engine.std)}
        for dataset_id, (old, new) in sorted(touched.items()):
            yield index, dataset_id, old, new, engine.key, ranks


def _follow(follow: Follow, identify: Callable[[str], str] | None) -> Follow:
    """The commit's standards are loaded either way; ids come from ``identify`` if given."""
    def standards(changed: bool) -> Callable[[str], str]:
        parsed = follow(changed)
        return identify or parsed
    return standards


def _extend(engine: Engine, state: State, base: int, jobs: int) -> None:
    """Events of the commits from ``base`` on: in worker processes when they bring many
    new versions, else (or if the workers' quick reading of ids proves wrong) here."""
    cache = engine.cache
    fresh = {new for changes in cache.changes[base:] for path, _, new in changes
             if new and new not in cache.ids and (k := kind_of(path)) and k[0] == "dataset"}
    if jobs > 1 and len(fresh) >= POOL_MIN:
        saved = state.copy()
        if _parallel(engine, state, base, fresh, jobs):
            return
        state.__dict__.update(saved.__dict__)
        del cache.events[len([e for e in cache.events if e[0] < base]):]
    for index, dataset_id, old, new, key, ranks in _jobs(engine, state, base):
        cache.events.append(_event(engine, index, dataset_id, old, new, key,
                                   engine.loaded(key), ranks).pack())


QUICK_ID = re.compile(rb"^id:[ \t]*['\"]?([a-z0-9][a-z0-9-]*)['\"]?[ \t]*(?:#.*)?$", re.M)
POOL_MIN = 200  # new versions to read before worker processes pay for themselves
CHUNK = 40  # datasets per worker task
_WORKER: tuple[Path, dict[str, dict[str, str]]] | None = None  # inherited by forked workers


def _work(jobs: list[Job]) -> tuple[list[tuple[Any, ...]], dict[str, str],
                                   dict[str, tuple[Any, ...]]]:
    """A worker's events for some datasets (each version parsed once), with the ids and
    facts it learnt."""
    assert _WORKER is not None
    root, trees = _WORKER
    engine = Engine(Repo(root, ""), Cache(cache_key()))
    engine.blobs.prefetch(b for job in jobs for b in job[2:4] if b)
    try:
        events = [_event(engine, index, dataset_id, old, new, key,
                         engine.standards(trees[key])[1], ranks).pack()
                  for index, dataset_id, old, new, key, ranks in jobs]
    finally:
        engine.blobs.close()
    return events, engine.cache.ids, engine.cache.facts


def _parallel(engine: Engine, state: State, base: int, fresh: set[str], jobs: int) -> bool:
    """Events computed by ``jobs`` processes: ids read quickly from each new version's
    top-level ``id:`` line, then checked against the full parse; False (nothing kept)
    when one differs."""
    global _WORKER
    cache = engine.cache
    quick = {blob: (m.group(1).decode() if (m := QUICK_ID.search(raw)) else "")
             for blob, raw in engine.repo.read(sorted(fresh))}

    def identify(blob: str) -> str:
        return cache.ids[blob] if blob in cache.ids else quick[blob]

    trees: dict[str, dict[str, str]] = {}
    work: dict[str, list[Job]] = {}
    for job in _jobs(engine, state, base, identify):
        work.setdefault(job[1], []).append(job)
        trees.setdefault(job[4], {p: b for p, b in state.tree.items()
                                  if p.startswith("standards/")})
    unread = sorted(b for b, i in quick.items() if not i)  # checked by a parse below
    datasets = sorted(work)
    chunks = [[j for d in datasets[i:i + CHUNK] for j in work[d]]
              for i in range(0, len(datasets), CHUNK)]
    events: list[tuple[Any, ...]] = []
    _WORKER = (engine.repo.root, trees)
    # the forked workers never collect this process's objects (a build's are many): a
    # collection would touch, and so copy, every page of them
    gc.freeze()
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for found, ids, facts in pool.map(_work, chunks):
                events.extend(found)
                cache.ids.update(ids)
                cache.facts.update(facts)
    finally:
        _WORKER = None
        gc.unfreeze()
    for blob in unread:
        engine.identify(engine.key)(blob)
    if any(cache.ids.get(blob, "") != quick[blob] for blob in fresh):
        return False
    events.sort(key=lambda e: (e[0], e[1]))
    cache.events.extend(events)
    return True


def update(root: Path, build_dir: Path, head: str | None = None, *,
           jobs: int | None = None, standards: Standards | None = None) -> History:
    """The history of the project at ``root`` up to ``head`` (default: HEAD), extending
    the cache in ``build_dir``; many new versions are read by ``jobs`` processes.
    ``standards``: those of the working tree, already loaded (by the build): a commit
    with the same standards uses them instead of reading them again."""
    repo = Repo.open(root)
    if isinstance(repo, Unavailable):
        return History(repo.reason)
    head = head or repo.head()
    if head is None:
        return History("no commits yet")
    path = build_dir / CACHE
    cache = Cache.load(path)
    engine = Engine(repo, cache)
    if standards is not None:
        engine.seed(worktree(root, ("standards",)), standards)
    try:
        line = repo.first_parents(head)
        position = {sha: i for i, (sha, _) in enumerate(line)}
        kept = 0
        for i, c in enumerate(cache.commits):
            if c[0] not in position:
                break
            kept = i + 1
        truncated = kept < len(cache.commits)
        if truncated:  # rewritten: drop what is no longer on the line
            cache.events = [e for e in cache.events if e[0] < kept]
            del cache.commits[kept:], cache.changes[kept:]
        since = cache.commits[-1][0] if cache.commits else None
        reused = len(cache.events)
        base = len(cache.commits)
        if cache.state and cache.state[0] == base:  # where the cache left off
            state = State.unpack(cache.state)
            engine.key = engine.at(state.tree)
        else:
            state = State()
            for done in cache.changes:
                state.apply(done, engine.follow(state))
        if since != head:
            for commit, paths in repo.log(head, since):
                cache.commits.append((commit.sha, commit.parents, commit.time, commit.author,
                                      commit.subject))
                cache.changes.append([(c.path, c.old, c.new) for c in paths])
        if base < len(cache.commits):
            _extend(engine, state, base, jobs or os.cpu_count() or 1)
        cache.state = state.pack(len(cache.commits))
        points = _points(repo, line)
        scored = set(cache.scores)
        _score(engine, points, position, state)
        cache.scores = {p.commit: cache.scores[p.commit] for p in points}
        if base != len(cache.commits) or truncated or set(cache.scores) != scored:
            cache.save(path)  # else it holds all this already
    finally:
        engine.blobs.close()
    return History("available", head, [Commit(*c) for c in cache.commits],
                   [Event.unpack(e) for e in cache.events], points,
                   {p.commit: cache.scores[p.commit] for p in points}, reused)


def _points(repo: Repo, line: list[tuple[str, int]]) -> list[Point]:
    """Every tag on the first-parent line, and the last commit of every month."""
    on_line = {sha for sha, _ in line}
    times = dict(line)
    points = [Point(name, "tag", sha, times[sha]) for name, sha in repo.tags()
              if sha in on_line]
    last: dict[str, tuple[str, int]] = {}
    for sha, t in line:
        month = dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m")
        last[month] = (sha, t)
    points += [Point(month, "month", sha, t) for month, (sha, t) in last.items()]
    return sorted(points, key=lambda p: (p.time, p.kind, p.label))


def _score(engine: Engine, points: list[Point], position: dict[str, int],
           final: State) -> None:
    """Scores at every point not scored yet: from the state after the last commit read
    when the points come after it (a new month's point), else one replay of the
    cached changes."""
    cache = engine.cache
    todo = sorted({p.commit for p in points if p.commit not in cache.scores},
                  key=position.__getitem__)
    if not todo:
        return
    dates = {p.commit: p.time for p in points}
    last = position[cache.commits[-1][0]] if cache.commits else -1
    replay = position[todo[0]] < last
    state = State() if replay else final
    commits = iter(zip(cache.commits, cache.changes, strict=True) if replay else ())
    pending = next(commits, None)
    if replay:
        engine.key = engine.at({})
    for sha in todo:
        while pending is not None and position[pending[0][0]] <= position[sha]:
            state.apply(pending[1], engine.follow(state))
            pending = next(commits, None)
        day = dt.datetime.fromtimestamp(dates[sha], dt.timezone.utc).date()
        tallies = []
        known = cache.facts
        for _, blob in state.datasets():
            packed = known.get(f"{blob}:{engine.key}")
            if packed is None:  # a version not read with these standards yet
                facts = engine.facts(blob, engine.key, engine.std)
                packed = facts.pack() if facts else ()
            if packed:  # (id, agency, visibility, access, tally, last reviewed)
                tallies.append((packed[1], packed[4],
                                dt.date.fromordinal(packed[5]) if packed[5] else None))
        cache.scores[sha] = [(s.scope, s.metric, s.numerator, s.denominator)
                             for s in compute_tallies(state.agencies(), tallies, day)]
