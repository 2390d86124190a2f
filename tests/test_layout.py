"""catalog/compile/layout.py (the tables as plain data, for builds that do not import
sqlmodel) is generated from catalog/compile/tables.py and must match it."""

from catalog.compile import layout, layout_gen


def test_layout_is_generated_from_the_current_tables() -> None:
    assert layout_gen.TARGET.read_text() == layout_gen.render(), \
        "run: python -m catalog.compile.layout_gen"


def test_a_build_does_not_import_sqlmodel() -> None:
    import subprocess
    import sys

    code = ("import sys, catalog.build, catalog.cli; "
            "print(any(m.split('.')[0] in ('sqlmodel', 'sqlalchemy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert layout.SCHEMA_VERSION and "fields" in layout.COLUMNS
