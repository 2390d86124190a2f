"""CSV the catalog writes cannot run formulas in a spreadsheet."""

from __future__ import annotations

import csv
import io

from catalog import csvsafe
from catalog.usage.report import to_csv


def test_formula_cells_are_neutralised() -> None:
    evil = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    text = to_csv([{"name": v, "hits": -5} for v in evil])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["'" + v for v in evil]
    assert {r["hits"] for r in rows} == {"-5"}  # numbers are numbers


def test_ordinary_cells_are_unchanged() -> None:
    buf = io.StringIO()
    csvsafe.Writer(buf, lineterminator="\n").writerow(["Hartford", "a=b", 3, None, "x-1"])
    assert buf.getvalue() == "Hartford,a=b,3,,x-1\n"
