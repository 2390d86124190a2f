"""User text → a safe SQLite FTS5 query.

Every word becomes a quoted phrase of its letters and digits (``ct-town`` → ``"ct town"``),
so quotes, brackets and the operators AND/OR/NOT/NEAR typed by a user are plain words and
can never make the query fail; phrases are ANDed; the last one is a prefix match so a
half-typed word still finds something.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def fts_query(text: str | None, *, prefix: bool = True) -> str | None:
    """The FTS5 MATCH expression for ``text``, or None when it holds no searchable word."""
    phrases = []
    for word in (text or "").split():
        tokens = _WORD.findall(word.replace("_", " "))
        if tokens:
            phrases.append(" ".join(tokens))
    if not phrases:
        return None
    phrases = phrases[:MAX_TERMS]
    quoted = [f'"{p}"' for p in phrases]
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


FIELD_TEXT_COLUMNS = "{name title description}"


def dataset_key(dataset_id: str) -> str:
    """A dataset as one word of the fields' index (``dataset_key`` of the view
    ``field_search``: ``'k' || hex(dataset_id)``, the hex of its UTF-8 bytes)."""
    return "k" + dataset_id.encode("utf-8").hex().upper()


def fields_of(query: str, dataset_ids: list[str]) -> str:
    """The ``fields_fts`` MATCH expression for the fields of these datasets whose name,
    title or description match ``query`` (an :func:`fts_query` expression): FTS5 walks
    the datasets' few keys and seeks in the query's terms, instead of reading every
    field that matches (400,000 fields at 10,000 datasets)."""
    keys = " OR ".join(dataset_key(i) for i in dataset_ids)
    return f"{FIELD_TEXT_COLUMNS} : ({query}) AND dataset_key : ({keys})"


_SUFFIXES = ("ing", "es", "ed", "s")


def _stem(word: str) -> str:
    """A crude stem for highlighting only (the index's porter stemmer decides what
    matches; this decides which words of a blurb are marked)."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=256)
def highlighter(query: str | None) -> re.Pattern[str] | None:
    """A pattern of the words an :func:`fts_query` expression matches in a text: a
    prefix term's word and what follows it, another term's crude stem and up to three
    more letters (what porter folds: towns, ethnicity/ethnic…)."""
    parts: list[str] = []
    for phrase, star in re.findall(r'"([^"]*)"(\*?)', query or ""):
        words = phrase.lower().split()
        for i, word in enumerate(words):
            prefix = bool(star) and i == len(words) - 1
            stem = word if prefix else _stem(word)
            parts.append(re.escape(stem) + (r"\w*" if prefix else r"\w{0,3}\b"))
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(parts) + ")", re.IGNORECASE)


def snippet(text: str, query: str, *, mark: tuple[str, str], tokens: int = 16,
            ellipsis: str = "…") -> str | None:
    """About ``tokens`` words of ``text`` around its first word the query matches, those
    words wrapped in ``mark``; None when no word matches. Ranking and matching stay the
    full-text index's: this only cuts the blurb of the results shown, so a search does
    not tokenise every matching row (FTS5's ``snippet()`` in a ranked query runs for
    every match before the sort)."""
    pattern = highlighter(query)
    first = pattern.search(text) if pattern else None
    if pattern is None or first is None:
        return None
    before = list(_WORD.finditer(text, max(0, first.start() - 200), first.start()))[
        -(tokens // 4):] if first.start() else []
    start = before[0].start() if before else first.start()
    if before and start > 0 and text[start - 1].isalnum():  # cut inside a word
        before, start = before[1:], (before[1].start() if len(before) > 1 else first.start())
    words = 0
    end = start
    for m in _WORD.finditer(text, start):
        words += 1
        end = m.end()
        if words >= tokens:
            break
    window = text[start:end] if end < len(text) and words >= tokens else text[start:].rstrip()
    marked = pattern.sub(lambda m: f"{mark[0]}{m.group()}{mark[1]}", window)
    return (ellipsis if start > 0 else "") + marked + (
        ellipsis if start + len(window) < len(text.rstrip()) else "")


def table_metadata() -> dict[str, Any]:
    """Datasette metadata naming the full-text index of each table whose index reads its
    text through a view (``compile.FTS_CONTENT``), which Datasette's own detection (an
    index whose content is the table) cannot find: ``?_search=`` on ``datasets`` then
    matches what the catalog search matches, fields' text included."""
    from ..compile import FTS_CONTENT
    from .access import PRIVATE_DB, PUBLIC_DB

    tables = {name: {"fts_table": f"{name}_fts", "fts_pk": "rowid"} for name in FTS_CONTENT}
    return {"databases": {db: {"tables": tables} for db in (PUBLIC_DB, PRIVATE_DB)}}
