"""docs/architecture.md is drawn from today's code: every module of the layout exists and
every module of the package is in it, every step of the data flow names a function that
exists, and only the build pipeline runs the rules."""

from __future__ import annotations

import importlib
import re

from .conftest import REPO

DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")


def _block(heading: str) -> str:
    section = DOC.split(f"## {heading}", 1)[1]
    return section.split("```", 2)[1]


def test_the_layout_names_every_module_of_the_package_and_only_those() -> None:
    layout = _block("Layout")
    named = set()
    for line in layout.splitlines():
        if line.startswith("  "):  # catalog/'s entries: names, then what they are
            head = line.split("  ")[1]
            named |= {n.strip().rstrip("/") for n in head.split(",") if n.strip()}
    package = REPO / "catalog"
    present = {p.stem if p.is_file() else p.name for p in package.iterdir()
               if (p.suffix == ".py" and not p.name.startswith("__"))
               or (p.is_dir() and (p / "__init__.py").is_file())}
    named = {n.removesuffix(".py") for n in named}
    assert named == present
    for top in ("inventory", "standards", "catalog", "plugins", "tests", "docs", "scripts",
                ".ci", "metadata.yml"):
        assert top in layout and (REPO / top).exists(), top


def test_every_step_of_the_data_flow_exists() -> None:
    flow = _block("Data flow: one pipeline")
    steps = re.findall(r"\b((?:build|validate|load|model|compile|history|status)"
                       r"\.[a-z_]+(?:\.[a-z_]+)?)\b", flow)
    assert len(steps) >= 15
    for step in steps:
        module, _, name = f"catalog.{step}".rpartition(".")
        target = importlib.import_module(module)
        if not hasattr(target, name):  # a module of a package (model.check)
            importlib.import_module(f"catalog.{step}")


def test_only_the_build_pipeline_runs_the_rules() -> None:
    calls = re.compile(r"\b(dataset_rules|register_rules|add_entry)\(")
    callers = {p.relative_to(REPO).as_posix() for p in (REPO / "catalog").rglob("*.py")
               for line in p.read_text(encoding="utf-8").splitlines()
               if calls.search(line) and not line.lstrip().startswith("def ")}
    assert callers == {"catalog/build.py"}
