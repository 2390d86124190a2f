"""The scale generator makes a valid inventory (the benchmark measures real work)."""

from pathlib import Path

import pytest

from catalog.bench.generate import Scale, generate
from catalog.build import validate
from catalog.project import Project

from .conftest import REPO


def test_generated_inventory_is_valid(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    generate(root, Scale(agencies=3, datasets=30, fields=12, agreements=4), REPO / "standards")
    inv = validate(Project(root))
    assert inv.report.errors == [] and inv.report.warnings == [], \
        [p.as_line() for p in inv.report.sorted()[:5]]
    assert (len(inv.agencies), len(inv.datasets), len(inv.agreements)) == (3, 30, 4)
    visibilities = {e.model.access.effective_visibility.value for e in inv.datasets.values()}
    assert visibilities == {"public", "listed", "hidden"}


def test_benchmark_runs_and_prints_every_figure(tmp_path: Path) -> None:
    """scripts/bench end to end on a tiny inventory: every figure printed, and the one-
    change rebuilds were incremental (the benchmark asserts it)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "catalog.bench", "--datasets", "24", "--fields", "6",
         "--agencies", "3", "--out", str(tmp_path / "bench")],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    for figure in ("parse floor", "validate only", "cold build", "rebuild, nothing changed",
                   "rebuild, 1 changed", "as `catalog build`", "peak memory", "public.db"):
        assert figure in out.stdout, (figure, out.stdout)


def test_history_benchmark_repository_and_figures(tmp_path: Path) -> None:
    """scripts/bench_history end to end on a tiny repository: the generated history has
    the commits asked for, its last commit is the generated inventory, and every figure
    is printed (the benchmark asserts that each rebuild was incremental)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "catalog.bench.history", "--datasets", "24", "--fields", "6",
         "--agencies", "3", "--commits", "12", "--out", str(tmp_path / "bench")],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    for figure in ("repository", "distinct versions", "parse floor", "cold history",
                   "cold build with history", "rebuild after a commit", "added by history",
                   "commit of built files", "history cache", "dataset_changes rows"):
        assert figure in out.stdout, (figure, out.stdout)
    repo = tmp_path / "bench" / "repo"
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(log) == 12 + 6  # the history asked for, then the benchmark's own commits
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout
    assert status == ""


@pytest.mark.slow
def test_history_at_a_thousand_descriptors_meets_its_targets(tmp_path: Path) -> None:
    """The history targets on 1,000 descriptors and 100 commits (the figures at 10,000
    and 500 are in docs/performance.md): cold history well under two minutes, and a new
    commit adding less than a second to a rebuild."""
    import re
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "catalog.bench.history", "--datasets", "1000", "--commits",
         "100", "--out", str(tmp_path / "bench")],
        capture_output=True, text=True, cwd=REPO, timeout=1800)
    assert out.returncode == 0, out.stderr

    def seconds(figure: str) -> float:
        found = re.search(rf"^{re.escape(figure)}\s+(-?[\d.]+) s", out.stdout, re.M)
        assert found, (figure, out.stdout)
        return float(found.group(1))

    assert seconds("cold history") < 120, out.stdout
    assert seconds("  added by history") < 1.0, out.stdout
