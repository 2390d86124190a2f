"""The public subset of history: decided here, once, for every history route and feed.

A dataset's change reaches ``public.db`` only if the public could see it happen and can
still see what it was about:

* the dataset is in ``public.db`` now (hidden and removed datasets have no public
  history at all);
* the public catalog showed the dataset after the change; a change that made it
  visible reads "Added to the public catalog", the same words whether the dataset was
  new or hidden before, and says nothing of what it was before;
* each property changed was shown by the public catalog before and after the change
  (both sides are :func:`catalog.compile.rows.public_rows` projections, made when the
  event was computed), and is shown now: a field is in ``public.db``'s fields now, a
  summary column of a listed dataset is one of its listed columns.

Commits are named by id and date only: their authors and messages stay in inventory.db
(a message may well name what it hid). Scorecards over time are staff only, as the
scorecards are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from catalog.dbapi import sqlite3

from ..compile.rows import LISTED_COLUMNS
from .changes import Change
from .engine import Event

ITEM_GROUPS = {"fields": ("fields", "name"), "distributions": ("distributions",
                                                               "distribution_id")}


@dataclass
class Shown:
    """What public.db holds now, as far as the candidate events ask."""

    visibility: dict[str, str]
    items: set[tuple[str, str, str]]  # (group, dataset id, field name / distribution id)

    @classmethod
    def read(cls, conn: sqlite3.Connection, events: list[Event]) -> "Shown":
        visibility = dict(conn.execute("SELECT id, visibility FROM datasets"))
        wanted = {(path.split("/")[0], e.dataset, path.split("/")[1])
                  for e in events if e.dataset in visibility
                  for path, _, _ in e.public_changes if path.split("/")[0] in ITEM_GROUPS}
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS history_asked "
                     "(grp TEXT, dataset_id TEXT, name TEXT, PRIMARY KEY (grp, dataset_id, "
                     "name)) WITHOUT ROWID")
        conn.execute("DELETE FROM history_asked")
        conn.executemany("INSERT INTO history_asked VALUES (?, ?, ?)", wanted)
        items: set[tuple[str, str, str]] = set()
        for group, (table, column) in ITEM_GROUPS.items():
            # driven by the few items asked about, through the dataset_id index
            items.update((group, d, n) for d, n in conn.execute(
                f"SELECT t.dataset_id, t.[{column}] FROM history_asked a "
                f"CROSS JOIN [{table}] t ON t.dataset_id = a.dataset_id "
                f"AND +t.[{column}] = a.name WHERE a.grp = ?", (group,)))
        conn.execute("DROP TABLE history_asked")
        return cls(visibility, items)

    def shows(self, dataset_id: str, path: str) -> bool:
        """Does the public catalog show this property of this dataset now?"""
        parts = path.split("/")
        if parts[0] in ITEM_GROUPS:
            return (parts[0], dataset_id, parts[1]) in self.items
        if parts[0] == "access_plan":
            return True  # shown for every dataset the public may know
        return self.visibility[dataset_id] == "public" or path in LISTED_COLUMNS


def public_events(events: Iterable[Event], shown: Shown
                  ) -> Iterator[tuple[Event, str, list[Change]]]:
    """(event, kind, changes) of each event the public may see, with only the changes
    it may see."""
    for e in events:
        if e.public_kind is None or e.dataset not in shown.visibility:
            continue
        if e.public_kind == "added":
            yield e, "added", []
            continue
        changes = [c for c in e.public() if shown.shows(e.dataset, c.path)]
        if changes:
            yield e, "changed", changes
