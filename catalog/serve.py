"""Serve stage: build when the sources changed, then run Datasette on the two databases.

``public.db`` is open to everyone; ``inventory.db`` is staff only. The Datasette
configuration (settings, plugins, templates) is in :mod:`catalog.site.config`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .compile import INVENTORY_DB, PUBLIC_DB, built_hash, compile_inventory, source_hash
from .problems import CatalogError
from .project import Project


def ensure_built(project: Project, out_dir: Path | None = None) -> Path:
    """Rebuild when the inventory's source hash differs from the built one."""
    from .validate import validate_project

    out_dir = out_dir or project.build_dir
    inv = validate_project(project)
    if inv.report.errors:
        from .render import text

        print(text(inv.report, project.root), file=sys.stderr)
        raise CatalogError(f"the inventory has {len(inv.report.errors)} error(s); not serving",
                           hint="fix them (catalog validate), or serve the last build with "
                           "--no-build")
    digest = source_hash(inv)
    current = {built_hash(out_dir / INVENTORY_DB), built_hash(out_dir / PUBLIC_DB)}
    if current != {digest}:
        compile_inventory(inv, out_dir)
        print(f"built {out_dir}", file=sys.stderr)
    return out_dir


def serve(project: Project, *, host: str, port: int, build: bool, extra: list[str]) -> None:
    from .auth import environment
    from .site.config import Site

    out_dir = ensure_built(project) if build else project.build_dir
    for db in (PUBLIC_DB, INVENTORY_DB):
        if not (out_dir / db).is_file():
            raise CatalogError(f"{out_dir / db} does not exist", hint="run `catalog build`")
    if "--crossdb" in extra:
        raise CatalogError("--crossdb would expose inventory.db to public SQL; refused")
    argv = Site(project, out_dir).argv(host, port) + extra
    env, notice = environment(project.root)
    print(" ".join(argv), file=sys.stderr)
    if notice:
        print(notice, file=sys.stderr)
    os.execvpe(sys.executable, [sys.executable, "-m", "datasette", *argv[1:]],
               {**os.environ, **env})
