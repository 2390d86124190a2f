"""Reference tables of the descriptor formats, generated from the models so that
docs/descriptor.md cannot drift (tests/test_docs_reference.py checks it)."""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .model import Agency, Agreement, CatalogInfo, DataRequest, Dataset

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return "mapping"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if annotation is bool:
        return "true/false"
    name = getattr(annotation, "__name__", str(annotation))
    return {"str": "text", "int": "integer", "float": "number", "date": "date (YYYY-MM-DD)",
            "Any": "any"}.get(name, name)


def _nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _nested(a)]


def _table(model: type[BaseModel]) -> str:
    rows = [f"### {model.__name__}", ""]
    doc = (model.__doc__ or "").strip().splitlines()
    if doc:
        rows += [doc[0], ""]
    rows += ["| property | type | required | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        required = "yes" if info.is_required() else ""
        default = info.default
        if not required and default not in (None, PydanticUndefined, [], {}):
            shown = default.value if isinstance(default, Enum) else default
            required = f"default `{str(shown).lower() if isinstance(shown, bool) else shown}`"
        desc = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{key}` | {_type(info.annotation)} | {required} | {desc} |")
    return "\n".join(rows)


def reference() -> str:
    seen: list[type[BaseModel]] = []
    queue: list[type[BaseModel]] = [Dataset, Agency, Agreement, CatalogInfo, DataRequest]
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            queue.extend(m for m in _nested(info.annotation) if m not in seen)
    return "\n\n".join(_table(m) for m in seen)


def splice(text: str) -> str:
    """Replace the generated part of a document between the markers."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{reference()}\n{END}{tail}"


if __name__ == "__main__":  # python -m catalog.docgen: refresh docs/descriptor.md
    from pathlib import Path

    target = Path(__file__).resolve().parents[1] / "docs" / "descriptor.md"
    target.write_text(splice(target.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {target}")
