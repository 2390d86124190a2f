"""CSV the catalog writes, safe to open in a spreadsheet: a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return (which a spreadsheet would run as a
formula) is written with a leading apostrophe (OWASP's advice on CSV injection).
Numbers are written as they are, and so is text that is just a number (``-3``,
``+0.25``: a change written as text), which a spreadsheet reads as that number."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def cell(value: Any) -> Any:
    if (isinstance(value, str) and value.startswith(TRIGGERS)
            and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` with every cell passed through :func:`cell`. ``csv`` quotes a cell
    for the characters of its own line terminator only, so a row with a cell holding
    another line break (a carriage return under ``\\n`` endings) is written with every
    cell quoted, else a reader would split it."""

    def __init__(self, out: IO[str], **kw: Any) -> None:
        self._w = csv.writer(out, **kw)
        self._quoted = csv.writer(out, **{**kw, "quoting": csv.QUOTE_ALL})
        self._unquoted = {"\r", "\n"} - set(self._w.dialect.lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        cells = [cell(v) for v in row]
        broken = any(isinstance(v, str) and any(c in v for c in self._unquoted)
                     for v in cells)
        (self._quoted if broken else self._w).writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def dumps(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *,
          lineterminator: str = "\n") -> str:
    """A header of ``columns``, then one line per row (its values in that order; a list
    is written as its items joined by ``; ``, None as an empty cell)."""
    buf = io.StringIO()
    writer = Writer(buf, lineterminator=lineterminator)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_flat(row.get(c)) for c in columns)
    return buf.getvalue()


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value
