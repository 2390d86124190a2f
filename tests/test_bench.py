"""The scale generator makes a valid inventory (the benchmark measures real work)."""

from pathlib import Path

from catalog.bench.generate import Scale, generate
from catalog.project import Project
from catalog.validate import validate_project

from .conftest import REPO


def test_generated_inventory_is_valid(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    generate(root, Scale(agencies=3, datasets=30, fields=12, agreements=4), REPO / "standards")
    inv = validate_project(Project(root))
    assert inv.report.errors == [] and inv.report.warnings == [], \
        [p.render() for p in inv.report.sorted()[:5]]
    assert (len(inv.agencies), len(inv.datasets), len(inv.agreements)) == (3, 30, 4)
    visibilities = {e.model.access.effective_visibility.value for e in inv.datasets.values()}
    assert visibilities == {"public", "listed", "hidden"}
