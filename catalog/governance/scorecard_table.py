"""Scorecards as a terminal table, and as records (for JSON and CSV)."""

from __future__ import annotations

from typing import Any

from .scorecard import METRICS, Score

SHORT = {
    "inventory-completeness": "complete", "open-documented": "open-doc",
    "fields-conformant": "conform", "locational-standardised": "loc-std",
    "demographic-standardised": "demo-std", "classified": "classif", "api-access": "api",
    "bulk-access": "bulk", "race-ethnicity": "race-eth", "personal-data-policy": "pd-policy",
    "reviewed": "reviewed",
}


def _cell(score: Score | None) -> str:
    if score is None or score.value is None:
        return "–"
    return f"{score.value * 100:.0f}%"


COLUMNS = ("scope", "metric", "numerator", "denominator", "value")


def records(scores: list[Score]) -> list[dict[str, Any]]:
    """One record per score (its value None when the denominator is 0)."""
    return [{**s.__dict__, "value": s.value} for s in scores]


def table(scores: list[Score]) -> str:
    """A terminal table: a row per scope, a column per metric, then the legend."""
    scopes = list(dict.fromkeys(s.scope for s in scores))
    table = {(s.scope, s.metric): s for s in scores}
    metrics = [m.id for m in METRICS]
    width = max([len(x) for x in scopes] + [9])
    lines = [" " * width + " " + " ".join(f"{SHORT[m]:>9}" for m in metrics)]
    for scope in scopes:
        lines.append(f"{scope:<{width}} " + " ".join(
            f"{_cell(table.get((scope, m))):>9}" for m in metrics))
    lines.append("")
    lines += [f"{SHORT[m.id]:>9}: {m.title} ({m.source})" for m in METRICS]
    return "\n".join(lines) + "\n"
