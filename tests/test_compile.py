"""Compile: both databases, the public subset by construction, atomic replacement."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.build import build, validate
from catalog.compile import INVENTORY_FILE, PUBLIC_FILE, built_hash
from catalog.dbapi import sqlite3
from catalog.project import Project

from .conftest import DATASET, MakeProject

HIDDEN = DATASET.replace("id: tst-town-counts", "id: tst-secret-cases").replace(
    "title: Town counts", "title: Zebra secret casework").replace(
    "level: public\n  api", "level: non-public\n  rights: Conn. Gen. Stat. 17a-28.\n  api").replace(
    "  level: public\n  assessed_on", "  level: confidential\n  assessed_on").replace(
    "    - name: things\n",
    "    - name: child_name\n      pii: true\n    - name: things\n").replace(
    "distributions:\n  - id: csv\n    title: CSV download\n"
    "    url: https://data.ct.gov/api/views/abcd-1234/rows.csv\n    media_type: text/csv\n",
    "distributions: []\n") + """\
personal_data:
  purpose: Child protection casework required by statute.
  access_procedure: Write to the records office.
  contact:
    name: Records Office
    email: records@ct.gov
"""
LISTED = HIDDEN.replace("id: tst-secret-cases", "id: tst-listed-cases").replace(
    "title: Zebra secret casework", "title: Listed casework").replace(
    "  rights:", "  visibility: listed\n  rights:").replace(
    "description: Counts of things by Connecticut town.",
    "description: Casework records.")
INTERNAL_FIELD = DATASET.replace("id: tst-town-counts", "id: tst-with-internal").replace(
    "    - name: things\n", "    - name: quokka_internal_code\n      internal: true\n"
    "    - name: things\n")


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def built(make_project: MakeProject) -> Path:
    root = make_project({
        "inventory/tst/tst-secret-cases.yml": HIDDEN,
        "inventory/tst/tst-listed-cases.yml": LISTED,
        "inventory/tst/tst-with-internal.yml": INTERNAL_FIELD,
    })
    inv = validate(Project(root))
    assert inv.report.errors == [], [p.as_line() for p in inv.report.errors]
    assert build(Project(root), allow_warnings=True).result
    return root / "build"


def test_inventory_db_has_everything(built: Path) -> None:
    ids = {r[0] for r in rows(built / INVENTORY_FILE, "select id from datasets")}
    assert ids == {"tst-town-counts", "tst-secret-cases", "tst-listed-cases",
                   "tst-with-internal"}
    assert rows(built / INVENTORY_FILE,
                "select pii from fields where name = 'child_name' limit 1") == [(1,)]


def test_public_db_holds_only_public_rows(built: Path) -> None:
    db = built / PUBLIC_FILE
    ids = {r[0] for r in rows(db, "select id from datasets")}
    assert ids == {"tst-town-counts", "tst-listed-cases", "tst-with-internal"}
    # a listed dataset shows its existence, never its details
    listed = rows(db, "select field_count, field_text, steward_email, personal_data_purpose "
                      "from datasets join dataset_text using (id) where id = 'tst-listed-cases'")
    assert listed == [(0, None, None, None)]
    assert rows(db, "select count(*) from fields where dataset_id = 'tst-listed-cases'") == [(0,)]
    # internal fields and staff-only columns are withheld
    assert rows(db, "select count(*) from fields where name = 'quokka_internal_code'") == [(0,)]
    assert rows(db, "select count(*) from fields where pii is not null") == [(0,)]
    for table in ("problems", "agreement_reviews", "agreement_approvals"):
        assert rows(db, f"select count(*) from [{table}]") == [(0,)]


def test_no_trace_of_hidden_records_anywhere_in_public_db(built: Path) -> None:
    raw = (built / PUBLIC_FILE).read_bytes()
    for secret in (b"tst-secret-cases", b"Zebra secret", b"child_name", b"quokka_internal"):
        assert secret not in raw, secret


def test_fts_finds_datasets_by_field_names(built: Path) -> None:
    hits = rows(built / PUBLIC_FILE, "select d.id from datasets_fts f join datasets d "
                "on d.rowid = f.rowid where datasets_fts match 'town' order by d.id")
    assert ("tst-town-counts",) in hits


def test_meta_table_records_the_build(built: Path) -> None:
    meta = dict(rows(built / PUBLIC_FILE, "select key, value from meta"))
    assert meta["layout_version"] and meta["database"] == "public"
    assert len(meta["source_hash"]) == 64
    assert built_hash(built / INVENTORY_FILE) == meta["source_hash"]


def test_failed_write_leaves_previous_databases_untouched(
        built: Path, monkeypatch: pytest.MonkeyPatch, make_project: MakeProject) -> None:
    before = {name: (built / name).read_bytes() for name in (INVENTORY_FILE, PUBLIC_FILE)}
    root = built.parent

    import catalog.compile as compile_mod

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(compile_mod.Writer, "finish", boom)
    with pytest.raises(RuntimeError):
        build(Project(root), allow_warnings=True, full=True)
    for name, content in before.items():
        assert (built / name).read_bytes() == content
    assert not list(built.glob("*.tmp")) and not list(built.glob(".*.tmp"))


def test_concurrent_build_is_refused(built: Path) -> None:
    from catalog.compile import build_lock
    from catalog.problems import CatalogError

    with build_lock(built):
        with pytest.raises(CatalogError, match="another build"):
            with build_lock(built):
                pass


def test_lookups_by_standard_use_the_partial_index(built: Path) -> None:
    """ix_fields_standard_dataset holds only fields that follow a standard; the search
    facet and the standards pages still find them through it."""
    from catalog.site.pages.search import FACETS

    facet = next(f for f in FACETS if f.name == "standard")
    queries = [
        facet.members,
        "select d.id from datasets d where " + facet.condition(["s0"]),
        "select s.id, count(f.id) from standards s left join fields f "
        "on f.standard = s.id group by s.id",
        "select count(*) from fields where standard = :s0",
    ]
    for db in (INVENTORY_FILE, PUBLIC_FILE):
        conn = sqlite3.connect(built / db)
        try:
            (ddl,) = conn.execute("select sql from sqlite_master "
                                  "where name = 'ix_fields_standard_dataset'").fetchone()
            assert ddl.endswith("WHERE standard IS NOT NULL")
            for sql in queries:
                plan = " ".join(r[3] for r in conn.execute(
                    "explain query plan " + sql, {"s0": "x"} if ":s0" in sql else {}))
                assert "ix_fields_standard_dataset" in plan, (sql, plan)
        finally:
            conn.close()
