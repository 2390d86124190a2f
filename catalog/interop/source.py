"""Read the public catalog back from ``public.db`` for exporters."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.dbapi import sqlite3

Row = dict[str, Any]


@dataclass
class PublicCatalog:
    meta: dict[str, str]
    info: dict[str, Any]
    agencies: dict[str, Row]
    datasets: list[Row]
    fields: dict[str, list[Row]] = field(default_factory=dict)
    distributions: dict[str, list[Row]] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    themes: dict[str, list[str]] = field(default_factory=dict)
    theme_titles: dict[str, str] = field(default_factory=dict)
    licenses: dict[str, Row] = field(default_factory=dict)
    standards: dict[str, Row] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.meta.get("base_url", "").rstrip("/")

    @property
    def language(self) -> str:
        """The language of the catalog's metadata (BCP 47; default English)."""
        return str(self.info.get("language") or "en")

    @property
    def title(self) -> str:
        return str(self.info.get("title") or "Data inventory")


def _rows(conn: sqlite3.Connection, sql: str) -> list[Row]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _grouped(rows: list[Row], key: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return dict(out)


def read(db: Path) -> PublicCatalog:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        meta = {r["key"]: r["value"] for r in _rows(conn, "select key, value from meta")}
        if meta.get("database") != "public":
            raise ValueError(f"{db} is not a public catalog database")
        cat = PublicCatalog(
            meta=meta, info=json.loads(meta.get("catalog_json") or "{}"),
            agencies={r["id"]: r for r in _rows(conn, "select * from agencies")},
            datasets=_rows(conn, "select * from datasets order by id"),
        )
        cat.fields = _grouped(_rows(conn, "select * from fields order by dataset_id, position"),
                              "dataset_id")
        cat.distributions = _grouped(
            _rows(conn, "select * from distributions order by dataset_id, position"),
            "dataset_id")
        for r in _rows(conn, "select dataset_id, keyword from keywords "
                             "order by dataset_id, position"):
            cat.keywords.setdefault(r["dataset_id"], []).append(r["keyword"])
        for r in _rows(conn, "select dataset_id, theme_id from dataset_themes order by rowid"):
            cat.themes.setdefault(r["dataset_id"], []).append(r["theme_id"])
        cat.theme_titles = {r["id"]: r["title"] for r in _rows(conn, "select * from themes")}
        cat.licenses = {r["id"]: r for r in _rows(
            conn, "select * from vocabulary_terms where vocabulary = 'licenses'")}
        cat.standards = {r["id"]: r for r in _rows(conn, "select * from standards")}
    finally:
        conn.close()
    return cat
