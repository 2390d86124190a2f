"""History into the databases: every change and scorecard point into inventory.db, the
public subset (:mod:`catalog.history.public`) into public.db, and ``modified`` dates
from history where descriptors do not state them.

Called by the build once the dataset rows are in both databases (public.db's rows say
what the public sees now). The history tables are rewritten whole; in public.db with
``secure_delete`` on, so the rows of a change no longer public leave no bytes behind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol

from catalog.dbapi import sqlite3

from ..governance.scorecard import Score
from .changes import summary, to_json
from .engine import History
from .git import Commit
from .public import Shown, public_events

TABLES = ("dataset_changes", "scorecard_history", "commits")  # deleted in this order
PUBLIC_ADDED = "Added to the public catalog"


class Sink(Protocol):
    conn: sqlite3.Connection

    def add(self, rows: dict[str, list[dict[str, Any]]]) -> None: ...
    def flush(self) -> None: ...


def iso(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(timespec="seconds")


def _commit_row(c: Commit, when: str, staff: bool) -> dict[str, Any]:
    return dict(sha=c.sha, committed_at=when, author=c.author if staff else None,
                subject=c.subject if staff else None)


def staff_rows(h: History, start: int = 0, present: Collection[str] = (),
               scored: Collection[tuple[str, str]] = ()) -> dict[str, list[dict[str, Any]]]:
    """The rows of inventory.db's history tables: changes from the ``start``-th on
    (numbered from ``start + 1``), commits not ``present`` yet, the scorecard points
    not ``scored`` yet ((point, commit) pairs)."""
    times = [iso(c.time) for c in h.commits]
    used: dict[str, dict[str, Any]] = {}
    changes = []
    for number, e in enumerate(h.events[start:], start + 1):
        c, when = h.commits[e.commit], times[e.commit]
        if c.sha not in present:
            used[c.sha] = _commit_row(c, when, True)
        changes.append(dict(
            id=number, dataset_id=e.dataset, agency_id=e.agency, commit_sha=c.sha,
            committed_at=when, kind=e.kind, summary=e.summary, changes_json=e.staff_json,
            risks_json=json.dumps([{"code": k, "message": m} for k, m in e.risks])
            if e.risks else None,
            opened=e.opened, documented=e.documented, conformed=e.conformed))
    index = {c.sha: i for i, c in enumerate(h.commits)}
    points = []
    for p in h.points:
        if (p.label, p.commit) in scored:
            continue
        when = iso(p.time)
        if p.commit not in used and p.commit not in present:
            known = index.get(p.commit)
            used[p.commit] = _commit_row(h.commits[known], when, True) if known is not None \
                else dict(sha=p.commit, committed_at=when, author=None, subject=None)
        for scope, metric, numerator, denominator in h.scores[p.commit]:
            points.append(dict(
                point=p.label, scope=scope, metric=metric, kind=p.kind, commit_sha=p.commit,
                date=when[:10], numerator=numerator, denominator=denominator,
                value=Score(scope, metric, numerator, denominator).value))
    return {"commits": sorted(used.values(), key=lambda r: (r["committed_at"], r["sha"])),
            "dataset_changes": changes, "scorecard_history": points}


def public_rows(h: History, shown: Shown) -> dict[str, list[dict[str, Any]]]:
    """The rows of history the public may read; ids numbered afresh (dense)."""
    times = [iso(c.time) for c in h.commits]
    used: dict[str, dict[str, Any]] = {}
    changes = []
    for number, (e, kind, seen) in enumerate(public_events(h.events, shown), 1):
        c, when = h.commits[e.commit], times[e.commit]
        used[c.sha] = _commit_row(c, when, False)
        whole = len(seen) == len(e.public_changes)  # usually: nothing withheld since
        changes.append(dict(
            id=number, dataset_id=e.dataset, agency_id=e.agency, commit_sha=c.sha,
            committed_at=when, kind=kind,
            summary=PUBLIC_ADDED if kind == "added" else e.public_summary if whole
            else summary(kind, seen),
            changes_json=e.public_json if whole else to_json(seen), risks_json=None,
            opened=None, documented=None, conformed=None))
    return {"commits": sorted(used.values(), key=lambda r: (r["committed_at"], r["sha"])),
            "dataset_changes": changes}


def _modified(conn: sqlite3.Connection, last: Mapping[str, str],
              only: Collection[str] | None = None) -> None:
    """``modified`` from history where the descriptor states none; only rows whose date
    differs are written. ``only``: the datasets whose date may have changed (those with
    new changes; rows the build wrote afresh are found here); None: every dataset."""
    if only is not None:
        fresh = {r[0] for r in conn.execute(
            "SELECT id FROM datasets WHERE modified_source IS NULL")}
        last = {k: v for k, v in last.items() if k in fresh or k in only}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS history_days "
                 "(id TEXT PRIMARY KEY, day TEXT)")
    conn.execute("DELETE FROM history_days")
    conn.executemany("INSERT INTO history_days VALUES (?, ?)", last.items())
    if only is None:
        conn.execute("UPDATE datasets SET modified = NULL, modified_source = NULL "
                     "WHERE modified_source = 'history' "
                     "AND id NOT IN (SELECT id FROM history_days)")
    conn.execute("UPDATE datasets SET modified = t.day, modified_source = 'history' "
                 "FROM history_days t WHERE datasets.id = t.id "
                 "AND datasets.modified_source IS NOT 'descriptor' "
                 "AND (datasets.modified IS NOT t.day OR datasets.modified_source IS NULL)")
    conn.execute("DROP TABLE history_days")


def _written(conn: sqlite3.Connection, h: History) -> int | None:
    """How many of ``h``'s changes the database holds already (None: they are not the
    first of ``h``'s as the cache kept them, as after a rewritten history or a new cache:
    rewrite them all). The last row written says it: its number, dataset and commit."""
    row = conn.execute("SELECT id, dataset_id, commit_sha FROM dataset_changes "
                       "ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or row[0] > h.reused:  # rows this run may have computed differently
        return None
    count, dataset_id, sha = row
    e = h.events[count - 1]
    return count if (e.dataset, h.commits[e.commit].sha) == (dataset_id, sha) else None


def write(h: History, staff: Sink, public: Sink) -> dict[str, str]:
    """Replace the history tables of both databases (inventory.db's changes only from
    the first it does not hold yet); returns the meta entries."""
    for sink in (staff, public):
        sink.flush()
    start = _written(staff.conn, h) if h.available else None
    public.conn.execute("PRAGMA secure_delete = ON")
    for table in TABLES:
        public.conn.execute(f"DELETE FROM [{table}]")
        if start is None:
            staff.conn.execute(f"DELETE FROM [{table}]")
    present: set[str] = set()
    scored: set[tuple[str, str]] = set()
    if start is not None:  # keep what is still right; the points that moved are redone
        present = {r[0] for r in staff.conn.execute("SELECT sha FROM commits")}
        points = {(p.label, p.commit) for p in h.points}
        for label, sha in staff.conn.execute(
                "SELECT DISTINCT point, commit_sha FROM scorecard_history").fetchall():
            if (label, sha) in points:
                scored.add((label, sha))
            else:
                staff.conn.execute("DELETE FROM scorecard_history WHERE point = ?", (label,))
    rows = staff_rows(h, start or 0, present, scored) if h.available else {}
    released = public_rows(h, Shown.read(public.conn, h.events)) if h.available else {}
    staff.add(rows)
    public.add(released)
    staff.flush()
    public.flush()
    times = [iso(c.time) for c in h.commits]
    # the history held before is the same up to ``start``: only datasets changed since
    # (or written afresh by this build) can have another date
    only = {e.dataset for e in h.events[start:]} if start is not None else None
    _modified(staff.conn, _days((e.dataset, e.kind, times[e.commit])
                                for e in h.events) if h.available else {}, only)
    _modified(public.conn, _days((r["dataset_id"], r["kind"], r["committed_at"])
                                 for r in released.get("dataset_changes", [])), only)
    meta = {"history_status": h.status}
    if h.available and h.head:
        meta["history_head"] = h.head
    return meta


def _days(changes: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """The day of each current dataset's last change (changes in order, each with its
    ISO date-time); removed datasets have none."""
    last: dict[str, str] = {}
    for dataset_id, kind, when in changes:
        if kind == "removed":
            last.pop(dataset_id, None)
        else:
            last[dataset_id] = when
    return {d: w[:10] for d, w in last.items()}
