"""Small-number (small-N) suppression check for published aggregates (State Data Plan
principle 4a; DCF Policy 5-4).

:func:`audit_file` reads a CSV twice as a stream of rows, never holding the table: once
to choose the count and label columns and find the total rows, once to check every
count cell. It reports, as :class:`~catalog.problems.Problem` values located by row,
column number and field name,

* ``small-count``: a published count from 1 to ``min_count - 1`` (or 0 when the policy
  suppresses zeros);
* ``unrounded-count``: a count that is not a multiple of the policy's ``rounding``;
* ``invalid-count``: a value that is neither a whole number nor a suppression marker;
* ``recoverable-cell``: with complementary suppression, a suppressed cell whose value
  can be recalculated from the totals the table publishes (``catalog.governance.totals``).

What is and is not detected: ``docs/suppression.md``. The rule that runs it on every
aggregate a descriptor describes is ``catalog.validate.disclosure``.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import problems as P
from ..model.standards import SuppressionPolicy
from ..problems import CatalogError, Problem
from .totals import TotalsFinder, is_total_label, recoverable, words

if TYPE_CHECKING:
    from ..model import Dataset

CODES = (P.SMALL_COUNT, P.UNROUNDED_COUNT, P.INVALID_COUNT, P.RECOVERABLE_CELL)
MAX_CELLS = 1000  # cell problems listed per file (the rest are counted in a note)

_COUNT = re.compile(r"^\+?(\d{1,3}(,\d{3})+|\d+)(\.0+)?$")
_NUMBER = re.compile(r"^[-+]?(\d+(,\d{3})*)?(\.\d+)?%?$")
# columns that hold integers but are labels, not counts of people
KEY_WORDS = frozenset({"year", "yr", "fy", "sfy", "ffy", "id", "code", "fips", "zip",
                       "zipcode", "geoid", "tract", "date", "month", "quarter", "qtr", "week",
                       "day", "period", "age", "grade", "number", "no"})
MEASURE_WORDS = frozenset({"rate", "pct", "percent", "percentage", "ratio", "per", "avg",
                           "average", "mean", "median", "index", "score", "rank"})


def parse_count(text: str) -> int | None:
    """A published count: digits, optional thousands commas, optional ``.0``."""
    if not _COUNT.match(text):
        return None
    return int(text.split(".")[0].lstrip("+").replace(",", ""))


def markers_of(policy: SuppressionPolicy, extra: Iterable[str] = ()) -> set[str]:
    """What marks a suppressed cell: a blank, the policy's symbols, and ``extra`` (a
    data dictionary's missing values)."""
    return {"", policy.symbol, *policy.other_symbols, *(m.strip() for m in extra)}


@dataclass
class Audit:
    """The result of one file against one policy, and how the table was read."""

    file: str
    policy: str
    count_columns: list[str]
    count_columns_from: str
    key_columns: list[str]
    total_column: str | None = None
    total_rows: list[int] = field(default_factory=list)
    known_totals: dict[str, int] = field(default_factory=dict)
    complementary: bool = True
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        out = {k: v for k, v in self.__dict__.items() if k != "problems"}
        out["problems"] = [p.to_dict() for p in self.problems]
        out["valid"] = self.ok
        return out


# -- reading -------------------------------------------------------------------------------


