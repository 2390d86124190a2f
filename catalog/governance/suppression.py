"""Small-number (small-N) suppression check for published aggregates (State Data Plan
principle 4a; DCF Policy 5-4), as a Frictionless custom check.

``SmallNCheck`` reads every cell of the count columns and yields

* ``small-count``: a published count from 1 to ``min_count - 1`` (or 0 when the policy
  suppresses zeros);
* ``unrounded-count``: a count that is not a multiple of the policy's ``rounding``;
* ``invalid-count``: a value that is neither a whole number nor a suppression marker;
* ``recoverable-cell``: with complementary suppression, a suppressed cell whose value
  can be recalculated from the totals the table publishes (``catalog.governance.totals``).

``audit_file`` runs it through ``resource.validate`` on any CSV and says how it read the
table; ``check_file`` and ``check_dataset`` return just the violations. What is and is
not detected: ``docs/suppression.md``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional

import attrs
from frictionless import Check, Checklist, Detector, FrictionlessException, Resource, errors

from ..model.standards import SuppressionPolicy
from ..problems import CatalogError, Problem
from .totals import TableRow, Totals, find_totals, recoverable, words

if TYPE_CHECKING:
    from frictionless.table import Row

    from ..model import Dataset
    from ..validate import Entry, Inventory

SMALL_COUNT = "small-count"
UNROUNDED_COUNT = "unrounded-count"
INVALID_COUNT = "invalid-count"
RECOVERABLE_CELL = "recoverable-cell"
CODES = (SMALL_COUNT, UNROUNDED_COUNT, INVALID_COUNT, RECOVERABLE_CELL)

_TEMPLATE = 'Cell "{cell}" in row "{rowNumber}", field "{fieldName}" ({fieldNumber}): {note}'


class SmallCountError(errors.CellError):
    type = SMALL_COUNT
    title = "Small Count"
    description = "A published count is below the suppression policy's minimum."
    template = _TEMPLATE


class UnroundedCountError(errors.CellError):
    type = UNROUNDED_COUNT
    title = "Unrounded Count"
    description = "A published count is not rounded to the suppression policy's base."
    template = _TEMPLATE


class InvalidCountError(errors.CellError):
    type = INVALID_COUNT
    title = "Invalid Count"
    description = "A count cell is neither a whole number nor a suppression marker."
    template = _TEMPLATE


class RecoverableCellError(errors.CellError):
    type = RECOVERABLE_CELL
    title = "Recoverable Cell"
    description = "A suppressed cell can be recalculated from published totals."
    template = _TEMPLATE


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


@attrs.define(kw_only=True, repr=False)
class SmallNCheck(Check):
    """Cells of the count columns against one suppression policy."""

    type: ClassVar[str] = "small-n-suppression"
    Errors: ClassVar[list[Any]] = [
        SmallCountError, UnroundedCountError, InvalidCountError, RecoverableCellError]

    policy_id: str
    min_count: int
    suppress_zero: bool = False
    complementary: bool = True
    rounding: Optional[int] = None
    count_columns: List[str]
    key_columns: List[str] = attrs.field(factory=list)
    symbol: str = "*"
    markers: List[str] = attrs.field(factory=lambda: [""])
    total_column: Optional[str] = None
    known_totals: Dict[str, int] = attrs.field(factory=dict)

    @classmethod
    def for_policy(cls, policy: SuppressionPolicy, **kw: Any) -> "SmallNCheck":
        markers = sorted({"", policy.symbol, *kw.pop("markers", [])})
        return cls(policy_id=policy.id, min_count=policy.min_count, symbol=policy.symbol,
                   suppress_zero=policy.suppress_zero, complementary=policy.complementary,
                   rounding=policy.rounding, markers=markers, **kw)

    def connect(self, resource: Resource) -> None:
        super().connect(resource)
        self.rows: list[TableRow] = []
        self.cells: dict[int, list[str]] = {}
        self.totals: Totals | None = None

    def validate_start(self) -> Iterable[errors.Error]:
        names = self.resource.schema.field_names
        for name in [*self.count_columns, *self.key_columns, *self.known_totals]:
            if name not in names:
                yield errors.CheckError(note=f'small-N check: no column "{name}"')

    def validate_row(self, row: "Row") -> Iterable[errors.Error]:
        if all(c in (None, "") for c in row.cells):
            return
        counts: dict[str, int | None] = {}
        for name in self.count_columns:
            text = "" if row[name] is None else str(row[name]).strip()
            counts[name] = value = None if text in self.markers else parse_count(text)
            if value is None:
                if text not in self.markers:
                    yield InvalidCountError.from_row(
                        row, field_name=name, note=f"'{text}' is not a whole number or the "
                        f"suppression symbol '{self.symbol}'")
                continue
            if 0 < value < self.min_count or (value == 0 and self.suppress_zero):
                what = "zero" if value == 0 else f"count {value}"
                rule = (f"counts from {0 if self.suppress_zero else 1} to {self.min_count - 1}"
                        " must be suppressed")
                yield SmallCountError.from_row(row, field_name=name, note=f"{what} is "
                                               f"published; under {self.policy_id} {rule}")
            if self.rounding and value % self.rounding:
                yield UnroundedCountError.from_row(
                    row, field_name=name, note=f"count {value} is not a multiple of "
                    f"{self.rounding} ({self.policy_id} rounds counts)")
        keys = {k: str(row[k] or "").strip() for k in self.key_columns}
        self.rows.append(TableRow(row.row_number, keys, counts))
        self.cells[row.row_number] = ["" if c is None else str(c) for c in row.cells]

    def validate_end(self) -> Iterable[errors.Error]:
        if not self.complementary:
            return
        self.totals = find_totals(self.rows, self.count_columns, self.key_columns,
                                  total_column=self.total_column,
                                  known_totals=self.known_totals)
        by_number = {r.number: r for r in self.rows}
        found = recoverable(self.totals.equations,
                            lambda c: by_number[c[0]].counts.get(c[1]))
        names = self.resource.schema.field_names
        for (number, name), used in sorted(found.items(),
                                           key=lambda kv: (kv[0][0], names.index(kv[0][1]))):
            sources = [eq.source for eq in used]
            how = f"from {sources[0]}" if len(sources) == 1 else (
                f"by combining {len(sources)} totals: " + "; ".join(sources[:3])
                + ("; …" if len(sources) > 3 else ""))
            cells = self.cells[number]
            index = names.index(name)
            yield RecoverableCellError(
                note=f"suppressed cell can be recalculated {how}; suppress another "
                "cell in the same line (complementary suppression)",
                cells=cells, row_number=number, cell=cells[index] if index < len(cells)
                else "", field_name=name, field_number=index + 1)


@dataclass(frozen=True)
class Violation:
    """One cell that breaks the policy. ``row`` is the CSV row (the header is row 1),
    ``column`` the field position (1-based)."""

    file: str
    row: int
    column: int
    field: str
    code: str
    message: str

    def render(self) -> str:
        return f"{self.file}:{self.row}:{self.column} {self.code}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_problem(self, pointer: str = "/sample", hint: str = "") -> Problem:
        """As a catalog problem (once these codes are registered in ``catalog.problems``)."""
        return Problem.make(self.code, f"{self.field}: {self.message}", file=self.file,
                            line=self.row, column=self.column, pointer=pointer, hint=hint)


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
    notes: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["valid"] = self.ok
        return out


def _resource(path: Path) -> Resource:
    kw: dict[str, Any] = {"path": path.name, "basepath": str(path.resolve().parent),
                          "detector": Detector(field_type="string", field_missing_values=[])}
    if path.suffix.lower() in (".csv", ".tsv", ".txt", ""):
        kw["format"] = "csv"
    return Resource(**kw)


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with _resource(path) as resource:
            header = list(resource.schema.field_names)
            rows = [{k: "" if v is None else str(v).strip() for k, v in row.items()}
                    for row in resource.row_stream]
    except (FrictionlessException, OSError, UnicodeError, csv.Error) as exc:
        raise CatalogError(f"{path}: cannot be read as a table ({exc})",
                           hint="give a CSV file with a header row") from None
    return header, rows


def _numeric(values: Sequence[str]) -> bool:
    return bool(values) and all(_NUMBER.match(v) for v in values)


def detect_count_columns(header: Sequence[str], rows: Sequence[dict[str, str]],
                         markers: Iterable[str]) -> list[str]:
    """Columns whose every non-blank value is a whole number or a suppression marker,
    except those named like a year, code or identifier (labels) or a rate, percentage or
    average (measures). A column that is blank throughout is not a count column."""
    marks = set(markers)
    out = []
    for name in header:
        if KEY_WORDS.union(MEASURE_WORDS).intersection(words(name)):
            continue
        values = [v for v in (r.get(name, "") for r in rows) if v]
        if values and all(v in marks or parse_count(v) is not None for v in values):
            out.append(name)
    return out


def detect_key_columns(header: Sequence[str], rows: Sequence[dict[str, str]],
                       counts: Sequence[str]) -> list[str]:
    """Label columns: the non-count columns holding text, plus numeric ones named like a
    year, code or identifier."""
    out = []
    for name in header:
        if name in counts:
            continue
        values = [r.get(name, "") for r in rows if r.get(name, "")]
        if values and (not _numeric(values) or KEY_WORDS.intersection(words(name))):
            out.append(name)
    return out


def audit_file(path: Path, policy: SuppressionPolicy, *,
               count_columns: Sequence[str] | None = None,
               count_columns_from: str | None = None,
               key_columns: Sequence[str] | None = None,
               total_column: str | None = None,
               known_totals: dict[str, int] | None = None,
               markers: Sequence[str] = (),
               display: str | None = None) -> Audit:
    """Check one CSV file against ``policy``. Count columns are ``count_columns`` when
    given, else auto-detected; label columns are ``key_columns`` when given, else the
    non-count text columns. Raises :class:`CatalogError` when the file cannot be read
    or a named column does not exist."""
    path = Path(path)
    shown = display or str(path)
    marks = ["", policy.symbol, *markers]
    header, rows = _read(path)
    if count_columns is None:
        counts = detect_count_columns(header, rows, marks)
        source = "auto-detected"
    else:
        counts, source = list(count_columns), count_columns_from or "option"
    keys = list(key_columns) if key_columns is not None else \
        detect_key_columns(header, rows, counts)
    keys = [k for k in keys if k not in counts]
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
    check = SmallNCheck.for_policy(policy, count_columns=counts, key_columns=keys,
                                   markers=list(markers), total_column=total_column,
                                   known_totals=dict(known_totals or {}))
    resource = _resource(path)
    report = resource.validate(Checklist(checks=[check]), limit_errors=0)
    structural = 0
    for error in report.tasks[0].errors if report.tasks else report.errors:
        if error.type in CODES:
            cell: Any = error  # one of this module's cell errors
            audit.violations.append(Violation(shown, cell.row_number, cell.field_number,
                                              cell.field_name, cell.type, cell.note))
        elif isinstance(error, (errors.RowError, errors.LabelError)):
            structural += 1
        else:
            raise CatalogError(f"{shown}: {error.message}",
                               hint="give a CSV file with a header row")
    if structural:
        audit.notes.append(f"{structural} structural problem(s) (blank rows, missing or "
                           "extra cells, odd headers) ignored; see `frictionless validate`")
    if check.totals is not None:
        audit.total_column = check.totals.total_column
        audit.total_rows = check.totals.total_rows
        audit.notes.extend(check.totals.notes)
    elif not policy.complementary:
        audit.notes.append(f"{policy.id} does not require complementary suppression: "
                           "totals not checked")
    audit.violations.sort(key=lambda v: (v.row, v.column, v.code))
    return audit


def check_file(path: Path, policy: SuppressionPolicy,
               count_columns: Sequence[str] | None = None) -> list[Violation]:
    """The violations of ``policy`` in a CSV file (count columns auto-detected unless
    given)."""
    return audit_file(path, policy, count_columns=count_columns).violations


def dataset_layout(d: "Dataset") -> dict[str, Any]:
    """How a descriptor says to read its sample: count fields, primary key, markers."""
    assert d.schema_ is not None
    pk = d.schema_.primaryKey
    keys = [pk] if isinstance(pk, str) else list(pk or [])
    counts = [f.name for f in d.schema_.fields if f.count]
    return {"count_columns": counts, "count_columns_from": "descriptor",
            "key_columns": [k for k in keys if k not in counts] or None,
            "markers": list(d.schema_.missingValues or [])}


def check_dataset(entry: "Entry[Dataset]", inv: "Inventory") -> list[Violation]:
    """Violations in a dataset's sample of the suppression policy it names. Nothing when
    there is no sample, no policy, no count field, or when the sample cannot be read
    (``sample-not-found``/``sample-invalid`` report that)."""
    d = entry.model
    if not d.sample or d.schema_ is None or d.disclosure is None:
        return []
    policy = inv.standards.policies.get(d.disclosure.suppression_policy or "")
    path = entry.source.path.parent / d.sample
    if policy is None or not inv.project.inside(path) or not path.is_file():
        return []
    layout = dataset_layout(d)
    if not layout["count_columns"]:
        return []
    try:
        return audit_file(path, policy, display=inv.project.rel(path), **layout).violations
    except CatalogError:
        return []
