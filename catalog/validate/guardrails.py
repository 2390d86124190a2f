"""Guardrails: an unedited ``catalog new`` scaffold is not a descriptor.

Every placeholder value of the scaffold (``catalog.scaffold.PLACEHOLDERS``: the title,
description, keyword, steward, rights, the new agency's name and data officer) is an
error wherever it is left, so a scaffold can be committed as a draft but never built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import problems as P
from ..load import join
from ..problems import Problem
from ..scaffold import PLACEHOLDERS
from .registry import rule

if TYPE_CHECKING:
    from . import Entry, Inventory

_TEXTS = frozenset(PLACEHOLDERS.values())
_SHORTEST, _LONGEST = min(map(len, _TEXTS)), max(map(len, _TEXTS))
_STARTS = frozenset(t[:6] for t in _TEXTS)


def _texts(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """The strings of a descriptor that are as long as a placeholder, with pointers."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str):
                if _SHORTEST <= len(v.strip()) <= _LONGEST + 8:
                    yield join(pointer, k), v
            elif isinstance(v, (dict, list)):
                yield from _texts(v, join(pointer, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str):
                if _SHORTEST <= len(v.strip()) <= _LONGEST + 8:
                    yield join(pointer, i), v
            elif isinstance(v, (dict, list)):
                yield from _texts(v, join(pointer, i))


def _any(value: Any) -> bool:
    """Some string of ``value`` is a placeholder (a quick scan: no pointers)."""
    if isinstance(value, str):
        return value.lstrip()[:6] in _STARTS and " ".join(value.split()) in _TEXTS
    if isinstance(value, dict):
        return any(_any(v) for v in value.values())
    if isinstance(value, list):
        return any(_any(v) for v in value)
    return False


def _placeholders(entry: "Entry[Any]") -> Iterator[Problem]:
    if not _any(entry.doc.data):
        return
    for pointer, text in _texts(entry.doc.data):
        if text.lstrip()[:6] in _STARTS and " ".join(text.split()) in _TEXTS:
            yield entry.doc.problem(
                P.SCAFFOLD_PLACEHOLDER, f"'{text.strip()[:60]}' is a placeholder of the "
                "catalog new scaffold", pointer,
                hint="replace it with the real value (docs/descriptor.md)")


@rule(P.SCAFFOLD_PLACEHOLDER, pack="state-data-plan", clause="7a(3)", target="dataset")
def no_scaffold_placeholders(entry: "Entry[Any]", inv: "Inventory") -> Iterator[Problem]:
    """A descriptor documents the data: no placeholder of the template is left."""
    yield from _placeholders(entry)


@rule(P.SCAFFOLD_PLACEHOLDER, pack="state-data-plan", clause="3c", target="agency")
def agency_roles_are_real(entry: "Entry[Any]", inv: "Inventory") -> Iterator[Problem]:
    """The agency and its data officer are named (roles assigned and documented)."""
    yield from _placeholders(entry)
