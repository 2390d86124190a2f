"""The source of catalog/compile/layout.py, from the sqlmodel tables; ``python -m
catalog.docgen`` writes it (tests/test_layout.py fails when it is out of date)."""

from __future__ import annotations

from pathlib import Path
from pprint import pformat
from typing import Any

TARGET = Path(__file__).with_name("layout.py")
HEADER = '''"""The compiled tables' names and columns, as plain data: what a build needs of
catalog/compile/tables.py without importing sqlmodel and SQLAlchemy (most of an
incremental build's start-up). Generated: ``python -m catalog.docgen``;
tests/test_layout.py keeps it in step with tables.py. Do not edit.
"""

'''


def layout_source() -> str:
    from . import tables as T

    def name(t: Any) -> str:
        return str(t.__tablename__)

    columns = {name(t): tuple(c.name for c in t.__table__.columns)  # type: ignore[attr-defined]
               for t in T.TABLES}
    staff = {name(t): tuple(sorted(T.staff_only_columns(t))) for t in T.TABLES}
    defaults = {}
    for t in T.TABLES:
        found = {k: f.default for k, f in t.model_fields.items()
                 if isinstance(f.default, (bool, int))}
        defaults[name(t)] = dict(sorted(found.items()))
    def block(comment: str, head: str, value: object) -> list[str]:
        return [f"# {comment}", f"{head} = {pformat(value, width=92, sort_dicts=False)}", ""]

    lines = [HEADER, f"LAYOUT_VERSION = {T.LAYOUT_VERSION!r}", ""]
    lines += block("table -> its columns, in order", "COLUMNS: dict[str, tuple[str, ...]]",
                   columns)
    lines += block("table -> the columns NULL in public.db",
                   "STAFF_ONLY_COLUMNS: dict[str, tuple[str, ...]]", staff)
    lines += block("tables public.db holds empty", "STAFF_ONLY_TABLES: tuple[str, ...]",
                   tuple(name(t) for t in T.STAFF_ONLY_TABLES))
    lines += block("table -> the columns whose default is a boolean or a number",
                   "DEFAULTS: dict[str, dict[str, bool | int]]", defaults)
    return "\n".join(lines)

