"""Load ``standards/``: common elements (with CSV-backed value lists), classification
levels, suppression policies and vocabularies. Standards are data, loaded and validated
like descriptors."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import problems as P
from .load import Document, load_file
from .model.check import check
from .model.standards import (
    Classification,
    Element,
    Level,
    Pack,
    Suppression,
    SuppressionPolicy,
    Value,
    Vocabularies,
)
from .problems import Problem
from .project import YAML_SUFFIXES, Project


@dataclass
class Standards:
    elements: dict[str, Element] = field(default_factory=dict)
    element_docs: dict[str, Document] = field(default_factory=dict)
    values: dict[str, list[Value]] = field(default_factory=dict)
    levels: dict[str, Level] = field(default_factory=dict)
    policies: dict[str, SuppressionPolicy] = field(default_factory=dict)
    vocabularies: Vocabularies | None = None
    packs: dict[str, Pack] = field(default_factory=dict)
    pack_docs: dict[str, Document] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    # answers of terms()/allowed(), asked once per field of every descriptor
    _memo: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False,
                                              compare=False)

    def terms(self, vocabulary: str) -> dict[str, str]:
        """id → title of one vocabulary ({} when vocabularies.yml is missing)."""
        key = ("terms", vocabulary)
        if key not in self._memo:
            self._memo[key] = {} if self.vocabularies is None else {
                t.id: t.title for t in getattr(self.vocabularies, vocabulary)}
        return self._memo[key]  # type: ignore[no-any-return]

    def allowed(self, element_id: str) -> set[str] | None:
        """The values a field following ``element_id`` may hold (None: not enumerated)."""
        key = ("allowed", element_id)
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        element = self.elements.get(element_id)
        values = self.values.get(element_id)
        out: set[str] | None = None
        if element is not None and values is not None:
            out = set()
            for v in values:
                if element.match in ("code", "code-or-label"):
                    out.add(v.code)
                if element.match in ("label", "code-or-label"):
                    out.add(v.label)
        self._memo[key] = out
        return out

    @property
    def demographic_ids(self) -> set[str]:
        return {e.id for e in self.elements.values() if e.category == "demographic"}

    @property
    def locational_ids(self) -> set[str]:
        return {e.id for e in self.elements.values() if e.category == "locational"}


def _read_values(element: Element, doc: Document, base: Path,
                 project: Project) -> tuple[list[Value] | None, list[Problem]]:
    if element.values is not None:
        return element.values, []
    spec = element.values_from
    if spec is None:
        return None, []
    path = base / spec.path
    if not project.inside(path) or not path.is_file():
        return None, [doc.problem(P.STANDARD_VALUES_UNREADABLE, f"{spec.path} does not exist",
                                  "/values_from/path", hint="paths are relative to standards/")]
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        return None, [doc.problem(P.STANDARD_VALUES_UNREADABLE, f"{spec.path} cannot be read: "
                                  f"{exc}", "/values_from/path",
                                  hint="save the CSV as UTF-8 with a header row")]
    columns = set(rows[0]) if rows else set()
    missing = [c for c in (spec.code, spec.label, *spec.attributes) if c not in columns]
    if missing:
        return None, [doc.problem(
            P.STANDARD_VALUES_UNREADABLE, f"{spec.path} has no column(s) {', '.join(missing)}",
            "/values_from", hint="columns: " + ", ".join(sorted(columns)))]
    return [Value(code=r[spec.code], label=r[spec.label],
                  attributes={a: r[a] for a in spec.attributes}) for r in rows], []


def load_standards(project: Project) -> tuple[Standards, list[Problem]]:
    std = Standards()
    out: list[Problem] = []
    base = project.standards_dir

    def read(path: Path) -> Document:
        doc = load_file(path, project.rel(path))
        std.documents.append(doc)
        out.extend(doc.problems)
        return doc

    for _path, doc, element in _each(base / "elements", Element, read, out):
        if element.id in std.elements:
            out.append(doc.problem(P.DUPLICATE_ID, f"element '{element.id}' is defined twice",
                                   "/id"))
            continue
        std.elements[element.id] = element
        std.element_docs[element.id] = doc
        values, problems = _read_values(element, doc, base, project)
        out.extend(problems)
        if values is not None:
            std.values[element.id] = values
    for element_id, element in std.elements.items():
        if element.superseded_by and element.superseded_by not in std.elements:
            out.append(std.element_docs[element_id].problem(
                P.UNKNOWN_STANDARD, f"superseded_by '{element.superseded_by}' is not an element",
                "/superseded_by"))

    singles = (("classification.yml", Classification), ("suppression.yml", Suppression),
               ("vocabularies.yml", Vocabularies))
    for name, model in singles:
        path = base / name
        if not path.is_file():
            continue
        doc = read(path)
        if doc.data is None:
            continue
        parsed, problems = check(doc, model)
        out.extend(problems)
        if isinstance(parsed, Classification):
            std.levels = {lv.id: lv for lv in parsed.levels}
        elif isinstance(parsed, Suppression):
            std.policies = {p.id: p for p in parsed.policies}
        elif isinstance(parsed, Vocabularies):
            std.vocabularies = parsed
    out.extend(_load_packs(std, base, read))
    return std, out


M = TypeVar("M", Element, Pack)


def _each(folder: Path, model: type[M], read: Any, out: list[Problem]
          ) -> Iterator[tuple[Path, Document, M]]:
    """The files of a folder of standards that hold a valid ``model`` whose id is the
    file's name (problems into ``out``)."""
    paths = sorted(p for p in folder.glob("*") if p.suffix in YAML_SUFFIXES) \
        if folder.is_dir() else []
    for path in paths:
        doc = read(path)
        if doc.data is None:
            continue
        parsed, problems = check(doc, model)
        out.extend(problems)
        if parsed is None:
            continue
        if parsed.id != path.stem:
            out.append(doc.problem(P.ID_FILENAME_MISMATCH, f"id '{parsed.id}' differs from the "
                                   f"file name '{path.name}'", "/id",
                                   hint=f"rename the file to {parsed.id}.yml or fix the id"))
        yield path, doc, parsed


def _load_packs(std: Standards, base: Path, read: Any) -> list[Problem]:
    """``packs/*.yml``: policy packs (their regular expressions and the suppression
    policies they name are checked here)."""
    import re

    out: list[Problem] = []
    for _path, doc, pack in _each(base / "packs", Pack, read, out):
        settings = pack.settings
        texts = {"/settings/archive_ref_pattern": settings.archive_ref_pattern,
                 **{f"/settings/approvers/{k}": v for k, v in settings.approvers.items()}}
        for i, r in enumerate(pack.rules):
            for key, want in r.require.items():
                if isinstance(want, dict) and isinstance(want.get("pattern"), str):
                    texts[f"/rules/{i}/require/{key}/pattern"] = want["pattern"]
        for pointer, text in texts.items():
            try:
                re.compile(text or "")
            except re.error as exc:
                out.append(doc.problem(P.INVALID_VALUE, f"not a valid regular expression "
                                       f"({exc})", pointer,
                                       hint="quote the pattern in single quotes"))
        policy = settings.suppression_policy
        if policy and policy not in std.policies:
            out.append(doc.problem(P.UNKNOWN_SUPPRESSION_POLICY, f"suppression policy "
                                   f"'{policy}' does not exist", "/settings/suppression_policy",
                                   hint="policies: " + ", ".join(std.policies)))
        std.packs[pack.id] = pack
        std.pack_docs[pack.id] = doc
    return out
