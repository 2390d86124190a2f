"""Datasette's questions about a table are answered once per process for the catalog's
immutable databases (catalog.site.tableinfo), with Datasette's own answers."""

from __future__ import annotations

import asyncio
from typing import Any

from datasette.utils import (
    detect_fts,
    detect_primary_keys,
    get_outbound_foreign_keys,
    table_column_details,
    table_columns,
)

from catalog.site.access import PUBLIC_DB
from catalog.site.tableinfo import ASKED


def _get(ds: Any, path: str) -> Any:
    async def go() -> Any:
        return await ds.client.get(path)
    return asyncio.run(go())


def test_each_question_is_asked_once_and_answered_as_datasette_would(ds: Any) -> None:
    assert _get(ds, "/").status_code == 200  # startup has run
    db = ds.databases[PUBLIC_DB]
    assert not db.is_mutable
    for name in ASKED:
        assert hasattr(getattr(db, name), "answers"), name
    page = "/public/datasets.json?_facet=agency_id&_facet=access_level"
    assert _get(ds, page).status_code == 200
    asked = {name: dict(getattr(db, name).answers) for name in ASKED}
    assert "datasets" in asked["table_columns"]
    assert _get(ds, page + "&_x=1").status_code == 200
    assert {name: dict(getattr(db, name).answers) for name in ASKED} == asked  # no new

    own = {"table_columns": table_columns, "table_column_details": table_column_details,
           "primary_keys": detect_primary_keys, "fts_table": detect_fts,
           "foreign_keys_for_table": get_outbound_foreign_keys}
    asyncio.run(db.table_column_details("fields"))
    conn = db.connect()
    try:
        compared = 0
        for name, ask in own.items():
            for table, answer in getattr(db, name).answers.items():
                assert answer == ask(conn, table), (name, table)
                compared += 1
        assert compared >= 4
    finally:
        conn.close()


def test_an_answer_is_a_copy_a_caller_may_change(ds: Any) -> None:
    db = ds.databases[PUBLIC_DB]
    first = asyncio.run(db.table_columns("agencies"))
    first.append("not a column")
    assert "not a column" not in asyncio.run(db.table_columns("agencies"))
