"""Which suppressed cells of a table can be recalculated from the totals it publishes.

A table is read as a set of equations *total = sum of parts* (see ``docs/suppression.md``):

* **row totals**: a count column named like a total (``Total``, ``total_entries``,
  ``All``) equals the sum of the other count columns in every row;
* **total rows**: a row whose label cell says ``Total``/``All…``/``Statewide`` equals,
  in every count column, the sum of the detail rows that share its other labels;
* **known totals**: a column total published elsewhere (given by the caller).

Suppressed cells are the unknowns. A cell is recoverable when its value follows from the
equations by linear algebra (exact rational Gaussian elimination per connected group of
unknowns), which covers a single suppressed cell in a line with a total and chains of
such deductions across rows and columns alike.

The table is read twice, row by row, and never held: :class:`TotalsFinder` first
*surveys* the label cells (which rows are total rows, and of what), then *adds* each
row's counts. It keeps only what the equations need: the total rows, a running sum and
the suppressed cells of each group of detail rows a total row adds up, and the equations
that hold a suppressed cell.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

Cell = tuple[int, str]
"""(row number in the file, column name)"""

TOTAL_WORDS = frozenset({"total", "totals", "subtotal", "all"})
TOTAL_LABELS = frozenset({"grand total", "statewide", "state total", "connecticut"})
TOTAL_COLUMN_WORDS = frozenset({"total", "totals"})


def words(text: str) -> list[str]:
    """Lower-case words of a label or column name (``totalEntries`` → total, entries)."""
    return re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower())


@functools.lru_cache(maxsize=4096)
def is_total_label(value: str) -> bool:
    w = words(value)
    return bool(w) and (w[0] in TOTAL_WORDS or " ".join(w) in TOTAL_LABELS)


def is_total_column(name: str) -> bool:
    w = words(name)
    return bool(TOTAL_COLUMN_WORDS.intersection(w)) or w == ["all"]


@dataclass(frozen=True)
class Equation:
    """``total = known + sum(unknowns)``: ``total`` is a cell of the table (None for a
    known total given by the caller), ``total_value`` its published value (None when
    suppressed), ``known`` the sum of the published parts."""

    total: Cell | None
    total_value: int | None
    known: int
    unknowns: tuple[Cell, ...]
    source: str
    family: str

    @property
    def open(self) -> bool:
        """It holds a suppressed cell (the only equations the solver needs)."""
        return bool(self.unknowns) or (self.total is not None and self.total_value is None)

    def consistent(self) -> bool:
        """The published cells do not contradict the sum (suppressed counts are >= 0)."""
        if self.total_value is None:
            return True
        return self.known == self.total_value if not self.unknowns else \
            self.known <= self.total_value


@dataclass
class Totals:
    total_column: str | None = None
    total_rows: list[int] = field(default_factory=list)
    equations: list[Equation] = field(default_factory=list)
    """the open equations of the families that add up"""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Sum:
    """Running sum of one count column over a group of detail rows."""

    known: int = 0
    unknowns: list[Cell] = field(default_factory=list)


class TotalsFinder:
    """The equations of a table read row by row: :meth:`survey` every row's labels,
    then :meth:`plan`, then :meth:`add` every row's counts, then :meth:`finish`."""

    def __init__(self) -> None:
        self.counts: list[str] = []
        self.known_totals: dict[str, int] = {}
        self.notes: list[str] = []
        self.total_column: str | None = None
        self.parts: list[str] = []
        self._candidates: dict[int, tuple[str, ...]] = {}  # rows with a total label
        self._surveyed: set[int] | None = None  # columns with a total label in every row
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._others_index: dict[frozenset[str], list[int]] = {}
        self._part_at: list[int] = []
        self._total_at: int | None = None
        self._row_family = ""
        self._keys: list[str] = []
        self._totals: dict[int, tuple[frozenset[str], tuple[str, ...], str]] = {}
        self._others: dict[frozenset[str], list[str]] = {}
        # (signature, labels) → [detail rows, sum per count column, suppressed cells per column]
        self._groups: dict[tuple[frozenset[str], tuple[str, ...]], list[Any]] = {}
        self._total_counts: dict[int, list[int | None]] = {}
        self._column_sums: dict[str, _Sum] = {}
        self._open: list[Equation] = []
        self._broken: dict[str, Equation] = {}

    def _total_column(self, chosen: str | None) -> str | None:
        if chosen:
            return chosen
        named = [c for c in self.counts if is_total_column(c)]
        if len(named) > 1:
            self.notes.append(f"several total-like columns ({', '.join(named)}): row totals "
                              "are not used; name the one that sums the others with "
                              "--total-column")
            return None
        return named[0] if named else None

    # -- pass 1 ------------------------------------------------------------------------

    def survey(self, chunk: Sequence[tuple[int, Sequence[str]]], names: Sequence[str],
               totals: Sequence[tuple[int, set[str]]]) -> None:
        """A chunk of rows and, per column, the total labels it holds (any column may
        turn out to be a label)."""
        self._names = list(names)
        if self._surveyed is None:
            self._surveyed = set(range(len(names)))
        marked = {i: labels for i, labels in totals}
        for i in list(self._surveyed):
            if i not in marked or any(cells[i] not in marked[i] for _, cells in chunk):
                self._surveyed.discard(i)
        hits: set[int] = set()
        for i, labels in totals:  # by column: the rows of the chunk holding a total label
            column = [cells[i] for _, cells in chunk]
            hits.update(compress(range(len(chunk)), map(labels.__contains__, column)))
        for k in hits:
            number, cells = chunk[k]
            self._candidates[number] = tuple(cells)

    def plan(self, names: Sequence[str], keys: Sequence[str], counts: Sequence[str], *,
             total_column: str | None = None,
             known_totals: Mapping[str, int] | None = None) -> None:
        """The label and count columns, once known: which surveyed rows are total rows,
        and which groups of detail rows each adds up. A label column that is a total in
        every row (such as ``state: Connecticut``) says nothing and is ignored."""
        self._index = {name: i for i, name in enumerate(names)}
        self.counts = list(counts)
        self.known_totals = dict(known_totals or {})
        self.total_column = self._total_column(total_column)
        self.parts = [c for c in self.counts if c != self.total_column
                      and not is_total_column(c)]
        self._column_sums = {c: _Sum() for c in self.known_totals}
        self._part_at = [self.counts.index(c) for c in self.parts]
        self._total_at = self.counts.index(self.total_column) if self.total_column else None
        self._row_family = f"row totals in column '{self.total_column}'"
        everywhere = {self._names[i] for i in self._surveyed or ()}
        self._keys = [k for k in keys if k not in everywhere]
        at = [(k, self._names.index(k)) for k in self._keys if k in self._names]
        for number, cells in self._candidates.items():
            signature = frozenset(k for k, i in at if is_total_label(cells[i].strip()))
            if not signature:
                continue
            labels = dict(zip(self._names, (c.strip() for c in cells), strict=True))
            others = self._others.setdefault(
                signature, [k for k in self._keys if k not in signature])
            group = tuple(labels.get(k, "") for k in others)
            label = ", ".join(f"{k}: {labels[k]}" for k in sorted(signature))
            self._totals[number] = (signature, group, label)
            self._groups.setdefault((signature, group),
                                    [0, [0] * len(self.counts), [[] for _ in self.counts]])
        self._others_index = {s: [self._index[k] for k in o] for s, o in self._others.items()}
        self._candidates.clear()

    @property
    def total_rows(self) -> list[int]:
        return sorted(self._totals)

    # -- pass 2 ------------------------------------------------------------------------

    def add(self, number: int, cells: Sequence[str], values: Sequence[int | None]) -> None:
        """One row's cells and its counts, in the order of the count columns (None:
        suppressed or unreadable)."""
        if self._total_at is not None:
            self._row_equation(number, values)
        if number in self._totals:
            self._total_counts[number] = list(values)
            return
        groups, counts = self._groups, self.counts
        for signature, index in self._others_index.items():
            group = groups.get((signature, tuple([cells[i] for i in index])))
            if group is None:
                continue
            group[0] += 1
            known, unknown = group[1], group[2]
            for j, value in enumerate(values):
                if value is None:
                    unknown[j].append((number, counts[j]))
                else:
                    known[j] += value
        if self._column_sums:
            for c, value in zip(self.counts, values, strict=True):
                if c in self._column_sums:
                    _accumulate(self._column_sums[c], (number, c), value)

    def _row_equation(self, number: int, values: Sequence[int | None]) -> None:
        assert self.total_column is not None
        total = values[self._total_at]  # type: ignore[index]
        parts = [values[i] for i in self._part_at]
        if total is not None and None not in parts:  # the common case: nothing to solve
            known = sum(parts)  # type: ignore[arg-type]
            if known != total and self._row_family not in self._broken:
                self._keep(Equation((number, self.total_column), total, known, (),
                                    self._row_source(number), self._row_family))
            return
        known = sum(v for v in parts if v is not None)
        unknowns = [(number, self.counts[i]) for i, v in zip(self._part_at, parts, strict=True)
                    if v is None]
        self._keep(Equation((number, self.total_column), total, known, tuple(unknowns),
                            self._row_source(number), self._row_family))

    def _row_source(self, number: int) -> str:
        return f"the row total in column '{self.total_column}' (row {number})"

    def _keep(self, eq: Equation) -> None:
        if eq.family not in self._broken and not eq.consistent():
            self._broken[eq.family] = eq
        if eq.open:
            self._open.append(eq)

    def finish(self) -> Totals:
        """The equations of the families of totals that add up wherever all their parts
        are published (one that does not is not a sum of those parts: overlapping
        categories, rounding) and notes on those dropped."""
        for number, (signature, key, labels) in sorted(self._totals.items()):
            members, known, unknown = self._groups[(signature, key)]
            if not members:
                continue
            family = "total rows of " + ", ".join(sorted(signature))
            values = self._total_counts.get(number, [None] * len(self.counts))
            for j, c in enumerate(self.counts):
                if not unknown[j] and values[j] is not None and (
                        known[j] == values[j] or family in self._broken):
                    continue  # nothing to solve, nothing contradicted
                self._keep(Equation((number, c), values[j], known[j], tuple(unknown[j]),
                                    f"the total row {number} ({labels}) in column '{c}'",
                                    family))
        for c, n in self.known_totals.items():
            s = self._column_sums[c]
            self._keep(Equation(None, n, s.known, tuple(s.unknowns),
                                f"the known total of column '{c}' ({n})",
                                f"known total of '{c}'"))
        found = Totals(self.total_column, self.total_rows, notes=list(self.notes))
        for family, eq in self._broken.items():
            found.notes.append(f"{family} are not used: {eq.source} is not the sum of its "
                               "published parts")
        found.equations = [eq for eq in self._open if eq.family not in self._broken]
        if f"row totals in column '{self.total_column}'" in self._broken:
            found.total_column = None
        return found


