"""Benchmarks (build: ``python -m catalog.bench``; history: ``python -m
catalog.bench.history``; serving and usage: scripts/bench_serve, scripts/bench_usage.py)
and what they share: timing, and the table of figures they print."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``fn()`` took, and what it returned."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def print_figures(heading: str, rows: Iterable[tuple[str, str, str]]) -> None:
    print(heading)
    for name, value, note in rows:
        print(f"{name:<26} {value:>10}   {note}")
