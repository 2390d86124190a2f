"""One description of how the site runs, used by ``catalog serve`` (a ``datasette serve``
command line) and by the tests (a ``Datasette`` object), so both run the same thing.

The site's files come with the package, wherever the project is: the plugins (``plugins/``,
installed as ``catalog_datasette.plugins`` and loaded by Datasette through their ``datasette``
entry points), their templates and static files, and the default ``metadata.yml``
(``catalog_datasette/metadata.yml``). A project's own ``metadata.yml`` replaces the default.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..compile import INVENTORY_FILE, PUBLIC_FILE
from ..problems import CatalogError
from ..project import Project

SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 1500,
    "max_returned_rows": 1000,
    "allow_download": False,
    "default_page_size": 50,
    "facet_time_limit_ms": 400,
    "allow_facet": True,
    # suggestions try a facet on every column of the table on every table request:
    # seconds for the datasets table at 10,000 rows (docs/performance-serving.md)
    "suggest_facets": False,
    "trace_debug": False,
}


METADATA_FILE = "metadata.yml"


def site_files() -> Path:
    """The folder of the site's plugins, with ``templates/`` and ``static/`` in it and the
    default ``metadata.yml`` beside it: ``plugins/`` in a checkout, ``catalog_datasette/plugins``
    in an installed package."""
    try:
        spec = importlib.util.find_spec("catalog_datasette.plugins.catalog_site")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        raise CatalogError("the catalog's site files (plugins, templates) are not installed",
                           hint="reinstall the package: pip install ct-data-catalog")
    return Path(spec.origin).parent


@dataclass
class Site:
    project: Project
    build_dir: Path
    settings: dict[str, Any] = field(default_factory=lambda: dict(SETTINGS))

    @property
    def databases(self) -> list[Path]:
        # public first: it is the default database of the instance
        return [self.build_dir / PUBLIC_FILE, self.build_dir / INVENTORY_FILE]

    @property
    def metadata_path(self) -> Path:
        """The project's own ``metadata.yml``, else the package's."""
        own = self.project.root / METADATA_FILE
        return own if own.is_file() else site_files().parent / METADATA_FILE

    @property
    def template_dir(self) -> Path:
        return site_files() / "templates"

    @property
    def static_dir(self) -> Path:
        return site_files() / "static"

    def metadata(self) -> dict[str, Any]:
        return yaml.safe_load(self.metadata_path.read_text(encoding="utf-8")) or {}

    def argv(self, host: str, port: int) -> list[str]:
        """``datasette serve`` arguments (databases immutable, never --crossdb)."""
        argv = ["datasette", "serve"]
        for db in self.databases:
            argv += ["-i", str(db)]
        argv += ["--host", host, "--port", str(port)]
        argv += ["--metadata", str(self.metadata_path),
                 "--template-dir", str(self.template_dir),
                 "--static", f"catalog:{self.static_dir}"]
        for key, value in self.settings.items():
            text = ("on" if value else "off") if isinstance(value, bool) else str(value)
            argv += ["--setting", key, text]
        return argv

    def app(self, secret: str = "test-secret") -> Any:
        """The same configuration as a Datasette object (tests, embedding)."""
        from datasette.app import Datasette

        return Datasette(
            immutables=[str(p) for p in self.databases], metadata=self.metadata(),
            template_dir=str(self.template_dir),
            static_mounts=[("catalog", str(self.static_dir))], settings=self.settings,
            secret=secret,
        )
