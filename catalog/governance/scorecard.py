"""Scorecards for the State Data Plan goals, per agency and statewide.

Every metric is a ratio ``numerator / denominator`` over datasets or fields, computed at
build time from the validated inventory (so it is queryable and exportable) and by
``catalog report``. The definitions below are the documentation: docs/scorecards.md
repeats them for readers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.dataset import AccessLevel, Dataset

if TYPE_CHECKING:
    from ..validate import Inventory

LOCATIONAL_NAME = re.compile(r"(^|_)(town|city|municipality|zip|zipcode|county|address|street|"
                             r"lat|latitude|lon|lng|longitude|region)(_|$)")
STALE_AFTER_DAYS = 365


@dataclass(frozen=True)
class Metric:
    id: str
    title: str
    source: str  # the clause of the State Data Plan / DCF policy it measures
    description: str


@dataclass
class Score:
    scope: str  # an agency id, or "statewide"
    metric: str
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 4) if self.denominator else None


METRICS: tuple[Metric, ...] = (
    Metric("inventory-completeness", "Inventory completeness", "Plan 1b, goal 3",
           "Recommended metadata present, summed over datasets: description, keywords, "
           "themes, contact, update frequency, temporal coverage, last modified, last "
           "reviewed, data dictionary; plus license and a distribution for public data."),
    Metric("open-documented", "Open data meeting the documentation standard", "Plan goal 2",
           "Public datasets with a data dictionary whose every field has a title or "
           "description, "
           "a license, an update frequency, keywords and a last-modified date."),
    Metric("fields-conformant", "Fields conforming to their standard", "Plan goal 4, 7c",
           "Fields that name a common-element standard and conform to it."),
    Metric("locational-standardised", "Locational fields standardised", "Plan goal 4",
           "Fields that look locational (town, ZIP, county, address, coordinates, or a "
           "locational element) and name a standard."),
    Metric("demographic-standardised", "Demographic fields standardised", "Plan goal 4",
           "Fields flagged demographic that name a standard."),
    Metric("classified", "High-value datasets with a classification assessment", "Plan 4c",
           "High-value datasets whose classification has been assessed."),
    Metric("api-access", "Datasets with API access", "Plan 1d, 9a",
           "Datasets offering access through an API."),
    Metric("bulk-access", "Datasets with bulk download", "Plan 1d",
           "Datasets offering bulk access to the raw data."),
    Metric("race-ethnicity", "Datasets disaggregable by race and ethnicity", "DCF 5-4",
           "Datasets with a field following a race or ethnicity standard."),
    Metric("personal-data-policy", "PII datasets with a personal-data policy", "Plan 4d",
           "Datasets with PII fields that document a personal-data policy."),
    Metric("reviewed", f"Entries reviewed in the last {STALE_AFTER_DAYS} days",
           "Plan 1b, goal 3", "Datasets whose last_reviewed date is within a year."),
)
METRIC_IDS = tuple(m.id for m in METRICS)
RACE_STANDARDS = {"race-ethnicity", "race-1997", "ethnicity-1997"}


def _completeness(d: Dataset) -> tuple[int, int]:
    life = d.lifecycle
    checks = [
        bool(d.description.strip()), bool(d.keywords), bool(d.themes),
        bool(d.contact or d.steward.email), bool(life and life.update_frequency),
        bool(life and life.temporal and life.temporal.start), bool(life and life.modified),
        bool(life and life.last_reviewed), bool(d.schema_ and d.schema_.fields),
    ]
    if d.access.level == AccessLevel.PUBLIC:
        checks += [bool(d.license), bool(d.distributions)]
    return sum(checks), len(checks)


def _documented(d: Dataset) -> bool:
    life = d.lifecycle
    return bool(d.schema_ and all(f.description or f.title for f in d.schema_.fields)
                and d.license
                and life and life.update_frequency and life.modified and d.keywords)


def _reviewed(d: Dataset, today: dt.date) -> bool:
    last = d.lifecycle.last_reviewed if d.lifecycle else None
    return bool(last and (today - last).days <= STALE_AFTER_DAYS)


def _scores(scope: str, datasets: list[Dataset], inv: "Inventory") -> Iterable[Score]:
    std = inv.standards
    locational = {e.id for e in std.elements.values() if e.category == "locational"}

    def ratio(metric: str, pairs: Iterable[tuple[int, int]]) -> Score:
        num = den = 0
        for n, d in pairs:
            num, den = num + n, den + d
        return Score(scope, metric, num, den)

    def share(metric: str, items: Iterable[Any], test: Callable[[Any], bool]) -> Score:
        items = list(items)
        return Score(scope, metric, sum(1 for x in items if test(x)), len(items))

    fields = [(d, f) for d in datasets for f in (d.schema_.fields if d.schema_ else [])]
    yield ratio("inventory-completeness", (_completeness(d) for d in datasets))
    yield share("open-documented", [d for d in datasets if d.access.level == AccessLevel.PUBLIC],
                lambda d: _documented(d))
    with_standard = [(d, f) for d, f in fields if f.standard in std.elements]
    def conformant(pair: tuple[Dataset, Any]) -> bool:
        c = inv.conformance.get((pair[0].id, pair[1].name))
        return c is not None and c.status == "conformant"

    yield share("fields-conformant", with_standard, conformant)
    loc = [(d, f) for d, f in fields if f.standard in locational or
           LOCATIONAL_NAME.search(f.name.lower())]
    yield share("locational-standardised", loc, lambda x: bool(x[1].standard))
    demo = [(d, f) for d, f in fields if f.demographic]
    yield share("demographic-standardised", demo, lambda x: bool(x[1].standard))
    yield share("classified", [d for d in datasets if d.high_value.value],
                lambda d: d.classification is not None)
    yield share("api-access", datasets, lambda d: d.access.api)
    yield share("bulk-access", datasets, lambda d: d.access.bulk_download)
    yield share("race-ethnicity", datasets, lambda d: any(
        f.standard in RACE_STANDARDS for f in (d.schema_.fields if d.schema_ else [])))
    pii = [d for d in datasets if d.schema_ and any(f.pii for f in d.schema_.fields)]
    yield share("personal-data-policy", pii, lambda d: d.personal_data is not None)
    yield share("reviewed", datasets, lambda d: _reviewed(d, inv.today))


def compute(inv: "Inventory") -> list[Score]:
    """Scores per agency (sorted by agency id) then statewide."""
    by_agency: dict[str, list[Dataset]] = {a: [] for a in sorted(inv.agencies)}
    for entry in inv.datasets.values():
        by_agency.setdefault(entry.model.agency, []).append(entry.model)
    out: list[Score] = []
    for agency, datasets in sorted(by_agency.items()):
        out.extend(_scores(agency, datasets, inv))
    out.extend(_scores("statewide", [e.model for e in inv.datasets.values()], inv))
    return out
