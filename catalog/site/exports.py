"""Exports served live by the site at their conventional URLs (/data.json, …).

Each is computed once per build of public.db (the database is immutable while served)
and kept in memory as the UTF-8 bytes sent (data.json is 13 MB at 10,000 datasets, and
is not encoded again for every request); a new build (new file) computes afresh.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..interop import EXPORTS, Format
from ..interop.source import read

BY_FILENAME: dict[str, Format] = {f.filename: f for f in EXPORTS.values()}


@lru_cache(maxsize=16)
def _render(name: str, db: str, stamp: tuple[int, int]) -> bytes:
    return EXPORTS[name].load()(read(Path(db))).encode("utf-8")


def render(name: str, db: Path) -> bytes:
    """The export ``name`` of the public database at ``db``, encoded."""
    st = os.stat(db)
    return _render(name, str(db), (st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=64)
def _dataset_package(db: str, stamp: tuple[int, int], dataset_id: str) -> str | None:
    import json

    from ..interop.datapackage import dataset_package
    from ..problems import CatalogError

    try:
        package = dataset_package(read(Path(db)), dataset_id)
    except CatalogError:
        return None
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def dataset_package(db: Path, dataset_id: str) -> str | None:
    """One public dataset's Data Package, or None when it has none."""
    st = os.stat(db)
    return _dataset_package(str(db), (st.st_mtime_ns, st.st_size), dataset_id)
