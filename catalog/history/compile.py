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
import sqlite3
from collections.abc import Iterable
from typing import Any, Protocol

from ..governance.scorecard import Score
from .changes import Change, summary
from .engine import History
from .public import Shown, public_events

TABLES = ("dataset_changes", "scorecard_history", "commits")  # deleted in this order
PUBLIC_ADDED = "Added to the public catalog"


class Sink(Protocol):
    conn: sqlite3.Connection

    def add(self, rows: dict[str, list[dict[str, Any]]]) -> None: ...
    def flush(self) -> None: ...


def iso(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(timespec="seconds")


def _changes_json(changes: Iterable[Change]) -> str | None:
    listed = [c.to_dict() for c in changes]
    return json.dumps(listed, ensure_ascii=False, default=str) if listed else None


def staff_rows(h: History) -> dict[str, list[dict[str, Any]]]:
    commits = {c.sha: c for c in h.commits}
    used: dict[str, dict[str, Any]] = {}
    changes = []
    for number, e in enumerate(h.events, 1):
        c = h.commits[e.commit]
        used[c.sha] = dict(sha=c.sha, committed_at=iso(c.time), author=c.author,
                           subject=c.subject)
        changes.append(dict(
            id=number, dataset_id=e.dataset, agency_id=e.agency, commit_sha=c.sha,
            committed_at=iso(c.time), kind=e.kind, summary=e.summary,
            changes_json=_changes_json(e.staff()),
            risks_json=json.dumps([{"code": k, "message": m} for k, m in e.risks])
            if e.risks else None,
            opened=e.opened, documented=e.documented, conformed=e.conformed))
    points = []
    for p in h.points:
        if p.commit not in used:
            known = commits.get(p.commit)
            used[p.commit] = dict(sha=p.commit, committed_at=iso(p.time),
                                  author=known.author if known else None,
                                  subject=known.subject if known else None)
        for scope, metric, numerator, denominator in h.scores[p.commit]:
            points.append(dict(
                point=p.label, scope=scope, metric=metric, kind=p.kind, commit_sha=p.commit,
                date=iso(p.time)[:10], numerator=numerator, denominator=denominator,
                value=Score(scope, metric, numerator, denominator).value))
    return {"commits": sorted(used.values(), key=lambda r: (r["committed_at"], r["sha"])),
            "dataset_changes": changes, "scorecard_history": points}


def public_rows(h: History, shown: Shown) -> dict[str, list[dict[str, Any]]]:
    """The rows of history the public may read; ids numbered afresh (dense)."""
    used: dict[str, dict[str, Any]] = {}
    changes = []
    for number, (e, kind, seen) in enumerate(public_events(h.events, shown), 1):
        c = h.commits[e.commit]
        used[c.sha] = dict(sha=c.sha, committed_at=iso(c.time), author=None, subject=None)
        changes.append(dict(
            id=number, dataset_id=e.dataset, agency_id=e.agency, commit_sha=c.sha,
            committed_at=iso(c.time), kind=kind,
            summary=PUBLIC_ADDED if kind == "added" else summary(kind, seen),
            changes_json=_changes_json(seen), risks_json=None, opened=None,
            documented=None, conformed=None))
    return {"commits": sorted(used.values(), key=lambda r: (r["committed_at"], r["sha"])),
            "dataset_changes": changes}


def _last(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The date of each current dataset's last change."""
    last: dict[str, str] = {}
    for r in rows:
        if r["kind"] != "removed":
            last[r["dataset_id"]] = max(last.get(r["dataset_id"], ""), r["committed_at"][:10])
        else:
            last.pop(r["dataset_id"], None)
    return last


def _modified(conn: sqlite3.Connection, last: dict[str, str]) -> None:
    conn.execute("UPDATE datasets SET modified = NULL, modified_source = NULL "
                 "WHERE modified_source = 'history'")
    conn.executemany("UPDATE datasets SET modified = ?, modified_source = 'history' "
                     "WHERE id = ? AND modified_source IS NULL",
                     ((day, dataset_id) for dataset_id, day in last.items()))


def write(h: History, staff: Sink, public: Sink) -> dict[str, str]:
    """Replace the history tables of both databases; returns the meta entries."""
    for sink, secure in ((staff, False), (public, True)):
        sink.flush()
        if secure:
            sink.conn.execute("PRAGMA secure_delete = ON")
        for table in TABLES:
            sink.conn.execute(f"DELETE FROM [{table}]")
    rows = staff_rows(h) if h.available else {}
    shown = Shown.read(public.conn, h.events) if h.available else None
    released = public_rows(h, shown) if shown is not None else {}
    staff.add(rows)
    public.add(released)
    staff.flush()
    public.flush()
    _modified(staff.conn, _last(rows.get("dataset_changes", [])))
    _modified(public.conn, _last(released.get("dataset_changes", [])))
    meta = {"history_status": h.status}
    if h.available and h.head:
        meta["history_head"] = h.head
    return meta
