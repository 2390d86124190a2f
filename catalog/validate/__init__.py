"""Validate stage: load a file and check its shape, then the rules over it.

The pieces the build pipeline (:mod:`catalog.build`) runs: :func:`start` (the standards
and what discovery found), :func:`load_sources` and :func:`add_entry` (a file's model,
or its problems), :func:`repeats_id` (the first file of an id wins, for files loaded now
and cached alike), :func:`dataset_rules` (every per-file rule of a descriptor) and
:func:`register_rules` (the cross-file rules). Nothing stops at the first problem: an
:class:`Inventory` holds every model that parsed and the
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
from ..model.check import check_partial
from ..problems import Problem, Report
from ..project import Discovery, Project, Source, discover
from ..standards import Standards, load_standards
from .conformance import Conformance
from .facts import DatasetFacts

M = TypeVar("M", bound=BaseModel)


@dataclass
class Entry(Generic[M]):
    """One file of the inventory and its parsed model. A *partial* entry's model holds
    only the top-level properties that are valid; ``broken`` names the others."""

    source: Source
    doc: Document
    model: M
    broken: frozenset[str] = frozenset()
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def has(self, *names: str) -> bool:
        """The model holds these top-level properties as the file wrote them (valid,
        or absent with their defaults)."""
        return not self.broken.intersection(names)


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
    facts: dict[str, DatasetFacts] = field(default_factory=dict)
    """derived facts of every dataset (of partial descriptors too), by id"""
    partial: list[Entry[Any]] = field(default_factory=list)
    """files with errors, whose valid parts the rules still check"""

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

Loaded = tuple[Source, Document, "BaseModel | None", list[Problem], frozenset[str]]


def load_sources(sources: Iterable[Source]) -> list[Loaded]:
    """Per-file work (parse + shape check): independent of every other file. A file
    with errors in some properties gives a partial model and the names of the broken
    ones."""
    out = []
    for source in sources:
        doc = load_file(source.path, source.rel)
        model: BaseModel | None = None
        problems: list[Problem] = []
        broken: frozenset[str] = frozenset()
        if doc.data is not None:
            model, problems, broken = check_partial(doc, MODELS[source.kind])
        out.append((source, doc, model, problems, broken))
    return out


def repeats_id(inv: Inventory, key: str, first: str | None,
               locate: Callable[[], Document | None]) -> bool:
    """The first file of an id wins: False when none holds ``key`` yet (``first`` is
    None); else True, and ``references.duplicate`` of the later file (at ``/id`` of the
    document ``locate`` gives; a build reads a cached file again only then) in
    ``inv.report``."""
    from .references import duplicate

    if first is None:
        return False
    doc = locate()
    if doc is not None:
        inv.report.add(duplicate(doc, key, first))
    return True


def add_entry(inv: Inventory, source: Source, doc: Document, model: BaseModel | None,
              problems: list[Problem], broken: frozenset[str] = frozenset()) -> bool:
    """Record one loaded file; False when it holds no usable model or repeats an id (a
    partial model goes to ``inv.partial``, for the rules that can still run on it)."""
    inv.documents.append(doc)
    inv.report.extend(doc.problems)
    inv.report.extend(problems)
    if model is None:
        return False
    if broken:
        inv.partial.append(Entry(source, doc, model, broken))
        return False
    if isinstance(model, CatalogInfo):
        inv.catalog = Entry(source, doc, model)
        return True
    tables: dict[str, dict[str, Any]] = {
        "agency": inv.agencies, "dataset": inv.datasets, "agreement": inv.agreements,
        "request": inv.requests}
    table = tables[source.kind]
    key = model.id  # type: ignore[attr-defined]
    held = table.get(key)
    if repeats_id(inv, key, held.source.rel if held else None, lambda: doc):
        return False
    table[key] = Entry(source, doc, model)
    return True


def start(project: Project, today: dt.date | None = None, found: Discovery | None = None
          ) -> tuple[Inventory, Discovery]:
    """An inventory holding the standards (and their problems) and what discovery found
    (its problems too; ``found``, when given, is not discovered again); no descriptor
    read yet."""
    standards, std_problems = load_standards(project)
    inv = Inventory(project=project, standards=standards, today=today or dt.date.today())
    inv.report.extend(std_problems)
    found = discover(project) if found is None else found
    inv.report.extend(found.problems)
    return inv, found


def register_rules(inv: Inventory, datasets: Collection[str]) -> list[Problem]:
    """The cross-file rules: the small registers (requests and agreements: their ids,
    the datasets and agencies they name, and every rule of the registry that reads
    other files' facts), and the policy packs themselves. ``inv.facts`` holds the
    facts of every dataset."""
    from . import references, registry
    from .packs import check_packs

    known = set(datasets) | set(inv.facts)
    out = [*references.check_registers(inv, known), *check_packs(inv, registry.packs_used())]
    for target, table in (("agency", inv.agencies), ("agreement", inv.agreements),
                          ("request", inv.requests)):
        entries = [*table.values(), *(e for e in inv.partial if e.source.kind == target)]
        for entry in entries:
            for scope in ("file", "cross"):
                out.extend(registry.run(entry, inv, target, scope))  # type: ignore[arg-type]
    return out


CORE_NEEDS = ("id", "agency", "themes", "license", "lifecycle", "disclosure",
              "classification", "schema", "sample")


def dataset_rules(entry: Entry[Dataset], inv: Inventory
                  ) -> tuple[list[Problem], dict[str, Conformance]]:
    """Every rule that needs only this descriptor, the standards and its data files
    (the per-file half of validation; a build caches its outcome by the file's content
    hash). Returns the problems and the conformance of each field naming a standard.
    On a partial entry, each layer runs where the properties it reads are valid."""
    from . import conformance, references, registry, tableschema

    problems: list[Problem] = []
    results: dict[str, Conformance] = {}
    if entry.has(*CORE_NEEDS):
        problems.extend(references.dataset_references(entry, inv.standards))
    if entry.has("schema"):
        results, found = conformance.assess_fields(entry, inv.standards)
        problems.extend(found)
    if entry.has("schema", "sample", "disclosure"):
        problems.extend(tableschema.check_dictionary(entry, inv))
    problems.extend(registry.run(entry, inv, "dataset", "file"))
    return problems, results


def filter_report(report: Report, project: Project, paths: Iterable[Path]) -> Report:
    """Only the problems of files under ``paths`` (validation still sees everything)."""
    wanted = [project.rel(p.resolve()) for p in paths]
    keep = Report()
    keep.extend(p for p in report if any(
        p.file == w or p.file.startswith(w.rstrip("/") + "/") or w in (".", "")
        for w in wanted))
    return keep
