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
