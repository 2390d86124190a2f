"""CSV the catalog writes cannot run formulas in a spreadsheet."""

from __future__ import annotations

import csv
import io

from catalog import csvsafe


def test_formula_cells_are_neutralised() -> None:
    evil = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    text = csvsafe.dumps([{"name": v, "hits": -5} for v in evil], ["name", "hits"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["'" + v for v in evil]
    assert {r["hits"] for r in rows} == {"-5"}  # numbers are numbers


def test_ordinary_cells_are_unchanged() -> None:
    buf = io.StringIO()
    csvsafe.Writer(buf, lineterminator="\n").writerow(["Hartford", "a=b", 3, None, "x-1"])
    assert buf.getvalue() == "Hartford,a=b,3,,x-1\n"


def test_numbers_written_as_text_are_not_marked() -> None:
    """A change written as text ("-3", "-0.0300") is a number to a spreadsheet, not a
    formula: it keeps its sign and gets no apostrophe; text that merely starts like a
    number still does."""
    numbers = ["-3", "-0.0300", "+2", "-.5", "+0.25"]
    formulas = ["-3+A1", "-3 ", "-", "+", "-1e5", "--3", "-3,4"]
    text = csvsafe.dumps([{"v": v} for v in numbers + formulas], ["v"])
    assert [r["v"] for r in csv.DictReader(io.StringIO(text))] == \
        numbers + ["'" + v for v in formulas]