def _accumulate(s: _Sum, cell: Cell, value: int | None) -> None:
    if value is None:
        s.unknowns.append(cell)
    else:
        s.known += value


def recoverable(equations: Iterable[Equation]) -> dict[Cell, list[Equation]]:
    """Suppressed cells whose value follows from ``equations``, each with the equations
    that combine to give it."""
    equations = list(equations)
    systems: list[tuple[dict[Cell, int], int]] = []
    for i, eq in enumerate(equations):
        coeffs: dict[Cell, int] = {}
        if eq.total is not None and eq.total_value is None:
            coeffs[eq.total] = -1
        for part in eq.unknowns:
            coeffs[part] = coeffs.get(part, 0) + 1
        coeffs = {c: k for c, k in coeffs.items() if k}
        if coeffs:
            systems.append((coeffs, i))
    out: dict[Cell, list[Equation]] = {}
    for group in _components(systems):
        for cell, used in _solve(group).items():
            out[cell] = [equations[i] for i in used]
    return out


def _components(systems: list[tuple[dict[Cell, int], int]]
                ) -> list[list[tuple[dict[Cell, int], int]]]:
    parent: dict[Cell, Cell] = {}

    def find(c: Cell) -> Cell:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for coeffs, _ in systems:
        first, *rest = coeffs
        for other in rest:
            parent[find(other)] = find(first)
    groups: dict[Cell, list[tuple[dict[Cell, int], int]]] = {}
    for coeffs, i in systems:
        groups.setdefault(find(next(iter(coeffs))), []).append((coeffs, i))
    return list(groups.values())


