"""Frictionless checks: each data dictionary is a valid Table Schema, and a descriptor's
sample file (if any) is valid data under that schema."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import problems as P
from ..problems import Problem
from .conformance import inherited_constraints

if TYPE_CHECKING:
    from ..model import Dataset
    from ..standards import Standards
    from . import Entry, Inventory

# catalog-only field properties: Frictionless ignores unknown properties, but a sample
# resource is built from the pure Table Schema
EXTENSIONS = ("standard", "pii", "demographic", "internal", "count", "unit")

_WHERE = (("primary key", "/schema/primaryKey"), ("foreign key", "/schema/foreignKeys"))
HINT = "see https://specs.frictionlessdata.io/table-schema/"


def table_schema(d: "Dataset", std: "Standards | None" = None) -> dict[str, Any]:
    """The data dictionary as a plain Frictionless Table Schema descriptor; with ``std``,
    fields also get the constraints they inherit from their common-element standard."""
    assert d.schema_ is not None
    raw = d.schema_.model_dump(exclude_none=True, by_alias=True)
    for f, model in zip(raw["fields"], d.schema_.fields, strict=True):
        for key in EXTENSIONS:
            f.pop(key, None)
        element = std.elements.get(model.standard) if std and model.standard else None
        if element is not None:
            extra = inherited_constraints(model, element, std)  # type: ignore[arg-type]
            if extra:
                f["constraints"] = {**f.get("constraints", {}), **extra}
    return raw


def _schema_pointer(note: str, raw: dict[str, Any]) -> str:
    for needle, pointer in _WHERE:
        if needle in note:
            return pointer
    names = [f.get("name") for f in raw.get("fields", []) if isinstance(f, dict)]
    if "not unique" in note:
        seen: set[Any] = set()
        for i, name in enumerate(names):
            if name in seen:
                return f"/schema/fields/{i}/name"
            seen.add(name)
    for i, name in enumerate(names):
        if name and re.search(rf'\b{re.escape(str(name))}\b', note):
            return f"/schema/fields/{i}"
    return "/schema"


_PY_TYPES = {"integer": (int,), "number": (int, float), "boolean": (bool,)}


def _constraint_problems(entry: "Entry[Dataset]") -> Iterator[Problem]:
    """What Frictionless does not check when reading a schema: regexes and enum types."""
    assert entry.model.schema_ is not None
    for i, f in enumerate(entry.model.schema_.fields):
        c = f.constraints
        if c is None:
            continue
        where = f"/schema/fields/{i}/constraints"
        if c.pattern is not None:
            try:
                re.compile(c.pattern)
            except re.error as exc:
                yield entry.doc.problem(P.TABLE_SCHEMA_INVALID, f"field '{f.name}': pattern "
                                        f"is not a valid regular expression ({exc})",
                                        where + "/pattern", hint="quote the pattern in single "
                                        "quotes and escape special characters")
        wanted = _PY_TYPES.get(f.type)
        if wanted and c.enum is not None:
            bad = [v for v in c.enum if not isinstance(v, wanted) or
                   (f.type != "boolean" and isinstance(v, bool))]
            if bad:
                yield entry.doc.problem(P.TABLE_SCHEMA_INVALID, f"field '{f.name}' is "
                                        f"{f.type} but enum has {bad[0]!r}", where + "/enum",
                                        hint=f"enum values must be of type {f.type}")


# Free text cannot make a field invalid (pydantic checked it is text): a field's validity
# depends on the rest of its descriptor, its "shape", which few fields don't share.
FREE_TEXT = frozenset({"name", "title", "description", "example", "rdfType"})
SCHEMA_LEVEL = ("primaryKey", "foreignKeys", "missingValues")


_SHAPES: dict[str, tuple[str, ...]] = {}


def known_shapes() -> dict[str, tuple[str, ...]]:
    """The memo of field shapes (a build keeps it, so a rebuild seldom needs Frictionless)."""
    return _SHAPES


def _shape_notes(field: dict[str, Any]) -> tuple[str, ...]:
    """Frictionless's verdict on one field's shape (everything but its free text),
    memoised: each distinct shape is validated once per process."""
    shape = {k: v for k, v in field.items() if k not in FREE_TEXT}
    key = repr(sorted(shape.items()))
    notes = _SHAPES.get(key)
    if notes is None:
        from frictionless import Field

        report = Field.validate_descriptor({"name": "field", **shape})
        notes = _SHAPES[key] = tuple(getattr(e, "note", "") or e.message
                                     for e in report.errors)
    return notes


def check_schema(entry: "Entry[Dataset]") -> Iterator[Problem]:
    """Frictionless on each field (by shape) and, where the schema has keys, duplicate
    names or missing values, on the whole schema."""
    yield from _constraint_problems(entry)
    raw = entry.doc.data.get("schema")
    descriptor = table_schema(entry.model)
    for i, f in enumerate(descriptor["fields"]):
        for note in _shape_notes(f):
            yield entry.doc.problem(P.TABLE_SCHEMA_INVALID, f"field '{f['name']}': {note}",
                                    f"/schema/fields/{i}", hint=HINT)
    names = [f["name"] for f in descriptor["fields"]]
    if len(set(names)) == len(names) and not any(k in descriptor for k in SCHEMA_LEVEL):
        return
    from frictionless import Schema  # imported only when needed: it takes a third of a second

    report = Schema.validate_descriptor(descriptor)
    for error in report.errors:
        note = getattr(error, "note", "") or error.message
        if error.type == "field-error":
            continue  # reported above, with the field's position
        yield entry.doc.problem(P.TABLE_SCHEMA_INVALID, note, _schema_pointer(note, raw),
                                hint=HINT)


BLOCK = 1 << 20  # a sample is read in blocks of this many bytes, never whole


def _position(head: bytes) -> tuple[int, int]:
    """Line and column (characters, from 1) just after ``head``, the text before it."""
    line = head.count(b"\n") + 1
    last = head[head.rfind(b"\n") + 1:]
    return line, len(last.decode("utf-8", "replace")) + 1


def scan_text(path: Path, rel: str, limit: int) -> Problem | None:
    """The first reason ``path`` is not a sample the catalog reads: larger than ``limit``
    bytes (checked before reading it), a byte that is not UTF-8, or a null byte; with
    its line and column. Reads the file in blocks, keeping only the current line."""
    size = path.stat().st_size
    if size > limit:
        return Problem.make(P.SAMPLE_TOO_LARGE, f"sample is {size:,} bytes; the limit is "
                            f"{limit:,} ({limit // (1024 * 1024)} MiB)", file=rel,
                            hint="a sample is a few thousand rows: cut it down (e.g. head "
                            "-n 5000), or raise sample_limit_mib in inventory/_catalog.yml")
    lines_before = 0  # newlines in the blocks already read
    line_start = b""  # the current line so far (what precedes the next block on it)
    carry = b""  # the start of a character cut by the end of the last block
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            data = carry + block
            carry = b""
            nul = data.find(b"\0")
            text_part = data if nul < 0 else data[:nul]
            try:
                text_part.decode("utf-8")
            except UnicodeDecodeError as exc:
                cut = exc.reason == "unexpected end of data" and nul < 0 \
                    and len(data) - exc.start < 4
                if not cut:
                    line, column = _position(line_start + data[:exc.start])
                    return Problem.make(
                        P.SAMPLE_NOT_UTF8, f"byte 0x{data[exc.start]:02x} is not UTF-8",
                        file=rel, line=lines_before + line, column=column,
                        hint="save the file as UTF-8 (a CSV from Excel on Windows is often "
                        "Windows-1252: iconv -f CP1252 -t UTF-8 in.csv > out.csv)")
                carry, data = data[exc.start:], data[:exc.start]
            if nul >= 0:
                line, column = _position(line_start + data[:nul])
                return Problem.make(P.SAMPLE_NULL_BYTE, "a null byte (0x00): the file is not "
                                    "text, or was saved as UTF-16", file=rel,
                                    line=lines_before + line, column=column,
                                    hint="export the data as CSV in UTF-8; remove the null "
                                    "bytes (tr -d '\\000')")
            newlines = data.count(b"\n")
            if newlines:
                lines_before += newlines
                line_start = data[data.rfind(b"\n") + 1:]
            else:
                line_start += data
            line_start = line_start[-BLOCK:]  # a column past a MiB is counted from there
    if carry:
        line, column = _position(line_start)
        return Problem.make(P.SAMPLE_NOT_UTF8, f"the file ends inside a character "
                            f"(byte 0x{carry[0]:02x})", file=rel, line=lines_before + line,
                            column=column, hint="save the file as UTF-8")
    return None


def check_sample(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    from frictionless import Resource, Schema

    d, doc = entry.model, entry.doc
    assert d.sample is not None
    base = entry.source.path.parent
    path = base / d.sample
    if not inv.project.inside(path) or not path.is_file():
        why = "points outside the project" if not inv.project.inside(path) else "does not exist"
        yield doc.problem(P.SAMPLE_NOT_FOUND, f"sample '{d.sample}' {why}", "/sample",
                          hint="give a path relative to this descriptor, e.g. samples/x.csv")
        return
    rel = inv.project.rel(path)
    unreadable = scan_text(path, rel, inv.sample_limit)
    if unreadable is not None:
        yield unreadable
        return
    from .disclosure import suppression_markers

    descriptor = table_schema(d, inv.standards)
    if extra := suppression_markers(entry, inv):  # the policy's own symbols are not errors
        descriptor["missingValues"] = list(dict.fromkeys(
            [*descriptor.get("missingValues", [""]), *extra]))
    # UTF-8, checked above: Frictionless need not guess; it streams the rows
    resource = Resource(path=d.sample, basepath=str(base), encoding="utf-8",
                        schema=Schema.from_descriptor(descriptor))
    report = resource.validate()
    for error in report.flatten(["rowNumber", "fieldNumber", "type", "note", "message"]):
        row, column, kind, note, message = error
        yield P.Problem.make(P.SAMPLE_INVALID, f"{kind}: {message}", file=rel, line=row,
                             column=column, pointer="/sample",
                             hint=f"the data dictionary is in {doc.rel} (fields naming a "
                             "standard allow only its values); fix the data or the field")


def check_dictionary(entry: "Entry[Dataset]", inv: "Inventory") -> list[Problem]:
    """The data dictionary, then (when it is sound) the sample data against it."""
    if entry.model.schema_ is None:
        return []
    problems = list(check_schema(entry))
    if entry.model.sample and not problems:
        problems.extend(check_sample(entry, inv))
    return problems

