"""Import of usage figures exported from the open-data portal, so portal and catalog
use are seen together.

Two CSV shapes are read, recognised by their headers (case and punctuation ignored):

* long, as Socrata's "Site Analytics: Asset Access" dataset: an asset id, a date or
  timestamp, an access type (``Page View``, ``Primer View``, ``Download``, ``API Read``
  ...) and a count;
* wide: an asset id, a date, and ``views`` / ``downloads`` / ``api reads`` columns.

An asset id maps to a catalog dataset when a public distribution or landing page of the
dataset is a portal URL with that id (``.../api/views/abcd-1234/...``,
``.../resource/abcd-1234.json``, ``.../d/abcd-1234``), or when it is a catalog dataset
id itself. Figures of the same dataset, day and channel are summed, then *replace* the
stored portal figures of that key: importing the same export twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import problems as P
from ..problems import CatalogError, Problem
from .published import Published
from .store import Key, Store, Tally

ID_NAMES = ("asset uid", "dataset uid", "asset id", "dataset id", "uid", "view id",
            "4x4", "dataset", "id")
DATE_NAMES = ("date", "day", "timestamp", "datetime", "time")
TYPE_NAMES = ("access type", "action", "event", "type")
COUNT_NAMES = ("count", "value", "hits", "total")
WIDE: dict[str, tuple[str, ...]] = {
    "page": ("views", "page views", "view count", "views count"),
    "download": ("downloads", "download count", "downloads count"),
    "api": ("api reads", "api calls", "api requests", "api hits"),
}


@dataclass
class PortalImport:
    rows: int = 0
    matched_rows: int = 0
    counters: int = 0
    hits: int = 0
    unmatched: dict[str, int] = field(default_factory=dict)
    ignored_types: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # each at its line of the file


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def _column(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((headers[n] for n in names if n in headers), None)


def channel_of(access_type: str) -> str | None:
    kind = _norm(access_type)
    if "download" in kind or "export" in kind:
        return "download"
    if "api" in kind:
        return "api"
    if "view" in kind or "primer" in kind or "page" in kind:
        return "page"
    return None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in ("%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _count(text: str) -> int | None:
    try:
        value = float((text or "0").replace(",", "").strip() or 0)
    except ValueError:
        return None
    return int(value) if value >= 0 and value == int(value) else None


def read_portal_csv(text: str, published: Published) -> tuple[dict[Key, Tally], PortalImport]:
    """Counts per catalog key and what happened to every row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = {_norm(h): h for h in reader.fieldnames or []}
    id_col, date_col = _column(headers, ID_NAMES), _column(headers, DATE_NAMES)
    type_col, count_col = _column(headers, TYPE_NAMES), _column(headers, COUNT_NAMES)
    wide = {ch: col for ch, names in WIDE.items() if (col := _column(headers, names))}
    if not id_col or not date_col or not ((type_col and count_col) or wide):
        raise CatalogError(
            "the portal export has no recognisable columns "
            f"(found: {', '.join(reader.fieldnames or []) or 'none'})",
            hint="it needs an asset id (e.g. 'Asset UID'), a date, and either 'Access "
                 "Type' + 'Count' or 'views'/'downloads' columns")
    result = PortalImport()
    sums: dict[Key, int] = {}
    for line, row in enumerate(reader, start=2):
        result.rows += 1
        uid = (row.get(id_col) or "").strip()
        day = _date(row.get(date_col) or "")
        if day is None:
            result.problems.append(Problem.make(
                P.USAGE_BAD_DATE, f"no date in {row.get(date_col)!r}", line=line,
                field=date_col))
            continue
        if type_col and count_col:
            channel = channel_of(row.get(type_col) or "")
            if channel is None:
                kind = (row.get(type_col) or "").strip() or "(blank)"
                result.ignored_types[kind] = result.ignored_types.get(kind, 0) + 1
                continue
            pairs = [(channel, row.get(count_col) or "")]
        else:
            pairs = [(ch, row.get(col) or "") for ch, col in wide.items()]
        counts = [(ch, _count(v)) for ch, v in pairs]
        if any(n is None for _, n in counts):
            result.problems.append(Problem.make(
                P.USAGE_BAD_COUNT, f"a count is not a whole number: {pairs}", line=line))
            continue
        dataset_id = published.portal_ids.get(uid.lower()) or (
            uid if uid in published.datasets else None)
        if dataset_id is None:
            total = sum(n or 0 for _, n in counts)
            result.unmatched[uid or "(blank)"] = result.unmatched.get(uid or "(blank)",
                                                                      0) + total
            continue
        result.matched_rows += 1
        for channel, n in counts:
            if n:
                key = Key(day, dataset_id, channel, "human")
                sums[key] = sums.get(key, 0) + n
    result.counters = len(sums)
    result.hits = sum(sums.values())
    return {k: Tally(v) for k, v in sums.items()}, result


def import_portal(store: Store | None, path: Path, published: Published) -> PortalImport:
    """Read ``path`` and replace the stored portal figures it covers (``store`` None:
    a dry run)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise CatalogError(f"cannot read {path}: {e}") from None
    counts, result = read_portal_csv(text, published)
    if store is not None:
        store.replace_counts(counts, source="portal")
    return result
