"""User text → a safe SQLite FTS5 query.

Every word becomes a quoted phrase of its letters and digits (``ct-town`` → ``"ct town"``),
so quotes, brackets and the operators AND/OR/NOT/NEAR typed by a user are plain words and
can never make the query fail; phrases are ANDed; the last one is a prefix match so a
half-typed word still finds something.
"""

from __future__ import annotations

import re

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


_SUFFIXES = ("ing", "es", "ed", "s")


def _stem(word: str) -> str:
    """A crude stem for highlighting only (the index's porter stemmer decides what
    matches; this decides which words of a blurb are marked)."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(query: str | None) -> list[tuple[str, bool]]:
    """(lower-case word, is a prefix) of each word of an :func:`fts_query` expression."""
    out: list[tuple[str, bool]] = []
    for phrase in re.findall(r'"([^"]*)"(\*?)', query or ""):
        words = phrase[0].lower().split()
        out += [(_stem(w), False) for w in words[:-1]]
        if words:
            out.append((words[-1] if phrase[1] else _stem(words[-1]), bool(phrase[1])))
    return out


def snippet(text: str, query_terms: list[tuple[str, bool]], *, mark: tuple[str, str],
            tokens: int = 16, ellipsis: str = "…") -> str | None:
    """About ``tokens`` words of ``text`` around its first word the query matches, those
    words wrapped in ``mark``; None when no word matches. Ranking and matching stay the
    full-text index's: this only cuts the blurb of the 50 results shown, so a search does
    not tokenise every matching row (FTS5's ``snippet()`` in a ranked query runs for
    every match before the sort)."""
    words = list(_WORD.finditer(text))

    def hit(token: str) -> bool:
        low = token.lower()
        return any(low.startswith(t) if prefix else _stem(low) == t or low == t
                   for t, prefix in query_terms)

    first = next((i for i, m in enumerate(words) if hit(m.group())), None)
    if first is None:
        return None
    start = max(0, min(first - tokens // 4, len(words) - tokens))
    end = min(len(words), start + tokens)
    out, pos = [], words[start].start()
    for m in words[start:end]:
        out.append(text[pos:m.start()])
        out.append(f"{mark[0]}{m.group()}{mark[1]}" if hit(m.group()) else m.group())
        pos = m.end()
    tail = text[pos:].split()
    if end == len(words) and tail:
        out.append(text[pos:].rstrip())
    return (ellipsis if start > 0 else "") + "".join(out) + (
        ellipsis if end < len(words) else "")
