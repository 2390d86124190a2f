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


def _leaves(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, join(pointer, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, join(pointer, i))
    elif isinstance(value, str):
        yield pointer, value


def _placeholders(entry: "Entry[Any]") -> Iterator[Problem]:
    for pointer, text in _leaves(entry.doc.data):
        if " ".join(text.split()) in _TEXTS:
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
