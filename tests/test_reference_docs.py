"""The generated references (docs/descriptor.md from the models, docs/database.md from the
tables) are current, and docs/database.md describes the databases a build writes."""

import re
import sqlite3
from pathlib import Path

import pytest

from catalog.docgen import REFERENCES, splice

from .conftest import REPO


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_generated_reference_is_current(name: str) -> None:
    text = (REPO / "docs" / name).read_text(encoding="utf-8")
    assert text == splice(text, REFERENCES[name]()), "run: python -m catalog.docgen"


def _documented() -> tuple[dict[str, dict], dict[str, str]]:
    """docs/database.md read back: table -> its columns, staff-only marks, indexes; and
    view -> its SELECT."""
    text = (REPO / "docs" / "database.md").read_text(encoding="utf-8")
    tables: dict[str, dict] = {}
    views: dict[str, str] = {}
    for block in text.split("\n### ")[1:]:
        name = block.split("`")[1]
        if block.split("\n", 1)[0].endswith("(view)"):
            views[name] = re.search(r"```sql\n(.*?)\n```", block, re.S)[1]
            continue
        cols = {}
        for m in re.finditer(r"^\| `(\w+)` \| (\w+) \| (yes)? \| ([^|]*)\| (NULL)? \|",
                             block, re.M):
            cols[m[1]] = {"type": m[2], "nullable": bool(m[3]),
                          "pk": "primary key" in m[4], "null_in_public": bool(m[5])}
        indexes = re.findall(r"`(ix_\w+)` \(([^)]*)\)", block)
        fts = re.search(r"`(\w+_fts)` \(FTS5\) over ([\w, ]*?)"
                        r"(?:, read through the view `(\w+)`)?\.", block)
        tables[name] = {"columns": cols, "empty": "public.db holds this table empty" in block,
                        "indexes": indexes, "fts": fts and (fts[1], fts[2], fts[3] or name)}
    return tables, views


def test_database_reference_matches_a_built_database(sample_build: Path) -> None:
    """Each table, column, type, NOT NULL, primary key and index the page names is the
    one in inventory.db; staff-only tables are empty in public.db and staff-only
    columns hold nothing but NULL there; the full-text tables index the columns named,
    read from the table or view named; each view is the SELECT shown, in both files."""
    documented, views = _documented()
    inv = sqlite3.connect(sample_build / "inventory.db")
    pub = sqlite3.connect(sample_build / "public.db")
    public_tables = {r[0] for r in pub.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")}
    real = {r[0] for r in inv.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE '%fts%'")}
    assert set(documented) == real
    nulled = empty = 0
    for name, doc in documented.items():
        info = {r[1]: r for r in inv.execute(f"PRAGMA table_info([{name}])")}
        assert list(doc["columns"]) == list(info), name
        for col, d in doc["columns"].items():
            _, _, type_, notnull, _, pk = info[col]
            assert (d["type"], d["nullable"], d["pk"]) == (type_, not notnull and not pk,
                                                           bool(pk)), (name, col)
        indexes = {r[1]: [c[2] for c in inv.execute(f"PRAGMA index_info([{r[1]}])")]
                   for r in inv.execute(f"PRAGMA index_list([{name}])") if r[3] == "c"}
        assert {i: c.split(", ") for i, c in doc["indexes"]} == indexes, name
        rows = pub.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]
        assert name in public_tables and (rows == 0 or not doc["empty"]), name
        if doc["empty"]:
            empty += inv.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0] > 0
        if doc["fts"]:
            fts, cols, content = doc["fts"]
            assert [r[1] for r in inv.execute(f"PRAGMA table_info([{fts}])")] == \
                cols.split(", ")
            for db in (inv, pub):
                sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                 (fts,)).fetchone()[0]
                assert f"content=[{content}]" in sql, (fts, sql)
        for col, d in doc["columns"].items():
            if d["null_in_public"]:
                nulled += 1
                assert pub.execute(f"SELECT count(*) FROM [{name}] "
                                   f"WHERE [{col}] IS NOT NULL").fetchone()[0] == 0
    assert nulled and empty  # the sample holds staff-only rows: the checks bit
    for db in (inv, pub):
        real_views = dict(db.execute("SELECT name, sql FROM sqlite_master "
                                     "WHERE type = 'view'").fetchall())
        assert {n: f"CREATE VIEW [{n}] AS {v}" for n, v in views.items()} == real_views
