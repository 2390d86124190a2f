"""Exports served live by the site at their conventional URLs (/data.json, …).

Each is computed once per build of public.db (the database is immutable while served)
and kept in memory; a new build (new file) computes afresh.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..interop import EXPORTS, Format
from ..interop.source import read

BY_FILENAME: dict[str, Format] = {f.filename: f for f in EXPORTS.values()}


@lru_cache(maxsize=16)
def _render(name: str, db: str, stamp: tuple[int, int]) -> str:
    return EXPORTS[name].load()(read(Path(db)))


def render(name: str, db: Path) -> str:
    """The export ``name`` of the public database at ``db``."""
    st = os.stat(db)
    return _render(name, str(db), (st.st_mtime_ns, st.st_size))
