"""Scorecards for the State Data Plan goals, per agency and statewide.

Every metric is a ratio ``numerator / denominator`` over datasets or fields, computed at
build time from the validated inventory (so it is queryable and exportable) and by
``catalog scorecards``. The definitions below are the documentation: docs/scorecards.md
repeats them for readers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.dataset import AccessLevel, Dataset

if TYPE_CHECKING:
    from ..standards import Standards
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
    target: float = 0.9  # the share to reach; `scorecards: targets:` in _catalog.yml wins


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
           "reviewed, data dictionary; plus license and a distribution for public data.",
           target=0.9),
    Metric("open-documented", "Open data meeting the documentation standard", "Plan goal 2",
           "Public datasets with a data dictionary whose every field has a title or "
           "description, "
           "a license, an update frequency, keywords and a last-modified date.", target=0.8),
    Metric("fields-conformant", "Fields conforming to their standard", "Plan goal 4, 7c",
           "Fields that name a common-element standard and conform to it.", target=0.9),
    Metric("locational-standardised", "Locational fields standardised", "Plan goal 4",
           "Fields that look locational (town, ZIP, county, address, coordinates, or a "
           "locational element) and name a standard.", target=0.9),
    Metric("demographic-standardised", "Demographic fields standardised", "Plan goal 4",
           "Fields flagged demographic that name a standard.", target=0.9),
    Metric("classified", "High-value datasets with a classification assessment", "Plan 4c",
           "High-value datasets whose classification has been assessed.", target=1.0),
    Metric("api-access", "Datasets with API access", "Plan 1d, 9a",
           "Datasets offering access through an API.", target=0.5),
    Metric("bulk-access", "Datasets with bulk download", "Plan 1d",
           "Datasets offering bulk access to the raw data.", target=0.75),
    Metric("race-ethnicity", "Datasets disaggregable by race and ethnicity", "DCF 5-4",
           "Datasets with a field following a race or ethnicity standard.", target=0.5),
    Metric("personal-data-policy", "PII datasets with a personal-data policy", "Plan 4d",
           "Datasets with PII fields that document a personal-data policy.", target=1.0),
    Metric("reviewed", f"Entries reviewed in the last {STALE_AFTER_DAYS} days",
           "Plan 1b, goal 3", "Datasets whose last_reviewed date is within a year.",
           target=0.9),
)
METRIC_IDS = tuple(m.id for m in METRICS)
AMBER_MARGIN = 0.15


def targets(inv: "Inventory | None") -> tuple[dict[str, float], float]:
    """Each metric's target (the catalog file's, else the default) and the amber margin."""
    config = inv.catalog.model.scorecards if inv and inv.catalog else None
    chosen = {m.id: m.target for m in METRICS}
    chosen.update(config.targets if config else {})
    return chosen, config.amber_margin if config else AMBER_MARGIN


RATINGS = {"green": "On target", "amber": "Close to target", "red": "Below target",
           "none": "Nothing to measure"}


def rating(value: float | None, target: float, margin: float) -> str:
    """red / amber / green against the target (``none`` without a value)."""
    if value is None:
        return "none"
    if value >= target - 1e-9:
        return "green"
    return "amber" if value >= target - margin - 1e-9 else "red"
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


# one dataset's (numerator, denominator) of each metric in TALLIED, flattened
Tally = tuple[int, ...]
TALLIED = METRIC_IDS[:-1]  # all but "reviewed", which depends on the day
assert METRIC_IDS[-1] == "reviewed"


def tally(d: Dataset, conformant: Callable[[str], bool], std: "Standards") -> Tally:
    """One dataset's share of every metric but ``reviewed`` (which depends on the day:
    see :func:`scores`). ``conformant(field_name)`` tells whether a field conforms to
    the standard it names. Scorecards are sums of these, so a build keeps them per file."""
    locational = std.locational_ids
    fields = d.schema_.fields if d.schema_ else []
    public = d.access.level == AccessLevel.PUBLIC
    with_standard = [f for f in fields if f.standard in std.elements]
    loc = [f for f in fields if f.standard in locational or
           LOCATIONAL_NAME.search(f.name.lower())]
    demo = [f for f in fields if f.demographic]
    pii = any(f.pii for f in fields)
    shares = {
        "inventory-completeness": _completeness(d),
        "open-documented": (int(_documented(d)), 1) if public else (0, 0),
        "fields-conformant": (sum(1 for f in with_standard if conformant(f.name)),
                              len(with_standard)),
        "locational-standardised": (sum(1 for f in loc if f.standard), len(loc)),
        "demographic-standardised": (sum(1 for f in demo if f.standard), len(demo)),
        "classified": (int(d.classification is not None), 1) if d.high_value.value
        else (0, 0),
        "api-access": (int(d.access.api), 1),
        "bulk-access": (int(d.access.bulk_download), 1),
        "race-ethnicity": (int(any(f.standard in RACE_STANDARDS for f in fields)), 1),
        "personal-data-policy": (int(d.personal_data is not None), 1) if pii else (0, 0),
    }
    return tuple(n for metric in TALLIED for n in shares[metric])


def scores(scope: str, tallies: Iterable[tuple[Tally, dt.date | None]], today: dt.date
           ) -> list[Score]:
    """The scores of one scope from its datasets' tallies and last-reviewed dates."""
    counts: list[Tally] = []
    reviewed = total = 0
    for t, last_reviewed in tallies:
        counts.append(t)
        total += 1
        reviewed += bool(last_reviewed and (today - last_reviewed).days <= STALE_AFTER_DAYS)
    sums = [sum(column) for column in zip(*counts, strict=True)] or [0] * (2 * len(TALLIED))
    out = [Score(scope, m, sums[2 * i], sums[2 * i + 1]) for i, m in enumerate(TALLIED)]
    return out + [Score(scope, "reviewed", reviewed, total)]


def compute_tallies(agencies: Iterable[str],
                    tallies: Iterable[tuple[str, Tally, dt.date | None]],
                    today: dt.date) -> list[Score]:
    """Scores per agency (sorted by agency id) then statewide, from (agency, tally,
    last_reviewed) per dataset."""
    by_agency: dict[str, list[tuple[Tally, dt.date | None]]] = {a: [] for a in agencies}
    everything: list[tuple[Tally, dt.date | None]] = []
    for agency, counts, last_reviewed in tallies:
        by_agency.setdefault(agency, []).append((counts, last_reviewed))
        everything.append((counts, last_reviewed))
    out: list[Score] = []
    for agency, items in sorted(by_agency.items()):
        out.extend(scores(agency, items, today))
    out.extend(scores("statewide", everything, today))
    return out
