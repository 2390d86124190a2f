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
import marshal
import os
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..compile import layout as L
from ..governance.scorecard import METRIC_IDS, compute_tallies
from ..problems import CatalogError
from ..project import AGENCY_FILE, kind_of
from ..standards import Standards
from . import risk
from .changes import Change, diff, summary
from .git import Commit, Repo, Unavailable, _env
from .records import Facts, Record, read_dataset
from .snapshot import standards_for, standards_key

FORMAT = "1"
CACHE = Path(".cache") / "history"
RECORDS_KEPT = 512  # versions whose records stay in memory during a run
OPEN_DOCUMENTED = METRIC_IDS.index("open-documented")
FIELDS_CONFORMANT = METRIC_IDS.index("fields-conformant")


@dataclass
class Event:
    """One dataset's change in one commit."""

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

    def pack(self) -> tuple[Any, ...]:
        return (self.commit, self.dataset, self.agency, self.kind, self.title, self.changes,
                self.public_kind, self.public_changes, self.risks, self.opened,
                self.documented, self.conformed)

    @classmethod
    def unpack(cls, t: tuple[Any, ...]) -> "Event":
        return cls(*t)

    def staff(self) -> list[Change]:
        return [Change(*c) for c in self.changes]

    def public(self) -> list[Change]:
        return [Change(*c) for c in self.public_changes]

    @property
    def summary(self) -> str:
        return summary(self.kind, self.staff())


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

    @property
    def available(self) -> bool:
        return self.status == "available"


# -- the cache -----------------------------------------------------------------------------


def cache_key() -> str:
    return f"{FORMAT}\0{__version__}\0{L.SCHEMA_VERSION}"


@dataclass
class Cache:
    key: str = ""
    commits: list[tuple[str, tuple[str, ...], int, str, str]] = field(default_factory=list)
    changes: list[list[tuple[str, str | None, str | None]]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # blob → dataset id ('' unreadable)
    facts: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # blob:std → facts
    scores: dict[str, list[tuple[str, str, int, int]]] = field(default_factory=dict)

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
                                       self.ids, self.facts, self.scores)))
        os.replace(tmp, path)


# -- reading blobs -------------------------------------------------------------------------


class Blobs:
    """One ``git cat-file --batch`` process for a whole run, asked one blob at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def read(self, sha: str) -> bytes:
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


class State:
    """The tracked files at one commit, and which dataset each descriptor holds."""

    def __init__(self) -> None:
        self.tree: dict[str, str] = {}  # path → blob
        self.readable: dict[str, str] = {}  # dataset path → its last readable blob
        self.at: dict[str, str] = {}  # dataset path → id
        self.paths: dict[str, set[str]] = {}  # id → its paths

    def blob_of(self, dataset_id: str) -> str | None:
        paths = self.paths.get(dataset_id)
        return self.readable[min(paths)] if paths else None

    def datasets(self) -> Iterator[tuple[str, str]]:
        for dataset_id, paths in self.paths.items():
            if paths:
                yield dataset_id, self.readable[min(paths)]

    def agencies(self) -> list[str]:
        return sorted({p.split("/")[1] for p in self.tree
                       if (k := kind_of(p)) and k[0] == "agency"
                       and p.split("/")[2].startswith(AGENCY_FILE)})

    def apply(self, changes: Iterable[tuple[str, str | None, str | None]],
              standards: Callable[[], Callable[[str], str]]
              ) -> dict[str, tuple[str | None, str | None]]:
        """Apply a commit's changed paths; returns, per dataset touched, its blob before
        and after. ``standards()`` is called once the tree is updated (so with the
        commit's own standards) and gives ``identify(blob)``: the id a version declares,
        '' when it cannot be read (the path then keeps its last readable version)."""
        rows = list(changes)
        datasets = []
        for path, _, new in rows:
            if new is None:
                self.tree.pop(path, None)
            else:
                self.tree[path] = new
            if (k := kind_of(path)) is not None and k[0] == "dataset":
                datasets.append((path, new))
        if not datasets:
            standards()
            return {}
        identify = standards()
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
                self.paths[old_id].discard(path)
            self.readable.pop(path, None)
            if dataset_id is not None and new is not None:
                self.at[path] = dataset_id
                self.readable[path] = new
                self.paths.setdefault(dataset_id, set()).add(path)
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
        self.key, self.std = self.standards({})

    def standards(self, tree: dict[str, str]) -> tuple[str, Standards]:
        key = standards_key(tree)
        if key not in self._std:
            self._std[key] = standards_for(tree, self.blobs.many)
        return key, self._std[key]

    def follow(self, state: "State") -> Callable[[], Callable[[str], str]]:
        """For :meth:`State.apply`: the standards of the state's tree, as it is then."""
        def current() -> Callable[[str], str]:
            self.key, self.std = self.standards(state.tree)
            return self.identify(self.key, self.std)
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

    def identify(self, std_key: str, std: Standards) -> Callable[[str], str]:
        def identify(blob: str) -> str:
            if blob not in self.cache.ids:
                self._read(blob, std_key, std)
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
    staff = tuple((c.path, c.old, c.new) for c in diff(b[0] if b else None,
                                                       a[0] if a else None))
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
        share(t_a, FIELDS_CONFORMANT) - share(t_b, FIELDS_CONFORMANT))


