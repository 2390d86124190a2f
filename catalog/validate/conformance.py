"""Standards conformance: does a field that names a common element follow it?

Each field with ``standard:`` gets a :class:`Conformance`: ``conformant`` (type and any
constraints the field declares agree with the element), ``partial`` (compatible, but a
deprecated element, a different format or a different pattern), or ``nonconformant``
(incompatible type, values or bounds the element does not allow).

A field that names an element inherits the element's constraints (allowed values,
pattern, bounds) where it declares none: :func:`inherited_constraints` gives them to
Frictionless when a sample file is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import problems as P
from ..problems import Problem

if TYPE_CHECKING:
    from ..load import Document
    from ..model import Dataset
    from ..model.dataset import SchemaField
    from ..model.standards import Element
    from ..standards import Standards
    from . import Entry

CONFORMANT, PARTIAL, NONCONFORMANT = "conformant", "partial", "nonconformant"


@dataclass
class Conformance:
    dataset_id: str
    field_name: str
    standard: str
    status: str = CONFORMANT
    details: list[str] = field(default_factory=list)

    def downgrade(self, status: str, detail: str) -> None:
        order = (CONFORMANT, PARTIAL, NONCONFORMANT)
        if order.index(status) > order.index(self.status):
            self.status = status
        self.details.append(detail)


def assess(f: "SchemaField", element: "Element", std: "Standards", dataset_id: str,
           doc: "Document", pointer: str) -> tuple[Conformance, list[Problem]]:
    """Compare one field with its element; the problems explain every downgrade."""
    result = Conformance(dataset_id, f.name, element.id)
    problems: list[Problem] = []

    def flag(code: str, status: str, message: str, where: str, hint: str = "") -> None:
        result.downgrade(status, message)
        problems.append(doc.problem(code, f"field '{f.name}': {message}", pointer + where,
                                    hint=hint))

    c = f.constraints
    if f.type not in element.types:
        flag(P.STANDARD_TYPE_MISMATCH, NONCONFORMANT,
             f"type '{f.type}' is not allowed by {element.id} ({', '.join(element.types)})",
             "/type", hint=f"use type: {element.types[0]}")
    if element.status == "deprecated":
        instead = f"; use {element.superseded_by}" if element.superseded_by else ""
        flag(P.STANDARD_DEPRECATED, PARTIAL, f"{element.id} is deprecated{instead}", "/standard",
             hint="plan a migration of this field to the current standard")
    if element.format and f.format != element.format:
        flag(P.STANDARD_FORMAT_MISMATCH, PARTIAL,
             f"format '{f.format or 'default'}' differs from {element.id}'s '{element.format}'",
             "/format", hint=f"add format: {element.format}")
    allowed = std.allowed(element.id)
    enum = c.enum if c and c.enum is not None else None
    if allowed is not None and enum is not None:
        extra = [v for v in enum if str(v) not in allowed]
        if extra:
            shown = ", ".join(repr(v) for v in extra[:5]) + ("…" if len(extra) > 5 else "")
            flag(P.STANDARD_VALUE_MISMATCH, NONCONFORMANT,
                 f"allows {len(extra)} value(s) not in {element.id}: {shown}",
                 "/constraints/enum", hint=f"use the codes of standards/elements/{element.id}.yml")
    pattern = c.pattern if c else None
    if element.pattern and f.type == "string" and pattern and pattern != element.pattern:
        flag(P.STANDARD_PATTERN_MISMATCH, PARTIAL,
             f"pattern {pattern!r} differs from {element.id}'s {element.pattern!r}",
             "/constraints/pattern", hint=f"use pattern: '{element.pattern}' or remove it "
             "(the standard's pattern applies)")
    for bound, word in ((element.minimum, "minimum"), (element.maximum, "maximum")):
        value = getattr(c, word) if c else None
        if bound is None or not isinstance(value, (int, float)):
            continue
        if (value < bound) if word == "minimum" else (value > bound):
            flag(P.STANDARD_VALUE_MISMATCH, NONCONFORMANT,
                 f"{word} {value} is outside {element.id}'s {bound}", f"/constraints/{word}",
                 hint=f"use {word}: {bound} or remove it (the standard's bound applies)")
    return result, problems


def assess_fields(entry: "Entry[Dataset]", std: "Standards"
                  ) -> tuple[dict[str, Conformance], list[Problem]]:
    """Each field that names a standard, assessed against it (keyed by field name)."""
    results: dict[str, Conformance] = {}
    problems: list[Problem] = []
    schema = entry.model.schema_
    if schema is None:
        return results, problems
    demographic = std.demographic_ids
    for i, f in enumerate(schema.fields):
        pointer = f"/schema/fields/{i}"
        if not f.standard or f.standard not in std.elements:
            continue
        result, found = assess(f, std.elements[f.standard], std, entry.model.id,
                               entry.doc, pointer)
        results[f.name] = result
        problems.extend(found)
        if f.standard in demographic and not f.demographic:
            problems.append(entry.doc.problem(
                P.MISSING_DEMOGRAPHIC_FLAG, f"field '{f.name}' follows {f.standard} but is "
                "not flagged demographic", pointer + "/standard",
                hint="add demographic: true (counts toward disaggregation reporting)"))
    return results, problems


def inherited_constraints(f: "SchemaField", element: "Element", std: "Standards"
                          ) -> dict[str, object]:
    """Constraints the field gets from its element, for the data checks."""
    declared = f.constraints.model_dump(exclude_none=True) if f.constraints else {}
    out: dict[str, object] = {}
    allowed = std.allowed(element.id)
    if f.type == "string" and allowed is not None and "enum" not in declared:
        out["enum"] = sorted(allowed)
    if f.type == "string" and element.pattern and "pattern" not in declared \
            and "enum" not in declared:
        out["pattern"] = element.pattern
    if f.type in ("integer", "number"):
        for word in ("minimum", "maximum"):
            bound = getattr(element, word)
            if bound is not None and word not in declared:
                out[word] = int(bound) if f.type == "integer" else bound
    return out
