"""Bounds on every SQL statement the site runs for a reader (docs/security.md).

Datasette gives anyone who may run SQL a time limit checked between virtual-machine
steps; one step (a function call) can run far longer, and allocate without limit. Each
connection to the catalog's databases therefore gets, in Datasette's
``prepare_connection`` hook:

* length limits (``sqlite3_limit``, :func:`catalog.dbapi.setlimit`): no string or blob
  :data:`MAX_LENGTH`, short SQL, shallow expressions, short LIKE/GLOB patterns, few
  columns, arguments and variables — so every single step is short;
* linear-time ``instr()`` and ``replace()`` (SQLite's own compare at every offset: 8 s
  for one call on two 1 MB strings), and ``printf()`` / ``format()`` refusing widths
  and precisions over the length limit;
* an authorizer: functions that touch process memory or files
  (:data:`DENIED_FUNCTIONS`) are refused, writes and ATTACH are refused, and pragmas
  other than the schema-reading ones (:data:`PRAGMAS`) do nothing (``database_list``
  would show file paths);
* a cap on the bytes of rows one statement may return (:data:`MAX_RESULT_BYTES`);
* a ceiling on SQLite's heap for the whole process (:data:`HEAP_LIMIT`).
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import Any

from ..dbapi import setlimit, sqlite3
from ..load import MAX_BYTES

# no stored value is longer than the descriptor it comes from (catalog.load.MAX_BYTES)
MAX_LENGTH = MAX_BYTES
MAX_RESULT_BYTES = 32 * 1024 * 1024  # rows one statement may hand back
HEAP_LIMIT = 512 * 1024 * 1024  # SQLite's allocations, every connection of the process

LIMITS = {
    "LENGTH": MAX_LENGTH,
    "SQL_LENGTH": 100_000,
    "COLUMN": 200,
    "EXPR_DEPTH": 100,
    "COMPOUND_SELECT": 20,
    "VDBE_OP": 50_000,
    "FUNCTION_ARG": 32,
    "ATTACHED": 0,
    # Datasette's own full-text detection uses patterns of ~60 characters; a pattern
    # costs up to its length times the text's in one step (0.7 s at 100 and 2 MiB)
    "LIKE_PATTERN_LENGTH": 100,
    "VARIABLE_NUMBER": 100,
    "TRIGGER_DEPTH": 1,
}

# fts3_tokenizer reads (and with two arguments writes) a pointer in the process;
# load_extension runs a shared library; the others read or write files when present
DENIED_FUNCTIONS = frozenset({
    "fts3_tokenizer", "load_extension", "readfile", "writefile", "edit", "fts5_fox",
    "sqlite_dbpage", "sqlite_dbdata", "sqlite_dbptr",
})
# pragmas a statement may run (Datasette reads the schema with them); any other pragma
# does nothing and returns no rows
PRAGMAS = frozenset({
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "table_list", "schema_version",
})
WRITES = frozenset({
    sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_REINDEX, sqlite3.SQLITE_ANALYZE, sqlite3.SQLITE_CREATE_INDEX,
    sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_TRIGGER,
    sqlite3.SQLITE_CREATE_VIEW, sqlite3.SQLITE_CREATE_VTABLE, sqlite3.SQLITE_DROP_INDEX,
    sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_DROP_TRIGGER, sqlite3.SQLITE_DROP_VIEW,
    sqlite3.SQLITE_DROP_VTABLE, sqlite3.SQLITE_CREATE_TEMP_INDEX,
    sqlite3.SQLITE_CREATE_TEMP_TABLE, sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
    sqlite3.SQLITE_CREATE_TEMP_VIEW, sqlite3.SQLITE_DROP_TEMP_INDEX,
    sqlite3.SQLITE_DROP_TEMP_TABLE, sqlite3.SQLITE_DROP_TEMP_TRIGGER,
    sqlite3.SQLITE_DROP_TEMP_VIEW,
})
# a virtual table's constructor declares its schema: SQLite asks to "update" these
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master"})


def authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None,
               trigger: str | None) -> int:
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS \
            else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        return sqlite3.SQLITE_OK if (arg1 or "").lower() in PRAGMAS else sqlite3.SQLITE_IGNORE
    if action in WRITES and arg1 not in SCHEMA_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class ResultTooLarge(sqlite3.OperationalError):
    """Raised while rows are fetched, once a statement's rows exceed the cap."""


