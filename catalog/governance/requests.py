"""Turnaround of the data-request register (DCF 5-1): how fast requests are answered."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model.request import CLOSED

if TYPE_CHECKING:
    from ..validate import Inventory


@dataclass
class Turnaround:
    total: int = 0
    open: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_requester: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    max_days: int | None = None
    oldest_open_days: int | None = None


def turnaround(inv: "Inventory") -> Turnaround:
    requests = [e.model for e in inv.requests.values()]
    days = sorted((r.responded_on - r.received_on).days for r in requests if r.responded_on)
    waiting = [(inv.today - r.received_on).days for r in requests if r.status not in CLOSED]
    out = Turnaround(
        total=len(requests), open=len(waiting),
        by_status=dict(Counter(r.status for r in requests)),
        by_requester=dict(Counter(r.requester.kind for r in requests)),
        answered=len(days),
        oldest_open_days=max(waiting) if waiting else None,
    )
    if days:
        out.median_days = statistics.median(days)
        out.p90_days = statistics.quantiles(days, n=10, method="inclusive")[-1] \
            if len(days) > 1 else float(days[0])
        out.max_days = days[-1]
    return out
