"""The import benchmark runs (a smoke test on a small catalog; figures: scripts/bench_import)."""

from __future__ import annotations

import pytest

from catalog.bench import imports


def test_benchmark_catalog_has_unique_identifiers() -> None:
    data = imports.catalog(700)
    ids = [d["identifier"] for d in data["dataset"]]
    assert len(ids) == len(set(ids)) == 700


def test_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    imports.main(["--datasets", "30"])
    out = capsys.readouterr().out
    assert "first import of 30" in out and "new, 0 updated, 0 unchanged" in out
    assert "re-import, source unchanged" in out and "30 unchanged" in out
    assert "re-import, a tenth changed" in out and "3 updated" in out
