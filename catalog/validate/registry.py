"""The rule registry: every policy rule, with the codes it reports, its pack and clause.

A rule is a small function registered with :func:`rule`::

    @rule(P.MISSING_LICENSE, pack="state-data-plan", clause="12a", target="dataset",
          needs=("access", "license"))
    def license_of_open_data(entry, inv):
        ...yield problems...

* ``pack`` names a policy pack (``standards/packs/<pack>.yml``): the rule runs only on
  subjects inside the pack's scope (:mod:`catalog.validate.packs`);
* ``clause`` is the place in the pack's source document, as ``docs/policy-map.md``
  writes it (a test keeps the two in step);
* ``target`` is what it checks (a dataset, an agreement, a data request);
* ``scope`` is ``file`` when the rule reads only its subject's file, the standards and
  the subject's own data files (a build caches its outcome by content hash), or
  ``cross`` when it reads facts of other files (the datasets an agreement shares), so
  that it runs on every build;
* ``needs`` lists the top-level properties the rule reads: a descriptor whose other
  properties are broken still gets the rule (one pass reports every layer's problems).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..problems import CODES, Problem

if TYPE_CHECKING:
    from . import Entry, Inventory

Target = Literal["dataset", "agreement", "request", "agency"]
Scope = Literal["file", "cross"]
RuleFn = Callable[["Entry[Any]", "Inventory"], Iterable[Problem]]

# the modules whose functions are rules (imported once, in this order)
MODULES = ("policy", "pii", "disclosure", "agreements", "requests", "guardrails",
           "agency_packs")


@dataclass(frozen=True)
class Rule:
    fn: RuleFn
    codes: tuple[str, ...]
    pack: str
    clause: str
    target: Target
    scope: Scope
    needs: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.fn.__name__

    def __call__(self, entry: "Entry[Any]", inv: "Inventory") -> Iterable[Problem]:
        return self.fn(entry, inv)


_RULES: list[Rule] = []
_LOADED = False


def rule(*codes: str, pack: str, clause: str, target: Target, scope: Scope = "file",
         needs: Iterable[str] = ()) -> Callable[[RuleFn], RuleFn]:
    """Register the decorated function as a rule (see the module docstring)."""
    for code in codes:
        if code not in CODES:
            raise KeyError(f"rule reports unregistered code {code!r}")

    def register(fn: RuleFn) -> RuleFn:
        _RULES.append(Rule(fn, tuple(codes), pack, clause, target, scope, tuple(needs)))
        return fn

    return register


def all_rules() -> list[Rule]:
    """Every registered rule (their modules imported on first use)."""
    global _LOADED
    if not _LOADED:
        for name in MODULES:
            importlib.import_module(f"{__package__}.{name}")
        _LOADED = True
    return list(_RULES)


def rules(target: Target, scope: Scope | None = None) -> list[Rule]:
    return [r for r in all_rules() if r.target == target and scope in (None, r.scope)]


def packs_used() -> set[str]:
    """The packs the catalog's own rules belong to (their files must exist)."""
    return {r.pack for r in all_rules()}


def run(entry: "Entry[Any]", inv: "Inventory", target: Target, scope: Scope
        ) -> Iterator[Problem]:
    """The problems of every rule of ``target`` and ``scope`` whose pack covers the
    entry and whose properties the entry has."""
    from .packs import covers

    for r in rules(target, scope):
        if entry.has(*r.needs) and covers(inv, r.pack, entry, target):
            yield from r(entry, inv)
