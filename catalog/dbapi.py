"""The SQLite module behind every connection the catalog opens: the one Datasette picks
(``datasette/utils/sqlite.py``: pysqlite3 when installed, else the standard library's),
so that the build, the site's own code and Datasette read the same files with the same
SQLite and raise the same exception classes.

The catalog depends on ``pysqlite3-binary``: its SQLite (3.51) has FTS5 ``secure-delete``,
which lets a build patch ``public.db`` in place and leave no trace of deleted text
(docs/security.md). Its module has no ``Connection.setlimit`` (the standard library's
has), so :func:`setlimit` calls SQLite's own ``sqlite3_limit`` and checks it took.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
else:
    try:  # the order of datasette/utils/sqlite.py
        import pysqlite3 as sqlite3
    except ImportError:  # pragma: no cover - pysqlite3-binary is a dependency
        import sqlite3

__all__ = ["LIMITS", "setlimit", "sqlite3"]

# sqlite3.h's SQLITE_LIMIT_* numbers (stable across versions)
LIMITS = {name: i for i, name in enumerate((
    "LENGTH", "SQL_LENGTH", "COLUMN", "EXPR_DEPTH", "COMPOUND_SELECT", "VDBE_OP",
    "FUNCTION_ARG", "ATTACHED", "LIKE_PATTERN_LENGTH", "VARIABLE_NUMBER", "TRIGGER_DEPTH",
    "WORKER_THREADS"))}
# where a Connection object keeps its sqlite3 handle: right after PyObject_HEAD
_DB_OFFSET = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)


@lru_cache(maxsize=1)
def _sqlite3_limit() -> Any:
    import importlib

    library = ctypes.CDLL(importlib.import_module(sqlite3.__name__ + "._sqlite3").__file__)
    function = library.sqlite3_limit
    function.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_int)
    function.restype = ctypes.c_int
    return function


def setlimit(conn: sqlite3.Connection, limit: str, value: int) -> None:
    """``conn.setlimit(SQLITE_LIMIT_<limit>, value)``, on either module; raises when the
    limit does not read back as set (a bound that did not take is refused, not run)."""
    number = LIMITS[limit]
    if hasattr(conn, "setlimit"):
        conn.setlimit(number, value)
        now = conn.getlimit(number)
    else:
        handle = ctypes.c_void_p.from_address(id(conn) + _DB_OFFSET).value
        if not handle:
            raise sqlite3.ProgrammingError("the connection is closed")
        function = _sqlite3_limit()
        function(handle, number, value)
        now = function(handle, number, -1)
    if now > value:
        raise RuntimeError(f"SQLITE_LIMIT_{limit} did not take: {now} > {value}")

