"""The one generator of the committed files written from the code: the descriptor formats'
reference (docs/descriptor.md) and JSON Schemas (docs/schema/), both from catalog/model/;
the database reference (docs/database.md) and catalog/compile/layout.py (the tables as
plain data), both from catalog/compile/tables.py. ``python -m catalog.docgen`` refreshes
them all; tests/test_reference_docs.py, test_layout.py and test_cli.py fail when one is
stale."""

from __future__ import annotations

import types
import typing
from enum import Enum
from pathlib import Path
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


def descriptor_reference() -> str:
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


def _partial(index: Any) -> str:
    """ " where …" for a partial index, else ""."""
    where = index.dialect_options["sqlite"].get("where")
    return f" where {where}" if where is not None else ""


def _column(table: Any, column: Any, staff: set[str]) -> str:
    from sqlalchemy.dialects import sqlite

    key = []
    if column.primary_key:
        key.append("primary key")
    key += [f"→ `{fk.target_fullname}`" for fk in column.foreign_keys]
    public = "NULL" if column.name in staff else ""
    info = table.model_fields.get(column.name)
    desc = ((info.description if info else None) or "").replace("|", "\\|")
    nullable = "yes" if column.nullable and not column.primary_key else ""
    return (f"| `{column.name}` | {column.type.compile(dialect=sqlite.dialect())} | "
            f"{nullable} | {', '.join(key)} | {public} | {desc} |")


def database_reference() -> str:
    """Every table of inventory.db and public.db: columns, keys, indexes, full-text."""
    from .compile import FTS, FTS_CONTENT
    from .compile import tables as T

    staff_tables = {t.__tablename__ for t in T.STAFF_ONLY_TABLES}
    parts = []
    for table in T.TABLES:
        sa = table.__table__  # type: ignore[attr-defined]
        rows = [f"### `{sa.name}`", ""]
        doc = " ".join((table.__dict__.get("__doc__") or "").split("\n\n")[0].split())
        if doc:
            rows += [doc, ""]
        if sa.name in staff_tables:
            rows += ["Staff only: public.db holds this table empty.", ""]
        staff = T.staff_only_columns(table)
        rows += ["| column | type | nullable | key | public.db | description |",
                 "|---|---|---|---|---|---|"]
        rows += [_column(table, c, staff) for c in sa.columns]
        indexes = sorted(sa.indexes, key=lambda i: i.name)
        if indexes:
            rows += ["", "Indexes: " + "; ".join(
                f"`{i.name}` ({', '.join(c.name for c in i.columns)}){_partial(i)}"
                for i in indexes) + "."]
        if sa.name in FTS:
            via = (f", read through the view `{FTS_CONTENT[sa.name]}`"
                   if sa.name in FTS_CONTENT else "")
            rows += ["", f"Full-text index: `{sa.name}_fts` (FTS5) over "
                     f"{', '.join(FTS[sa.name])}{via}."]
        parts.append("\n".join(rows))
    for name, (description, select) in T.VIEWS.items():
        parts.append(f"### `{name}` (view)\n\n{description}.\n\n```sql\n{select}\n```")
    return "\n\n".join(parts)


def splice(text: str, generated: str) -> str:
    """Replace the generated part of a document between the markers."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{generated}\n{END}{tail}"


DOCS = Path(__file__).resolve().parents[1] / "docs"
# each generated document and what goes between its markers
REFERENCES = {"descriptor.md": descriptor_reference, "database.md": database_reference}


def main() -> None:
    from . import descriptor_schemas
    from .compile import layout_gen

    for name, generate in REFERENCES.items():
        target = DOCS / name
        target.write_text(splice(target.read_text(encoding="utf-8"), generate()),
                          encoding="utf-8")
        print(f"wrote {target}")
    layout_gen.TARGET.write_text(layout_gen.layout_source())
    print(f"wrote {layout_gen.TARGET}")
    for path in descriptor_schemas.write_all(DOCS / "schema"):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
