"""Validate stage: load every file, check its shape, then the cross-file rules.

``validate_project`` never stops at the first problem: it returns an :class:`Inventory`
holding every model that parsed, the per-field conformance results and the
:class:`~catalog.problems.Report` of every problem found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ..load import Document, load_file
from ..model import Agency, Agreement, CatalogInfo, DataRequest, Dataset
from ..model.agency import SAMPLE_LIMIT_MIB
from ..model.check import check
from ..problems import Problem, Report
from ..project import Discovery, Project, Source, discover
from ..standards import Standards, load_standards
from .conformance import Conformance

M = TypeVar("M", bound=BaseModel)


@dataclass
class Entry(Generic[M]):
    """One file of the inventory and its parsed model."""

    source: Source
    doc: Document
    model: M


@dataclass
class Inventory:
    project: Project
    standards: Standards
    agencies: dict[str, Entry[Agency]] = field(default_factory=dict)
    datasets: dict[str, Entry[Dataset]] = field(default_factory=dict)
    agreements: dict[str, Entry[Agreement]] = field(default_factory=dict)
    requests: dict[str, Entry[DataRequest]] = field(default_factory=dict)
    conformance: dict[tuple[str, str], Conformance] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    documents: list[Document] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)
    catalog: Entry[CatalogInfo] | None = None

    @property
    def base_url(self) -> str:
        return self.catalog.model.base_url.rstrip("/") if self.catalog else DEFAULT_BASE_URL

    @property
    def sample_limit(self) -> int:
        """The largest sample file validated, in bytes (``sample_limit_mib``)."""
        mib = self.catalog.model.sample_limit_mib if self.catalog else SAMPLE_LIMIT_MIB
        return mib * 1024 * 1024


MODELS: dict[str, type[BaseModel]] = {"agency": Agency, "dataset": Dataset,
                                      "agreement": Agreement, "catalog": CatalogInfo,
                                      "request": DataRequest}
DEFAULT_BASE_URL = "http://127.0.0.1:8001"

Progress = Callable[[int], None]


def load_sources(sources: Iterable[Source], progress: Progress | None = None
                 ) -> list[tuple[Source, Document, BaseModel | None, list[Problem]]]:
    """Per-file work (parse + shape check): independent of every other file."""
    out = []
    for source in sources:
        doc = load_file(source.path, source.rel)
        model: BaseModel | None = None
        problems: list[Problem] = []
        if doc.data is not None:
            model, problems = check(doc, MODELS[source.kind])
        out.append((source, doc, model, problems))
        if progress:
            progress(1)
    return out


def add_entry(inv: Inventory, source: Source, doc: Document, model: BaseModel | None,
              problems: list[Problem]) -> bool:
    """Record one loaded file; False when it holds no usable model or repeats an id."""
    from .references import duplicate

    inv.documents.append(doc)
    inv.report.extend(doc.problems)
    inv.report.extend(problems)
    if model is None:
        return False
    if isinstance(model, CatalogInfo):
        inv.catalog = Entry(source, doc, model)
        return True
    tables: dict[str, dict[str, Any]] = {
        "agency": inv.agencies, "dataset": inv.datasets, "agreement": inv.agreements,
        "request": inv.requests}
    table = tables[source.kind]
    key = model.id  # type: ignore[attr-defined]
    if key in table:
        inv.report.add(duplicate(doc, key, table[key].source.rel))
        return False
    table[key] = Entry(source, doc, model)
    return True


def start(project: Project, today: dt.date | None = None) -> tuple[Inventory, Discovery]:
    """An inventory holding the standards (and their problems) and what discovery found
    (its problems too); no descriptor read yet."""
    standards, std_problems = load_standards(project)
    inv = Inventory(project=project, standards=standards, today=today or dt.date.today())
    inv.report.extend(std_problems)
    found = discover(project)
    inv.report.extend(found.problems)
    return inv, found


def validate_project(project: Project, *, today: dt.date | None = None,
                     progress: Progress | None = None) -> Inventory:
    from . import references

    inv, found = start(project, today)
    for loaded in load_sources(found.sources, progress):
        add_entry(inv, *loaded)

    inv.report.extend(references.check_agencies(inv))
    for entry in inv.datasets.values():
        problems, results = dataset_rules(entry, inv)
        inv.report.extend(problems)
        inv.conformance.update({(entry.model.id, name): c for name, c in results.items()})
        inv.report.extend(references.check_links(entry, inv.agencies, inv.agreements))
    inv.report.extend(register_rules(inv, inv.datasets))
    return inv


def register_rules(inv: Inventory, datasets: Collection[str]) -> list[Problem]:
    """The rules of the small registers: requests and agreements (their ids, and the
    datasets and agencies they name; DCF 5-1 and 5-4)."""
    from . import agreements, references, requests

    return [*references.check_registers(inv, datasets), *agreements.check(inv),
            *requests.check(inv)]


def dataset_rules(entry: Entry[Dataset], inv: Inventory
                  ) -> tuple[list[Problem], dict[str, Conformance]]:
    """Every rule that needs only this descriptor, the standards and its sample file (the
    per-file half of validation; a build caches its outcome by the file's content hash).
    Returns the problems and the conformance of each field naming a standard."""
    from . import conformance, policy, references, tableschema

    problems = list(references.check_dataset(entry, inv.standards))
    results, found = conformance.check_dataset(entry, inv.standards)
    problems.extend(found)
    schema_problems = tableschema.check_dataset(entry, inv)
    problems.extend(schema_problems)
    problems.extend(_suppression(entry, inv, schema_problems))
    problems.extend(policy.check_dataset(entry, inv))
    return problems, results


def _suppression(entry: Entry[Dataset], inv: Inventory, schema_problems: list[Problem]
                 ) -> list[Problem]:
    """The sample file checked against the small-N policy its dataset names (unless the
    sample could not be read against its schema)."""
    if entry.model.sample is None or any(p.code.startswith("sample-") for p in schema_problems):
        return []
    from ..governance.suppression import check_dataset  # imports Frictionless


    hint = (f"the policy is {entry.model.disclosure.suppression_policy}"
            if entry.model.disclosure else "")
    return [v.to_problem(hint=hint) for v in check_dataset(entry, inv)]


def filter_report(report: Report, project: Project, paths: Iterable[Path]) -> Report:
    """Only the problems of files under ``paths`` (validation still sees everything)."""
    wanted = [project.rel(p.resolve()) for p in paths]
    keep = Report()
    keep.extend(p for p in report if any(
        p.file == w or p.file.startswith(w.rstrip("/") + "/") or w in (".", "")
        for w in wanted))
    return keep
