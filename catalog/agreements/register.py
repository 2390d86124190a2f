"""The agreements of a project read straight from ``inventory/_agreements/`` (and the
site address from ``inventory/_catalog.yml``), without validating the whole inventory:
the scheduled ``catalog agreements due`` job stays fast on a large inventory."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Agreement, CatalogInfo
from ..problems import Problem
from ..project import Project, discover
from ..validate import DEFAULT_BASE_URL, load_sources
from .lifecycle import Dates


@dataclass
class Register:
    agreements: list[Agreement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    base_url: str = DEFAULT_BASE_URL

    @property
    def dates(self) -> list[Dates]:
        return [Dates.from_model(a) for a in self.agreements]

    @property
    def skipped(self) -> list[str]:
        """Agreement files that could not be read (their problems are in ``problems``)."""
        return sorted({p.file for p in self.problems if p.severity.value == "error"})


def load_agreements(project: Project) -> Register:
    sources = [s for s in discover(project).sources if s.kind in ("agreement", "catalog")]
    out = Register()
    for _source, doc, model, problems, broken in load_sources(sources):
        out.problems.extend(doc.problems)
        out.problems.extend(problems)
        if broken:  # a partial model: the file has errors and is skipped
            continue
        if isinstance(model, CatalogInfo):
            out.base_url = model.base_url.rstrip("/")
        elif isinstance(model, Agreement):
            out.agreements.append(model)
    out.agreements.sort(key=lambda a: a.id)
    return out
