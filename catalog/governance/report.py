"""Render scorecards as a terminal table, JSON or CSV."""

from __future__ import annotations

import io
import json

from .. import csvsafe
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


def render(scores: list[Score], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{**s.__dict__, "value": s.value} for s in scores], indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csvsafe.Writer(buf, lineterminator="\n")
        writer.writerow(["scope", "metric", "numerator", "denominator", "value"])
        writer.writerows([s.scope, s.metric, s.numerator, s.denominator,
                          "" if s.value is None else s.value] for s in scores)
        return buf.getvalue()
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