def _encoding(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark) when the whole file decodes as such,
    else Windows-1252, else Latin-1 (which decodes anything). One streaming pass."""
    for name in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(name)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return name
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _dialect(path: Path, encoding: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma-separated, unless the header line holds more semicolons, tabs or bars."""
    if path.suffix.lower() == ".tsv":
        return csv.excel_tab
    with path.open(encoding=encoding, newline="") as fh:
        header = fh.readline(64 * 1024)
    counts = {d: header.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    if best == "," or not counts[best]:
        return csv.excel

    class Sniffed(csv.excel):
        delimiter = best

    return Sniffed


class Table:
    """A CSV read as a stream: its header and, on each :meth:`rows`, its records as
    (row number, stripped cells). The header is row 1; blank lines count as rows and
    are skipped, as are (and counted) records whose length differs from the header's."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path, self.shown = path, shown
        try:
            self.encoding = _encoding(path)
            self.dialect = _dialect(path, self.encoding)
            with path.open(encoding=self.encoding, newline="") as fh:
                first = next(csv.reader(fh, self.dialect), [])
        except (OSError, csv.Error) as exc:
            raise self._error(exc) from None
        self.header = [c.strip() or f"field{i}" for i, c in enumerate(first, 1)]
        if not first:
            raise CatalogError(f"{shown}: cannot be read as a table (no header row)",
                               hint="give a CSV file with a header row")
        self.irregular = 0
        self.padded = True  # cells may have spaces around them (the survey finds out)

    def _error(self, exc: Exception) -> CatalogError:
        return CatalogError(f"{self.shown}: cannot be read as a table ({exc})",
                            hint="give a CSV file with a header row")

    def rows(self, strip: bool = True) -> Iterator[tuple[int, list[str]]]:
        """The records, their cells stripped of spaces unless ``strip`` is false."""
        width = len(self.header)
        self.irregular = 0
        try:
            with self.path.open(encoding=self.encoding, newline="") as fh:
                reader = csv.reader(fh, self.dialect)
                next(reader, None)
                for number, cells in enumerate(reader, 2):
                    if len(cells) != width or not any(cells):
                        self.irregular += 1
                        if not any(c.strip() for c in cells):
                            continue
                        cells = (cells + [""] * width)[:width]
                    yield number, list(map(str.strip, cells)) if strip else cells
        except (OSError, csv.Error) as exc:
            raise self._error(exc) from None


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int = 4096
            ) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _survey(table: Table, marks: set[str], finder: TotalsFinder | None
            ) -> tuple[list[str], list[str]]:
    """First pass: count candidates (columns whose every non-blank value is a count or
    a marker, not named like a label or a measure), label candidates (text, or numbers
    named like a label) and, for ``finder``, the rows holding a total label. Works on
    the distinct values of each column in chunks of rows."""
    h = table.header
    n = len(h)
    counts = [not KEY_WORDS.union(MEASURE_WORDS).intersection(words(name)) for name in h]
    numeric, filled = [True] * n, [False] * n
    # raw value → (blank, count or marker, numeric, total label, spaces around it)
    verdicts: dict[str, tuple[bool, bool, bool, bool, bool]] = {}
    padded = False
    for chunk in _chunks(table.rows(strip=False)):  # distinct values are stripped instead
        columns = list(zip(*(cells for _, cells in chunk), strict=True))
        totals: list[tuple[int, set[str]]] = []
        for i, column in enumerate(columns):
            labels = set()
            for raw in set(column):
                verdict = verdicts.get(raw)
                if verdict is None:
                    v = raw.strip()
                    verdict = verdicts[raw] = (
                        not v, v in marks or parse_count(v) is not None,
                        bool(_NUMBER.match(v)), is_total_label(v), v != raw)
                blank, count, number, total, spaced = verdict
                padded = padded or spaced
                if blank:
                    continue
                filled[i] = True
                counts[i] = counts[i] and count
                numeric[i] = numeric[i] and number
                if total:
                    labels.add(raw)
            if labels:
                totals.append((i, labels))
        if finder is not None:
            finder.survey(chunk, h, totals)
        if len(verdicts) > 100_000:
            verdicts.clear()  # memory stays bounded on tables of unique values
    table.padded = padded
    detected = [name for i, name in enumerate(h) if counts[i] and filled[i]]
    labels_ = [name for i, name in enumerate(h) if filled[i] and
               (not numeric[i] or KEY_WORDS.intersection(words(name)))]
    return detected, labels_


def audit_file(path: Path, policy: SuppressionPolicy, *,
               count_columns: Sequence[str] | None = None,
               count_columns_from: str | None = None,
               also_count: Sequence[str] = (),
               not_count: Sequence[str] = (),
               key_columns: Sequence[str] | None = None,
               total_column: str | None = None,
               known_totals: dict[str, int] | None = None,
               markers: Sequence[str] = (),
               display: str | None = None, pointer: str = "", hint: str = "",
               strict: bool = True) -> Audit:
    """Check one CSV file against ``policy``. Count columns are ``count_columns`` when
    given, else auto-detected (but not ``not_count``) plus ``also_count`` (columns a
    data dictionary marks);
    label columns are ``key_columns`` when given, else the non-count text columns.
    Problems name ``display`` as their file, with ``pointer`` and ``hint``. Raises
    :class:`CatalogError` when the file cannot be read or (when ``strict``) a named
    column does not exist; otherwise named columns the file lacks are left out."""
    path = Path(path)
    shown = display or str(path)
    marks = markers_of(policy, markers)
    table = Table(path, shown)
    header = table.header
    finder = TotalsFinder() if policy.complementary else None
    detected, labels = _survey(table, marks, finder)
    if count_columns is None:
        counts = [c for c in header if c in also_count or c in detected and c not in not_count]
        source = "descriptor and auto-detected" if also_count or not_count else "auto-detected"
    else:
        counts, source = list(count_columns), count_columns_from or "option"
    keys = list(key_columns) if key_columns is not None else labels
    keys = [k for k in keys if k not in counts]
    if not strict:
        counts = [c for c in counts if c in header]
        keys = [k for k in keys if k in header]
    wanted = [*counts, *keys, *(known_totals or {}), *([total_column] if total_column else [])]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise CatalogError(f"{shown}: no column(s) {', '.join(missing)}",
                           hint="columns: " + ", ".join(header))
    not_counts = [c for c in [*([total_column] if total_column else []), *(known_totals or {})]
                  if c not in counts]
    if not_counts:
        raise CatalogError(f"{shown}: totals given for column(s) that are not count columns: "
                           + ", ".join(not_counts),
                           hint="count columns: " + (", ".join(counts) or "none"))
    audit = Audit(shown, policy.id, counts, source, keys, known_totals=dict(known_totals or {}),
                  complementary=policy.complementary)
    if not counts:
        audit.notes.append("no count columns: nothing to check")
        return audit
    check = _Check(audit, policy, marks, header, pointer, hint)
    if finder is not None:
        finder.plan(header, keys, counts, total_column=total_column, known_totals=known_totals)
    for number, cells in table.rows(strip=table.padded):
        audit.rows += 1
        values = check.row(number, cells)
        if finder is not None:
            finder.add(number, cells, values)
    if table.irregular:
        audit.notes.append(f"{table.irregular} irregular row(s) (blank, or with missing or "
                           "extra cells) skipped or read with blanks; `catalog validate` "
                           "(sample-invalid) reports them")
    if finder is not None:
        totals = finder.finish()
        audit.total_column, audit.total_rows = totals.total_column, totals.total_rows
        audit.notes.extend(totals.notes)
        check.recoverable(recoverable(totals.equations))
    else:
        audit.notes.append(f"{policy.id} does not require complementary suppression: "
                           "totals not checked")
    if check.more:
        audit.notes.append(f"{check.more:,} more problem cell(s) not listed (the first "
                           f"{MAX_CELLS:,} are)")
    audit.problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.code))
    return audit


class _Check:
    """The cell rules of one policy, row by row; problems into ``audit.problems``."""

    def __init__(self, audit: Audit, policy: SuppressionPolicy, marks: set[str],
                 header: list[str], pointer: str, hint: str) -> None:
        self.audit, self.policy, self.marks = audit, policy, marks
        self.header, self.pointer, self.hint = header, pointer, hint
        self.columns = [(header.index(c), c) for c in audit.count_columns]
        self.suppressed: dict[tuple[int, str], str] = {}
        self.parsed: dict[str, int | None] = {}
        self.min_count, self.rounding = policy.min_count, policy.rounding or 0
        self.more = 0
        low = 0 if policy.suppress_zero else 1
        self.rule = f"counts from {low} to {policy.min_count - 1} must be suppressed"

    def _add(self, code: str, number: int, index: int, name: str, note: str) -> None:
        if len(self.audit.problems) >= MAX_CELLS:
            self.more += 1
            return
        self.audit.problems.append(Problem.make(
            code, note, file=self.audit.file, line=number, column=index + 1, field=name,
            pointer=self.pointer, hint=self.hint))

    def row(self, number: int, cells: list[str]) -> list[int | None]:
        """The row's counts, in the order of the count columns (None: suppressed or
        unreadable), after checking each cell."""
        values: list[int | None] = []
        parsed = self.parsed
        for index, name in self.columns:
            text = cells[index]
            if text in self.marks:
                values.append(None)
                self.suppressed[(number, name)] = text
                continue
            if text in parsed:
                value = parsed[text]
            else:
                value = parsed[text] = parse_count(text)
                if len(parsed) > 100_000:
                    parsed.clear()
            values.append(value)
            if value is None:
                self._add(P.INVALID_COUNT, number, index, name,
                          f"'{text}' is not a whole number or the suppression symbol "
                          f"'{self.policy.symbol}'")
            elif value < self.min_count and (value or self.policy.suppress_zero) or (
                    self.rounding and value % self.rounding):
                self._cell(number, index, name, value)
        return values

    def _cell(self, number: int, index: int, name: str, value: int) -> None:
        p = self.policy
        if 0 < value < p.min_count or (value == 0 and p.suppress_zero):
            what = "zero" if value == 0 else f"count {value}"
            self._add(P.SMALL_COUNT, number, index, name,
                      f"{what} is published; under {p.id} {self.rule}")
        if p.rounding and value % p.rounding:
            self._add(P.UNROUNDED_COUNT, number, index, name,
                      f"count {value} is not a multiple of {p.rounding} ({p.id} rounds "
                      "counts)")

    def recoverable(self, found: dict[tuple[int, str], list]) -> None:  # type: ignore[type-arg]
        for (number, name), used in sorted(found.items(),
                                           key=lambda kv: (kv[0][0], self.header.index(kv[0][1]))):
            sources = [eq.source for eq in used]
            how = f"from {sources[0]}" if len(sources) == 1 else (
                f"by combining {len(sources)} totals: " + "; ".join(sources[:3])
                + ("; …" if len(sources) > 3 else ""))
            self._add(P.RECOVERABLE_CELL, number, self.header.index(name), name,
                      f"suppressed cell '{self.suppressed.get((number, name), '')}' can be "
                      f"recalculated {how}; suppress another cell in the same line "
                      "(complementary suppression)")


def check_file(path: Path, policy: SuppressionPolicy,
               count_columns: Sequence[str] | None = None) -> list[Problem]:
    """The problems of ``policy`` in a CSV file (count columns auto-detected unless
    given)."""
    return audit_file(path, policy, count_columns=count_columns).problems


def dataset_layout(d: "Dataset") -> dict[str, Any]:
    """How a descriptor says to read its published tables: the fields it marks as
    counts (the audit adds the columns it detects, except those with a ``count``
    waiver), its primary key as labels, its missing values as markers."""
    assert d.schema_ is not None
    pk = d.schema_.primaryKey
    keys = [pk] if isinstance(pk, str) else list(pk or [])
    counts = [f.name for f in d.schema_.fields if f.count]
    waived = [f.name for f in d.schema_.fields if "count" in f.waivers and not f.count]
    return {"also_count": counts, "not_count": waived,
            "key_columns": [k for k in keys if k not in counts] or None,
            "markers": list(d.schema_.missingValues or [])}
