"""JSON Schemas of the YAML files, generated from the models, for editors' YAML language
servers (``# yaml-language-server: $schema=...``) and other tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .model import Agency, Agreement, CatalogInfo, DataRequest, Dataset

SCHEMAS: dict[str, type[BaseModel]] = {"dataset": Dataset, "agency": Agency, "catalog": CatalogInfo,
                                       "request": DataRequest,
                                       "agreement": Agreement}


def generate(kind: str) -> dict[str, Any]:
    model = SCHEMAS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{kind}.schema.json"
    schema.setdefault("title", model.__name__)
    return schema


def schema_text(kind: str) -> str:
    """The JSON Schema of ``kind``, as docs/schema/ holds it."""
    return json.dumps(generate(kind), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMAS:
        path = out_dir / f"{kind}.schema.json"
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written
