"""catalog/compile/layout.py (the tables as plain data, for builds that do not import
sqlmodel) is generated from catalog/compile/tables.py and must match it."""

from pathlib import Path

from catalog.compile import layout, layout_gen


def test_layout_is_generated_from_the_current_tables() -> None:
    assert layout_gen.TARGET.read_text() == layout_gen.layout_source(), \
        "run: python -m catalog.docgen"


def test_a_build_does_not_import_sqlmodel() -> None:
    import subprocess
    import sys

    code = ("import sys, catalog.build, catalog.cli; "
            "print(any(m.split('.')[0] in ('sqlmodel', 'sqlalchemy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert layout.LAYOUT_VERSION and "fields" in layout.COLUMNS


def test_a_row_with_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    """A misspelt key fails the write instead of leaving its column NULL; the keys rows
    carry for the public subset alone are declared (rows.NOT_STORED)."""
    import pytest

    from catalog.compile import ShardWriter
    from catalog.compile.rows import NOT_STORED

    row = {"dataset_id": "a", "keyword": "k", "position": 0}
    with ShardWriter(tmp_path / "ok.db") as w:
        w.add({"keywords": [row]})
    with pytest.raises(KeyError, match="keywords has no column keywrod"):
        with ShardWriter(tmp_path / "bad.db") as w:
            w.add({"keywords": [row | {"keywrod": "k"}]})
    assert not (tmp_path / "bad.db").exists()
    assert NOT_STORED["datasets"].isdisjoint(layout.COLUMNS["datasets"])