def _ranks(std: Standards) -> dict[str, int]:
    return {k: v.rank for k, v in std.levels.items()}


def update(root: Path, build_dir: Path, head: str | None = None) -> History:
    """The history of the project at ``root`` up to ``head`` (default: HEAD), extending
    the cache in ``build_dir``."""
    repo = Repo.open(root)
    if isinstance(repo, Unavailable):
        return History(repo.reason)
    head = head or repo.head()
    if head is None:
        return History("no commits yet")
    path = build_dir / CACHE
    cache = Cache.load(path)
    engine = Engine(repo, cache)
    try:
        line = repo.first_parents(head)
        position = {sha: i for i, (sha, _) in enumerate(line)}
        kept = 0
        for i, c in enumerate(cache.commits):
            if c[0] not in position:
                break
            kept = i + 1
        if kept < len(cache.commits):  # rewritten: drop what is no longer on the line
            cache.events = [e for e in cache.events if e[0] < kept]
            del cache.commits[kept:], cache.changes[kept:]
        since = cache.commits[-1][0] if cache.commits else None
        state = State()
        for done in cache.changes:  # where the cache left off
            state.apply(done, engine.follow(state))
        if since != head:
            for commit, paths in repo.log(head, since):
                before_ranks = _ranks(engine.std)
                touched = state.apply([(c.path, c.old, c.new) for c in paths],
                                      engine.follow(state))
                index = len(cache.commits)
                cache.commits.append((commit.sha, commit.parents, commit.time, commit.author,
                                      commit.subject))
                cache.changes.append([(c.path, c.old, c.new) for c in paths])
                ranks = {"before": before_ranks, "after": _ranks(engine.std)}
                for dataset_id, (old, new) in sorted(touched.items()):
                    cache.events.append(_event(engine, index, dataset_id, old, new,
                                               engine.key, engine.std, ranks).pack())
        points = _points(repo, line)
        _score(engine, points, position)
        cache.scores = {p.commit: cache.scores[p.commit] for p in points}
        cache.save(path)
    finally:
        engine.blobs.close()
    return History("available", head, [Commit(*c) for c in cache.commits],
                   [Event.unpack(e) for e in cache.events], points,
                   {p.commit: cache.scores[p.commit] for p in points})


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


def _score(engine: Engine, points: list[Point], position: dict[str, int]) -> None:
    """Scores at every point not scored yet: one replay of the cached changes."""
    cache = engine.cache
    todo = sorted({p.commit for p in points if p.commit not in cache.scores},
                  key=position.__getitem__)
    if not todo:
        return
    dates = {p.commit: p.time for p in points}
    state = State()
    commits = iter(zip(cache.commits, cache.changes, strict=True))
    pending = next(commits, None)
    engine.key, engine.std = engine.standards({})
    for sha in todo:
        while pending is not None and position[pending[0][0]] <= position[sha]:
            state.apply(pending[1], engine.follow(state))
            pending = next(commits, None)
        day = dt.datetime.fromtimestamp(dates[sha], dt.timezone.utc).date()
        tallies = []
        for _, blob in state.datasets():
            facts = engine.facts(blob, engine.key, engine.std)
            if facts is not None:
                tallies.append((facts.agency, facts.tally, facts.reviewed_on))
        cache.scores[sha] = [(s.scope, s.metric, s.numerator, s.denominator)
                             for s in compute_tallies(state.agencies(), tallies, day)]
