"""Validate stage: load every file, check its shape, then the cross-file rules.

``validate_project`` never stops at the first problem: it returns an :class:`Inventory`
holding every model that parsed, the per-field conformance results and the
:class:`~catalog.problems.Report` of every problem found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ..load import Document, load_file
from ..model import Agency, Agreement, CatalogInfo, DataRequest, Dataset
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


def validate_project(project: Project, *, today: dt.date | None = None,
                     progress: Progress | None = None) -> Inventory:
    from . import agreements, conformance, policy, references, requests, tableschema

    standards, std_problems = load_standards(project)
    inv = Inventory(project=project, standards=standards, today=today or dt.date.today())
    inv.report.extend(std_problems)
    found: Discovery = discover(project)
    inv.report.extend(found.problems)

    for source, doc, model, problems in load_sources(found.sources, progress):
        inv.documents.append(doc)
        inv.report.extend(doc.problems)
        inv.report.extend(problems)
        if model is None:
            continue
        if isinstance(model, CatalogInfo):
            inv.catalog = Entry(source, doc, model)
            continue
        tables: dict[str, dict[str, Any]] = {
            "agency": inv.agencies, "dataset": inv.datasets, "agreement": inv.agreements,
            "request": inv.requests}
        table = tables[source.kind]
        key = model.id  # type: ignore[attr-defined]
        if key in table:
            inv.report.add(references.duplicate(doc, key, table[key]))
            continue
        table[key] = Entry(source, doc, model)

    inv.report.extend(references.check(inv))
    inv.report.extend(conformance.check(inv))
    inv.report.extend(tableschema.check(inv))
    inv.report.extend(_suppression(inv))
    inv.report.extend(policy.check(inv))
    inv.report.extend(agreements.check(inv))
    inv.report.extend(requests.check(inv))
    return inv


def _suppression(inv: Inventory) -> list[Problem]:
    """Sample files checked against the small-N policy their dataset names."""
    from ..governance.suppression import check_dataset

    unreadable = {p.file for p in inv.report if p.code in ("sample-invalid", "sample-not-found")}
    out: list[Problem] = []
    for entry in inv.datasets.values():
        if entry.model.sample is None:
            continue
        sample = inv.project.rel(entry.source.path.parent / entry.model.sample)
        if entry.source.rel in unreadable or sample in unreadable:
            continue
        hint = (f"the policy is {entry.model.disclosure.suppression_policy}"
                if entry.model.disclosure else "")
        out.extend(v.to_problem(hint=hint) for v in check_dataset(entry, inv))
    return out


def filter_report(report: Report, project: Project, paths: Iterable[Path]) -> Report:
    """Only the problems of files under ``paths`` (validation still sees everything)."""
    wanted = [project.rel(p.resolve()) for p in paths]
    keep = Report()
    keep.extend(p for p in report if any(
        p.file == w or p.file.startswith(w.rstrip("/") + "/") or w in (".", "")
        for w in wanted))
    return keep
