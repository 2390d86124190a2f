"""Where things are: the project layout and the discovery of its YAML files.

```
<root>/inventory/<agency>/_agency.yml       agency
<root>/inventory/<agency>/<dataset>.yml     dataset descriptor
<root>/inventory/_agreements/<id>.yml       data-sharing agreement
<root>/inventory/_catalog.yml               the catalog itself (title, publisher, base URL)
<root>/inventory/_requests/<id>.yml         a data request (DCF 5-1 register)
<root>/inventory/_imports/<source>.json     what the last import of a portal generated
                                            (catalog.interop.sync; not YAML, not discovered)
<root>/standards/elements/<id>.yml          common data element
<root>/standards/{classification,suppression,vocabularies}.yml
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import problems as P
from .problems import CatalogError, Problem

YAML_SUFFIXES = (".yml", ".yaml")
AGENCY_FILE = "_agency"
AGREEMENTS_DIR = "_agreements"
REQUESTS_DIR = "_requests"
CATALOG_FILE = "_catalog"

Kind = Literal["catalog", "agency", "dataset", "agreement", "request"]


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def inventory_dir(self) -> Path:
        return self.root / "inventory"

    @property
    def standards_dir(self) -> Path:
        return self.root / "standards"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def inside(self, path: Path, base: Path | None = None) -> bool:
        """Does ``path`` (after following symlinks) stay inside ``base`` (the project
        root by default)?"""
        try:
            Path(os.path.realpath(path)).relative_to(os.path.realpath(base or self.root))
        except ValueError:
            return False
        return True

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        """The nearest directory at or above ``start`` that has an ``inventory/``."""
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "inventory").is_dir():
                return cls(candidate)
        raise CatalogError(
            f"no inventory/ folder in {here} or any parent",
            hint="run the command inside a catalog project or pass --root",
        )


@dataclass(frozen=True)
class Source:
    """A YAML file of the inventory and what it describes."""

    path: Path
    rel: str
    kind: Kind
    folder: str  # the agency folder ('' for agreements)


@dataclass
class Discovery:
    sources: list[Source] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def discover(project: Project) -> Discovery:
    """Every YAML file under inventory/, classified by where it lives.

    Symlinked folders are not followed (and reported when they leave inventory/); a
    symlinked file is read only if it stays inside inventory/."""
    found = Discovery()
    inv = project.inventory_dir
    if not inv.is_dir():
        raise CatalogError(f"{project.rel(inv)} does not exist",
                           hint="create it, or run 'catalog new AGENCY DATASET'")
    prefix = project.rel(inv)
    _walk(project, inv, prefix, (), found)
    return found


def _walk(project: Project, here: Path, rel: str, parts: tuple[str, ...],
          found: Discovery) -> None:
    with os.scandir(here) as it:
        entries = sorted(it, key=lambda e: e.name)
    inv = project.inventory_dir
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False) \
                or not entry.is_symlink():
            continue
        if Path(entry.path).is_dir() and not project.inside(Path(entry.path), inv):
            found.problems.append(Problem.make(
                P.FILE_OUTSIDE_ROOT, "symlinked folder points outside inventory/",
                file=f"{rel}/{entry.name}", hint="copy the folder into the inventory"))
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) or not entry.name.endswith(YAML_SUFFIXES):
            continue
        _classify(here / entry.name, entry.name, f"{rel}/{entry.name}", parts,
                  entry.is_symlink() and not project.inside(Path(entry.path), inv), found)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _walk(project, Path(entry.path), f"{rel}/{entry.name}", (*parts, entry.name),
                  found)


def kind_of(rel: str) -> tuple[Kind, str] | None:
    """What the project file ``rel`` (``inventory/...``) describes and its agency folder,
    by where it lives; None for anything that is not an inventory source."""
    parts = rel.split("/")
    if len(parts) < 2 or parts[0] != "inventory" or not parts[-1].endswith(YAML_SUFFIXES):
        return None
    stem = parts[-1].rsplit(".", 1)[0]
    if len(parts) == 2:
        return ("catalog", "") if stem == CATALOG_FILE else None
    if len(parts) != 3:
        return None
    folder = parts[1]
    if folder == AGREEMENTS_DIR:
        return ("agreement", "")
    if folder == REQUESTS_DIR:
        return ("request", "")
    if stem == AGENCY_FILE:
        return ("agency", folder)
    return None if stem.startswith("_") else ("dataset", folder)


def _classify(path: Path, name: str, rel: str, parts: tuple[str, ...], outside: bool,
              found: Discovery) -> None:
    """One YAML file, ``name`` at ``inventory/<parts>/``: a source, or a problem."""
    if outside:
        found.problems.append(Problem.make(
            P.FILE_OUTSIDE_ROOT, "symlink points outside inventory/", file=rel,
            hint="copy the file into the inventory instead of linking to it"))
        return
    known = kind_of("/".join(("inventory", *parts, name)))
    if known is not None:
        found.sources.append(Source(path, rel, *known))
    elif len(parts) != 1:
        where = "directly in inventory/" if not parts else "in a sub-folder"
        found.problems.append(Problem.make(
            P.FILE_MISPLACED, f"YAML file {where} is not part of the inventory",
            file=rel, hint="descriptors go in inventory/<agency>/<dataset>.yml, "
            "agreements in inventory/_agreements/<id>.yml"))
    else:
        found.problems.append(Problem.make(
            P.FILE_MISPLACED, f"unknown special file {name}", file=rel,
            hint="the only special file in an agency folder is _agency.yml"))