# what a function returns instead of a result over the length limit: SQLite then fails
# the statement with its own "string or blob too big"
TOO_BIG = bytes(MAX_LENGTH + 1)

_spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()


def _size(value: Any) -> int:
    if isinstance(value, (str, bytes)):
        return len(value) + 8
    return 8


def budget_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> sqlite3.Row:
    """Datasette's row factory (``sqlite3.Row``), counting the bytes of each statement's
    rows (a cursor runs one statement at a time in Datasette)."""
    spent = _spent.get(cursor, 0) + sum(map(_size, row))
    if spent > MAX_RESULT_BYTES:
        _spent.pop(cursor, None)
        raise ResultTooLarge(
            f"the query's results are larger than {MAX_RESULT_BYTES // (1024 * 1024)} MB: "
            "select fewer columns or rows")
    _spent[cursor] = spent
    return sqlite3.Row(cursor, row)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        return str(_floats().execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0])
    return str(value)


_local = threading.local()


def _floats() -> sqlite3.Connection:
    """A private connection per thread, for SQLite's own text of a REAL and its own
    printf() (with the same length limit)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(":memory:", check_same_thread=False)
        setlimit(conn, "LENGTH", MAX_LENGTH)
    return conn


def instr(haystack: Any, needle: Any) -> int | None:
    """SQLite's instr() (1-based, 0 when absent, bytes for two blobs), in linear time."""
    if haystack is None or needle is None:
        return None
    if isinstance(haystack, bytes) and isinstance(needle, bytes):
        return haystack.find(needle) + 1
    return _text(haystack).find(_text(needle)) + 1


def replace(text: Any, old: Any, new: Any) -> str | bytes | None:
    """SQLite's replace(), in linear time and refusing results over :data:`MAX_LENGTH`
    before building them."""
    if text is None or old is None or new is None:
        return None
    if isinstance(text, bytes) and isinstance(old, bytes) and isinstance(new, bytes):
        if not old:
            return text
        count, size = text.count(old), len(text) + text.count(old) * (len(new) - len(old))
        if size > MAX_LENGTH:
            return TOO_BIG
        return text.replace(old, new) if count else text
    s, o, n = _text(text), _text(old), _text(new)
    if not o:
        return s
    count = s.count(o)
    if count and len(s.encode()) + count * (len(n.encode()) - len(o.encode())) > MAX_LENGTH:
        return TOO_BIG
    return s.replace(o, n) if count else s


# one conversion of SQLite's printf(): flags, width, precision (numbers or "*")
CONVERSION = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d+))?(.)")


def printf(fmt: Any, *args: Any) -> Any:
    """SQLite's printf() and format(), with no width or precision over
    :data:`MAX_LENGTH` (SQLite's ``%.*c`` loops that many times whatever the length
    limit: 11 s for a precision of 900 million), then run by SQLite itself."""
    if isinstance(fmt, str):
        given = iter(args)
        for width, precision, kind in CONVERSION.findall(fmt):
            for part in (width, precision):
                value = next(given, 0) if part == "*" else int(part or 0)
                if isinstance(value, (int, float)) and abs(value) > MAX_LENGTH:
                    return TOO_BIG
            if kind != "%":
                next(given, None)
    marks = ", ".join("?" for _ in range(len(args) + 1))
    return _floats().execute(f"SELECT printf({marks})", (fmt, *args)).fetchone()[0]


_heap_set = False


def guard(conn: sqlite3.Connection) -> None:
    """Bound one connection (Datasette's ``prepare_connection``)."""
    global _heap_set
    if not _heap_set:  # process-wide: once is enough
        conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT}").fetchall()
        _heap_set = True
    for limit, value in LIMITS.items():
        setlimit(conn, limit, value)
    conn.create_function("instr", 2, instr, deterministic=True)
    conn.create_function("replace", 3, replace, deterministic=True)
    for name in ("printf", "format"):
        conn.create_function(name, -1, printf, deterministic=True)
    conn.set_authorizer(authorizer)
    conn.row_factory = budget_row
