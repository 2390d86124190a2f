"""One description of how the site runs, used by ``catalog serve`` (a ``datasette serve``
command line) and by the tests (a ``Datasette`` object), so both run the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..compile import INVENTORY_DB, PUBLIC_DB
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


@dataclass
class Site:
    project: Project
    build_dir: Path
    settings: dict[str, Any] = field(default_factory=lambda: dict(SETTINGS))

    @property
    def databases(self) -> list[Path]:
        # public first: it is the default database of the instance
        return [self.build_dir / PUBLIC_DB, self.build_dir / INVENTORY_DB]

    @property
    def metadata_path(self) -> Path:
        return self.project.root / "metadata.yml"

    @property
    def plugins_dir(self) -> Path:
        return self.project.root / "plugins"

    @property
    def template_dir(self) -> Path:
        return self.plugins_dir / "templates"

    @property
    def static_dir(self) -> Path:
        return self.plugins_dir / "static"

    def metadata(self) -> dict[str, Any]:
        if not self.metadata_path.is_file():
            return {}
        return yaml.safe_load(self.metadata_path.read_text(encoding="utf-8")) or {}

    def argv(self, host: str, port: int) -> list[str]:
        """``datasette serve`` arguments (databases immutable, never --crossdb)."""
        argv = ["datasette", "serve"]
        for db in self.databases:
            argv += ["-i", str(db)]
        argv += ["--host", host, "--port", str(port)]
        if self.metadata_path.is_file():
            argv += ["--metadata", str(self.metadata_path)]
        argv += ["--plugins-dir", str(self.plugins_dir),
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
            plugins_dir=str(self.plugins_dir), template_dir=str(self.template_dir),
            static_mounts=[("catalog", str(self.static_dir))], settings=self.settings,
            secret=secret,
        )
