"""Datasette's questions about a table (its columns, keys, full-text index, label
column), answered once per process for each immutable database.

Datasette asks them again on every table request, each a trip to a worker thread and a
``PRAGMA``: a facet listing of ``datasets`` asked about 40 times and spent more of its
time there than in its queries. The catalog's databases are served immutable (a new
build is a new file and a new process: docs/robustness.md), so the answers cannot change
while a process runs.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Callable

# Database methods taking a table name whose answer depends only on the file's schema
# (and, for label_column_for_table, the metadata, read once at startup)
ASKED = ("table_columns", "table_column_details", "primary_keys", "fts_table",
         "label_column_for_table", "foreign_keys_for_table")


def _memoised(ask: Callable[[str], Any]) -> Callable[[str], Any]:
    answers: dict[str, Any] = {}

    @functools.wraps(ask)
    async def answer(table: str) -> Any:
        if table not in answers:
            answers[table] = await ask(table)
        return copy.copy(answers[table])  # a caller may change the list it gets
    answer.answers = answers  # type: ignore[attr-defined]
    return answer


def remember(datasette: Any) -> None:
    """Answer :data:`ASKED` once per table for every immutable database served."""
    for db in datasette.databases.values():
        if db.is_mutable or db.is_memory:
            continue
        for name in ASKED:
            if not hasattr(getattr(db, name), "answers"):
                setattr(db, name, _memoised(getattr(db, name)))
