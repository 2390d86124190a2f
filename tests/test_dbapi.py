"""One SQLite module for the catalog and Datasette (catalog/dbapi.py)."""

from __future__ import annotations

import pytest

from catalog.dbapi import setlimit, sqlite3


def test_the_catalog_uses_the_sqlite_module_datasette_uses() -> None:
    from datasette.utils.sqlite import sqlite3 as datasette_sqlite3

    assert sqlite3 is datasette_sqlite3
    assert sqlite3.sqlite_version_info >= (3, 42, 0)  # FTS5 secure-delete
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    conn.execute("INSERT INTO t(t, rank) VALUES ('secure-delete', 1)")


def test_a_limit_set_on_a_connection_holds() -> None:
    conn = sqlite3.connect(":memory:")
    setlimit(conn, "LENGTH", 1000)
    assert conn.execute("SELECT length(zeroblob(1000))").fetchone() == (1000,)
    with pytest.raises(sqlite3.Error, match="too big"):
        conn.execute("SELECT zeroblob(1001)").fetchone()
    conn.close()
    with pytest.raises(sqlite3.ProgrammingError):
        setlimit(conn, "LENGTH", 10)