def _combine(a: int, x: dict[Any, int], b: int, y: dict[Any, int]) -> dict[Any, int]:
    """a·x + b·y over sparse integer rows, dropping zeros."""
    out = {k: a * v for k, v in x.items()}
    for k, v in y.items():
        new = out.get(k, 0) + b * v
        if new:
            out[k] = new
        else:
            out.pop(k, None)
    return out


def _reduce(row: dict[Cell, int], used: dict[int, int]) -> tuple[dict[Cell, int], dict[int, int]]:
    """Both divided by the gcd of their coefficients (integers stay small)."""
    g = math.gcd(*row.values(), *used.values())
    if g > 1:
        row = {k: v // g for k, v in row.items()}
        used = {k: v // g for k, v in used.items()}
    return row, used


def _solve(system: list[tuple[dict[Cell, int], int]]) -> dict[Cell, list[int]]:
    """Reduced row echelon form, fraction-free over the integers, tracking which
    equations each row combines. An unknown is determined exactly when its pivot row
    holds no other unknown."""
    pivots: dict[Cell, tuple[dict[Cell, int], dict[int, int]]] = {}
    for coeffs, i in system:
        row: dict[Cell, int] = dict(coeffs)
        used: dict[int, int] = {i: 1}
        for p in [c for c in row if c in pivots]:
            k = row.get(p)
            if k:
                p_row, p_used = pivots[p]
                a = p_row[p]
                row, used = _reduce(_combine(a, row, -k, p_row), _combine(a, used, -k, p_used))
        if not row:
            continue
        p = min(row)
        a = row[p]
        for q, (q_row, q_used) in pivots.items():
            k = q_row.get(p)
            if k:
                pivots[q] = _reduce(_combine(a, q_row, -k, row), _combine(a, q_used, -k, used))
        pivots[p] = (row, used)
    return {c: sorted(used) for c, (row, used) in pivots.items() if len(row) == 1}
