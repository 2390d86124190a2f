"""The declarative rules of policy packs (``rules:`` in ``standards/packs/<id>.yml``),
how an agency adds its own policy without code (docs/policy-packs.md).

Each rule has a ``when`` (which datasets it concerns) and a ``require`` (what they must
hold), over dotted paths of the descriptor as written (``access.level``,
``classification.level``) and two derived facts: ``$pii`` (the dataset has personal-data
fields, marked or detected) and ``$aggregate`` (it publishes aggregates of confidential
data). A condition is a value, a list of allowed values, ``{present: true|false}``,
``{pattern: regex}`` or ``{min: n}``. A rule can only add requirements to those of the
statewide packs: nothing here switches another rule off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import problems as P
from ..problems import Problem, Severity
from .disclosure import aggregates
from .packs import AGENCY_PACKS, packs_for
from .pii import personal_fields
from .registry import rule

if TYPE_CHECKING:
    from ..model import Dataset
    from ..model.standards import Pack, PackRule
    from . import Entry, Inventory

_MISSING = object()


def value_at(entry: "Entry[Dataset]", inv: "Inventory", path: str) -> Any:
    """The value at a dotted path of the descriptor, or a derived fact (``$pii``,
    ``$aggregate``); ``_MISSING`` when absent."""
    if path == "$pii":
        return bool(entry.has("schema", "sample") and personal_fields(entry, inv))
    if path == "$aggregate":
        return bool(entry.has("disclosure") and aggregates(entry.model))
    cursor: Any = entry.doc.data
    for part in path.split("."):
        if isinstance(cursor, dict) and part in cursor:
            cursor = cursor[part]
        elif isinstance(cursor, list) and part.isdigit() and int(part) < len(cursor):
            cursor = cursor[int(part)]
        else:
            return _MISSING
    return cursor


def holds(value: Any, condition: Any) -> bool:
    """Whether ``value`` meets one condition of a pack rule."""
    if isinstance(condition, dict):
        if "present" in condition:
            return (value is not _MISSING and value is not None) == bool(condition["present"])
        if value is _MISSING or value is None:
            return False
        if "pattern" in condition:
            return bool(re.search(str(condition["pattern"]), str(value)))
        if "min" in condition:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and \
                value >= condition["min"]
        return False
    if isinstance(condition, list):
        return value in condition
    return bool(value == condition)


def _expected(condition: Any) -> str:
    if isinstance(condition, dict):
        if "present" in condition:
            return "present" if condition["present"] else "absent"
        if "pattern" in condition:
            return f"matching {condition['pattern']!r}"
        return f"at least {condition.get('min')}"
    if isinstance(condition, list):
        return "one of " + ", ".join(map(str, condition))
    return repr(condition)


def _check(entry: "Entry[Dataset]", inv: "Inventory", pack: "Pack", r: "PackRule"
           ) -> Iterator[Problem]:
    if not all(holds(value_at(entry, inv, path), c) for path, c in r.when.items()):
        return
    for path, condition in r.require.items():
        value = value_at(entry, inv, path)
        if holds(value, condition):
            continue
        shown = "absent" if value is _MISSING else repr(value)
        pointer = "" if path.startswith("$") else "/" + path.replace(".", "/")
        yield entry.doc.problem(
            P.AGENCY_PACK_RULE, f"{pack.title} {r.clause} ({r.id}): {r.says} ({path} is "
            f"{shown}, expected {_expected(condition)})", pointer,
            severity=Severity(r.severity),
            hint=r.hint or f"set {path} to {_expected(condition)} (standards/packs/{pack.id}.yml)")


@rule(P.AGENCY_PACK_RULE, pack=AGENCY_PACKS, clause="(each rule names its own)",
      target="dataset")
def pack_rules_hold(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    """Every declarative rule of every pack covering the dataset."""
    for pack in packs_for(entry, inv, "dataset"):
        for r in pack.rules:
            yield from _check(entry, inv, pack, r)
