"""Policy packs (``standards/packs/<id>.yml``): which subjects each covers, and the
settings that apply to a subject.

A pack without ``agency`` is statewide. A pack with ``agency: dcf`` covers

* a dataset of that agency;
* an agreement the agency is a party to, or that shares one of its datasets;
* a data request the agency handles or makes, or that asks for one of its datasets.

Which agencies an agreement or a request involves is derived from the datasets it names
(their descriptors say which agency holds them), never from the file's own claims alone.
Where several packs cover a subject, the strictest setting wins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import problems as P
from ..agreements.lifecycle import Duration, parse_duration
from ..problems import Problem

if TYPE_CHECKING:
    from ..model.standards import Pack, SuppressionPolicy
    from . import Entry, Inventory

_EPOCH = dt.date(2000, 1, 1)
AGENCY_PACKS = "agency-packs"
"""The pseudo-pack of the rule that runs the declarative rules of agencies' own packs."""


def involved(entry: "Entry[Any]", inv: "Inventory", target: str) -> frozenset[str]:
    """The agencies a subject involves: its own, its parties', those holding the
    datasets it names (computed once per entry)."""
    memo = entry.memo.get("involved")
    if memo is None:
        memo = entry.memo["involved"] = _involved(entry, inv, target)
    return memo  # type: ignore[no-any-return]


def _involved(entry: "Entry[Any]", inv: "Inventory", target: str) -> frozenset[str]:
    m = entry.model
    out: set[str] = set()
    if target in ("dataset", "agency"):
        own = getattr(m, "agency" if target == "dataset" else "id", None)
        return frozenset([own or entry.source.folder])
    named: list[str] = list(getattr(m, "datasets", None) or [])
    if target == "agreement":
        out.update(p.agency for p in (getattr(m, "parties", None) or []) if p.agency)
    else:
        requester = getattr(m, "requester", None)
        out.update(a for a in (getattr(m, "handled_by", None),
                               requester.agency if requester else None) if a)
    out.update(inv.facts[d].agency for d in named if d in inv.facts)
    return frozenset(out)


def applicable(inv: "Inventory", agencies: frozenset[str]) -> list["Pack"]:
    """The packs covering a subject that involves ``agencies`` (statewide ones too)."""
    return [p for p in inv.standards.packs.values() if p.agency is None or p.agency in agencies]


def covers(inv: "Inventory", pack_id: str, entry: "Entry[Any]", target: str) -> bool:
    if pack_id == AGENCY_PACKS:
        return True
    pack = inv.standards.packs.get(pack_id)
    if pack is None:  # reported as policy-pack-missing; nothing is built meanwhile
        return False
    return pack.agency is None or pack.agency in involved(entry, inv, target)


def packs_for(entry: "Entry[Any]", inv: "Inventory", target: str) -> list["Pack"]:
    return applicable(inv, involved(entry, inv, target))


# -- settings: the strictest of the packs that cover a subject --------------------------------


def review_period(packs: list["Pack"]) -> tuple[Duration, "Pack"] | None:
    """The shortest classification review period set by ``packs``, and who sets it."""
    found = [(d, p) for p in packs
             if (d := parse_duration(p.settings.classification_review)) is not None]
    return min(found, key=lambda dp: dp[0].after(_EPOCH), default=None)


def minimum_policies(packs: list["Pack"], inv: "Inventory"
                     ) -> list[tuple["SuppressionPolicy", "Pack"]]:
    """The suppression policies ``packs`` require at least."""
    out = []
    for p in packs:
        policy = inv.standards.policies.get(p.settings.suppression_policy or "")
        if policy is not None:
            out.append((policy, p))
    return out


def weaker(policy: "SuppressionPolicy", floor: "SuppressionPolicy") -> list[str]:
    """How ``policy`` protects less than ``floor`` (empty: at least as strict)."""
    out = []
    if policy.min_count < floor.min_count:
        out.append(f"publishes counts from {policy.min_count} (needs {floor.min_count})")
    if floor.suppress_zero and not policy.suppress_zero:
        out.append("shows zeros")
    if floor.complementary and not policy.complementary:
        out.append("has no complementary suppression")
    if floor.rounding and (not policy.rounding or policy.rounding % floor.rounding):
        out.append(f"does not round to {floor.rounding}")
    return out


def strictest(policies: list["SuppressionPolicy"]) -> "SuppressionPolicy | None":
    """One of ``policies`` that is at least as strict as every other, if any."""
    for candidate in policies:
        if not any(weaker(candidate, other) for other in policies):
            return candidate
    return max(policies, key=lambda p: (p.min_count, p.suppress_zero), default=None)


def patterns(packs: list["Pack"], name: str, key: str | None = None
             ) -> list[tuple[re.Pattern[str], "Pack"]]:
    """The regular expressions ``packs`` set for ``name`` (``approvers`` by ``key``)."""
    out = []
    for p in packs:
        value = getattr(p.settings, name)
        text = value.get(key or "") if isinstance(value, dict) else value
        if text:
            out.append((re.compile(text), p))
    return out


def business_days(packs: list["Pack"]) -> tuple[int, "Pack"] | None:
    found = [(p.settings.foia_business_days, p) for p in packs if p.settings.foia_business_days]
    return min(found, key=lambda dp: dp[0], default=None)  # type: ignore[return-value,arg-type]


def turnaround(packs: list["Pack"], kind: str) -> tuple[int, "Pack"] | None:
    """The shortest target, in days, for answering a requester of ``kind``."""
    found = []
    for p in packs:
        days = p.settings.turnaround_days
        value = days.get(kind, days.get("default"))
        if value:
            found.append((value, p))
    return min(found, key=lambda dp: dp[0], default=None)


# -- the packs themselves ----------------------------------------------------------------


def check_packs(inv: "Inventory", used: set[str]) -> Iterator[Problem]:
    """The packs the catalog's own rules belong to must exist (an agency's own pack may
    name an agency whose folder does not exist yet: it covers nothing until then)."""
    folder = inv.project.standards_dir / "packs"
    for pack_id in sorted(used - set(inv.standards.packs) - {AGENCY_PACKS}):
        yield Problem.make(P.POLICY_PACK_MISSING, f"policy pack '{pack_id}' is missing: "
                           "its rules do not run", file=inv.project.rel(folder / f"{pack_id}.yml"),
                           hint=f"restore standards/packs/{pack_id}.yml (git checkout)")
