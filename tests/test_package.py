"""The catalog as an agency installs it: a wheel carrying the plugins, their templates and
static files and the default metadata, installed into a fresh virtual environment and
serving an inventory kept outside this repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import REPO
from .test_serve import fetch, free_port, stop, wait

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
# what a wheel is built from: the package's sources, nothing else of the checkout
SOURCES = ("pyproject.toml", "README.md", "catalog", "plugins", "metadata.yml")


def test_every_package_of_the_tree_is_listed() -> None:
    """The packages are listed (a package mapped from plugins/ cannot be found): a new
    folder of code under catalog/ must be added to pyproject.toml or the wheel lacks it."""
    found = sorted(".".join(p.parent.relative_to(REPO).parts)
                   for p in (REPO / "catalog").rglob("__init__.py"))
    listed = SETUPTOOLS["packages"]
    assert sorted(p for p in listed if p.startswith("catalog.") or p == "catalog") == found
    assert SETUPTOOLS["package-dir"] == {"catalog_datasette": "."}
    assert {"catalog_datasette", "catalog_datasette.plugins"} <= set(listed)


def test_every_plugin_has_a_datasette_entry_point() -> None:
    modules = sorted(p.stem for p in (REPO / "plugins").glob("*.py"))
    entry_points = PYPROJECT["project"]["entry-points"]["datasette"]
    assert entry_points == {m: f"catalog_datasette.plugins.{m}" for m in modules}


def test_the_plugins_are_loaded_once_through_their_entry_points() -> None:
    from datasette.plugins import pm

    names = [getattr(p, "__name__", "") for p in pm.get_plugins()]
    ours = sorted(n for n in names if "catalog_" in n)
    assert ours == sorted(f"catalog_datasette.plugins.{p.stem}"
                          for p in (REPO / "plugins").glob("*.py"))


def test_a_project_without_metadata_gets_the_default_and_its_own_replaces_it(
        tmp_path: Path) -> None:
    from catalog.project import Project
    from catalog.site.config import Site

    default = Site(Project(tmp_path), tmp_path)
    assert default.metadata_path.resolve() == (REPO / "metadata.yml").resolve()
    assert default.metadata()["title"] == yaml.safe_load(
        (REPO / "metadata.yml").read_text(encoding="utf-8"))["title"]
    (tmp_path / "metadata.yml").write_text("title: Agency catalog\n", encoding="utf-8")
    assert Site(Project(tmp_path), tmp_path).metadata() == {"title": "Agency catalog"}
    assert "--plugins-dir" not in default.argv("127.0.0.1", 8001)


# -- a wheel in a fresh virtual environment -----------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources and installed with its dependencies (from
    the package index) into a new virtual environment; its bin/ folder."""
    base = tmp_path_factory.mktemp("package")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base / "dist"),
         str(src)], base)
    wheel, = (base / "dist").glob("*.whl")
    run([sys.executable, "-m", "venv", str(base / "venv")], base)
    bin_dir = base / "venv" / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], base)
    return bin_dir


def run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, env=outside_env(), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def outside_env(bin_dir: Path | None = None) -> dict[str, str]:
    """The environment without this checkout's virtual environment or catalog settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CATALOG_", "PYTHON", "VIRTUAL_ENV", "DATASETTE_"))}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p]
    env["PATH"] = os.pathsep.join(([str(bin_dir)] if bin_dir else []) + path)
    return env


def agency_inventory(root: Path) -> Path:
    """A copy of the sample inventory and its standards, with no plugins and no metadata."""
    for part in ("inventory", "standards"):
        shutil.copytree(REPO / part, root / part)
    return root


def serve(bin_dir: Path, root: Path) -> tuple[str, subprocess.Popen[str]]:
    port = free_port()
    proc = subprocess.Popen(
        [str(bin_dir / "catalog"), "serve", "--root", str(root), "--port", str(port)],
        cwd=root.parent, env=outside_env(bin_dir), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    wait(port, proc)
    return f"http://127.0.0.1:{port}", proc


@pytest.mark.slow
def test_the_installed_package_carries_the_site_and_nothing_of_the_checkout(
        installed: Path, tmp_path: Path) -> None:
    where = run([str(installed / "python"), "-c",
                 "import catalog, catalog.site.config as c; "
                 "print(catalog.__file__); print(c.site_files())"], tmp_path).split()
    site_packages = installed.parent / "lib"
    assert all(Path(p).is_relative_to(site_packages) for p in where), where
    plugins = Path(where[1])
    assert sorted(p.name for p in plugins.glob("*.py")) == sorted(
        p.name for p in (REPO / "plugins").glob("*.py"))
    assert sorted(p.name for p in (plugins / "templates").iterdir()) == sorted(
        p.name for p in (REPO / "plugins/templates").iterdir())
    assert (plugins / "static/catalog.css").read_bytes() == \
        (REPO / "plugins/static/catalog.css").read_bytes()
    assert (plugins.parent / "metadata.yml").read_bytes() == (REPO / "metadata.yml").read_bytes()


@pytest.mark.slow
def test_catalog_serve_works_on_an_inventory_outside_the_repository(
        installed: Path, tmp_path: Path) -> None:
    root = agency_inventory(tmp_path / "agency-catalog")
    default_title = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))["title"]
    base, proc = serve(installed, root)
    try:
        status, home = fetch(f"{base}/")
        assert status == 200 and "/catalog/catalog.css" in home
        status, css = fetch(f"{base}/catalog/catalog.css")
        assert status == 200 and css == (REPO / "plugins/static/catalog.css").read_text()
        status, page = fetch(f"{base}/datasets/dcf-careline-reports-by-town")
        assert status == 200 and "Careline" in page
        status, body = fetch(f"{base}/search.json?q=town")
        assert status == 200 and json.loads(body)
        assert fetch(f"{base}/inventory.json")[0] == 403
        status, body = fetch(f"{base}/-/metadata.json")
        assert status == 200 and json.loads(body)["title"] == default_title
    finally:
        out = stop(proc)
    assert (root / "build" / "public.db").is_file(), out
    assert not (root / "plugins").exists() and not (root / "metadata.yml").exists()

    # the inventory's own metadata.yml replaces the package's
    own = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    own["title"] = "Agency data catalog"
    (root / "metadata.yml").write_text(yaml.safe_dump(own), encoding="utf-8")
    base, proc = serve(installed, root)
    try:
        status, body = fetch(f"{base}/-/metadata.json")
        assert status == 200 and json.loads(body)["title"] == "Agency data catalog"
        assert fetch(f"{base}/")[0] == 200
    finally:
        stop(proc)
