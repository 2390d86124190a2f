"""Licence URLs as portals write them → the ``licenses`` vocabulary.

The same licence is written many ways: ``http`` or ``https``, with or without ``www.``
and the trailing slash, the deed or the legal code (``…/by/4.0/legalcode``,
``…/deed.en``), or the Open Definition's page for it
(``http://www.opendefinition.org/licenses/cc-by``, CKAN's default). Each vocabulary
term lists its canonical ``url`` and, under ``same_as``, the other well-known URLs of the
same licence; :meth:`LicenseIndex.term` finds the term for any spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_SCHEME = re.compile(r"^[a-z]+://")
_CC_SUFFIX = re.compile(r"/(legalcode|deed)(\.[a-z-]+)?(\.html?)?$")


def normalise(url: str) -> str:
    """The part of a licence URL that identifies the licence."""
    text = _SCHEME.sub("", url.strip().lower())
    text = text.removeprefix("www.")
    text = text.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if text.startswith("creativecommons.org/"):
        text = _CC_SUFFIX.sub("", text)
    return text.removesuffix(".html").rstrip("/")


@dataclass
class LicenseIndex:
    """Normalised URL → term id, and term id → canonical URL."""

    by_url: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, terms: Iterable[Any]) -> "LicenseIndex":
        index = cls()
        for t in terms:
            for url in [t.url, *(getattr(t, "same_as", None) or [])]:
                if url:
                    index.by_url.setdefault(normalise(url), t.id)
            if t.url:
                index.urls[t.id] = t.url
        return index

    @classmethod
    def of_rows(cls, rows: Iterable[dict[str, Any]]) -> "LicenseIndex":
        """From ``vocabulary_terms`` rows (``same_as`` is a JSON list)."""
        import json

        class _Term:
            def __init__(self, row: dict[str, Any]) -> None:
                self.id, self.url = row["id"], row["url"]
                self.same_as = json.loads(row.get("same_as") or "[]")

        return cls.of(_Term(r) for r in rows)

    def term(self, url: Any) -> str | None:
        """The vocabulary id of the licence at ``url`` (any well-known spelling)."""
        if not isinstance(url, str) or not url.strip():
            return None
        return self.by_url.get(normalise(url))
