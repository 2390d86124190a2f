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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

Cell = tuple[int, str]
"""(row number in the file, column name)"""

TOTAL_WORDS = frozenset({"total", "totals", "subtotal", "all"})
TOTAL_LABELS = frozenset({"grand total", "statewide", "state total", "connecticut"})
TOTAL_COLUMN_WORDS = frozenset({"total", "totals"})


def words(text: str) -> list[str]:
    """Lower-case words of a label or column name (``totalEntries`` → total, entries)."""
    return re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower())


def is_total_label(value: str) -> bool:
    w = words(value)
    return bool(w) and (w[0] in TOTAL_WORDS or " ".join(w) in TOTAL_LABELS)


def is_total_column(name: str) -> bool:
    w = words(name)
    return bool(TOTAL_COLUMN_WORDS.intersection(w)) or w == ["all"]


@dataclass(frozen=True)
class TableRow:
    number: int
    keys: dict[str, str]
    counts: dict[str, int | None]
    """count column → published value; None when suppressed or unreadable"""


@dataclass(frozen=True)
class Equation:
    total: Cell | None
    known: int | None
    parts: tuple[Cell, ...]
    source: str
    family: str


@dataclass
class Totals:
    total_column: str | None = None
    total_rows: list[int] = field(default_factory=list)
    equations: list[Equation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _total_column(counts: Sequence[str], chosen: str | None, notes: list[str]) -> str | None:
    if chosen:
        return chosen
    named = [c for c in counts if is_total_column(c)]
    if len(named) > 1:
        notes.append(f"several total-like columns ({', '.join(named)}): row totals are not "
                     "used; name the one that sums the others with --total-column")
        return None
    return named[0] if named else None


def _row_equations(rows: Sequence[TableRow], counts: Sequence[str],
                   total: str) -> Iterable[Equation]:
    parts = [c for c in counts if c != total and not is_total_column(c)]
    family = f"row totals in column '{total}'"
    for r in rows:
        yield Equation((r.number, total), None, tuple((r.number, c) for c in parts),
                       f"the row total in column '{total}' (row {r.number})", family)


def _total_row_equations(rows: Sequence[TableRow], counts: Sequence[str],
                         keys: Sequence[str]) -> tuple[list[int], list[Equation]]:
    """Total rows and their equations; a key column that is a total in every row (such
    as ``state: Connecticut``) says nothing and is ignored."""
    active = [k for k in keys if not all(is_total_label(r.keys.get(k, "")) for r in rows)]
    marked = {r.number: frozenset(k for k in active if is_total_label(r.keys.get(k, "")))
              for r in rows}
    details = [r for r in rows if not marked[r.number]]
    out: list[Equation] = []
    totals: list[int] = []
    index: dict[frozenset[str], dict[tuple[str, ...], list[TableRow]]] = {}
    for r in rows:
        signature = marked[r.number]
        if not signature:
            continue
        totals.append(r.number)
        others = [k for k in active if k not in signature]
        if signature not in index:
            groups: dict[tuple[str, ...], list[TableRow]] = {}
            for d in details:
                groups.setdefault(tuple(d.keys.get(k, "") for k in others), []).append(d)
            index[signature] = groups
        members = index[signature].get(tuple(r.keys.get(k, "") for k in others), [])
        if not members:
            continue
        label = ", ".join(f"{k}: {r.keys[k]}" for k in sorted(signature))
        family = "total rows of " + ", ".join(sorted(signature))
        for c in counts:
            out.append(Equation((r.number, c), None, tuple((d.number, c) for d in members),
                                f"the total row {r.number} ({label}) in column '{c}'", family))
    return totals, out


def _consistent(eq: Equation, value: Callable[[Cell], int | None]) -> bool:
    total = value(eq.total) if eq.total else eq.known
    if total is None:
        return True
    parts = [value(c) for c in eq.parts]
    published = sum(p for p in parts if p is not None)
    return published == total if None not in parts else published <= total


def find_totals(rows: Sequence[TableRow], counts: Sequence[str], keys: Sequence[str], *,
                total_column: str | None = None,
                known_totals: dict[str, int] | None = None) -> Totals:
    """The equations a table publishes. A family of totals (one total column, or total
    rows of the same kind) that does not add up wherever all its parts are published
    is not a sum of those parts (overlapping categories, rounding) and is dropped."""
    found = Totals()
    found.total_column = _total_column(counts, total_column, found.notes)
    equations: list[Equation] = []
    if found.total_column:
        equations.extend(_row_equations(rows, counts, found.total_column))
    found.total_rows, by_rows = _total_row_equations(rows, counts, keys)
    equations.extend(by_rows)
    details = [r for r in rows if r.number not in set(found.total_rows)]
    for column, n in (known_totals or {}).items():
        equations.append(Equation(None, n, tuple((r.number, column) for r in details),
                                  f"the known total of column '{column}' ({n})",
                                  f"known total of '{column}'"))
    by_number = {r.number: r for r in rows}

    def value(cell: Cell) -> int | None:
        return by_number[cell[0]].counts.get(cell[1])

    broken: dict[str, Equation] = {}
    for eq in equations:
        if eq.family not in broken and not _consistent(eq, value):
            broken[eq.family] = eq
    for family, eq in broken.items():
        found.notes.append(f"{family} are not used: {eq.source} is not the sum of its "
                           "published parts")
    found.equations = [eq for eq in equations if eq.family not in broken]
    if f"row totals in column '{found.total_column}'" in broken:
        found.total_column = None
    return found


def recoverable(equations: Sequence[Equation], value: Callable[[Cell], int | None]
                ) -> dict[Cell, list[Equation]]:
    """Suppressed cells (``value`` is None) whose value follows from ``equations``, each
    with the equations that combine to give it."""
    systems: list[tuple[dict[Cell, int], int]] = []
    for i, eq in enumerate(equations):
        coeffs: dict[Cell, int] = {}
        if eq.total is not None and value(eq.total) is None:
            coeffs[eq.total] = -1
        for part in eq.parts:
            if value(part) is None:
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


def _axpy(target: dict[Any, Fraction], a: Fraction, source: dict[Any, Fraction]) -> None:
    """target += a * source, dropping zeros (sparse rows)."""
    for k, v in source.items():
        new = target.get(k, Fraction(0)) + a * v
        if new:
            target[k] = new
        else:
            target.pop(k, None)


def _solve(system: list[tuple[dict[Cell, int], int]]) -> dict[Cell, list[int]]:
    """Reduced row echelon form over the rationals, tracking which equations each row
    combines. An unknown is determined exactly when its pivot row holds no other
    unknown."""
    pivots: dict[Cell, tuple[dict[Cell, Fraction], dict[int, Fraction]]] = {}
    for coeffs, i in system:
        row: dict[Cell, Fraction] = {c: Fraction(k) for c, k in coeffs.items()}
        used: dict[int, Fraction] = {i: Fraction(1)}
        for p in [c for c in row if c in pivots]:
            k = row.get(p)
            if k:
                _axpy(row, -k, pivots[p][0])
                _axpy(used, -k, pivots[p][1])
        if not row:
            continue
        p = min(row)
        scale = 1 / row[p]
        row = {c: k * scale for c, k in row.items()}
        used = {j: k * scale for j, k in used.items()}
        for q_row, q_used in pivots.values():
            k = q_row.get(p)
            if k:
                _axpy(q_row, -k, row)
                _axpy(q_used, -k, used)
        pivots[p] = (row, used)
    return {c: sorted(used) for c, (row, used) in pivots.items() if len(row) == 1}
