"""Disclosure control of published aggregates (State Data Plan 4a, 12b; DCF 5-4 small N).

A dataset that publishes aggregates of confidential records (``aggregates_confidential``
or a named ``suppression_policy``) has every table the catalog holds of it checked,
whatever else is wrong with them: its ``sample`` and each distribution's local ``file``.
The policy checked is the strictest of the one it names and those the packs covering it
require (a DCF dataset at least ``dcf-client-small-n``). Count columns are the fields
marked ``count: true`` and the columns whose values are all counts (unless waived with
``waivers: {count: …}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .. import problems as P
from ..model.dataset import AccessLevel
from ..problems import CatalogError, Problem
from .packs import minimum_policies, packs_for, strictest, weaker
from .registry import rule

if TYPE_CHECKING:
    from ..model import Dataset
    from ..model.standards import SuppressionPolicy
    from . import Entry, Inventory

TABLES = (".csv", ".tsv", ".txt")


def aggregates(d: "Dataset") -> bool:
    return bool(d.disclosure and (d.disclosure.aggregates_confidential
                                  or d.disclosure.suppression_policy))


@rule(P.MISSING_SUPPRESSION_POLICY, pack="state-data-plan", clause="4a", target="dataset",
      needs=("access", "disclosure"))
def aggregates_name_a_policy(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    d = entry.model
    if d.access.level == AccessLevel.NON_PUBLIC or d.disclosure is None:
        return
    if d.disclosure.aggregates_confidential and not d.disclosure.suppression_policy:
        floor = strictest([p for p, _ in minimum_policies(packs_for(entry, inv, "dataset"),
                                                          inv)])
        yield entry.doc.problem(
            P.MISSING_SUPPRESSION_POLICY, "published aggregates of confidential data name no "
            "suppression policy", "/disclosure", hint="add disclosure.suppression_policy "
            f"(standards/suppression.yml{f'; at least {floor.id}' if floor else ''})")


@rule(P.SUPPRESSION_POLICY_TOO_WEAK, pack="state-data-plan", clause="4a", target="dataset",
      needs=("agency", "disclosure"))
def policy_at_least_the_packs(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    """A named policy cannot be weaker than a pack in scope requires (DCF's client data
    under DCF's small-N rules, an agency's own minimum)."""
    d = entry.model
    named = inv.standards.policies.get(d.disclosure.suppression_policy or "") \
        if d.disclosure else None
    if named is None:
        return
    for floor, pack in minimum_policies(packs_for(entry, inv, "dataset"), inv):
        gaps = weaker(named, floor)
        if gaps:
            yield entry.doc.problem(
                P.SUPPRESSION_POLICY_TOO_WEAK, f"{named.id} {' and '.join(gaps)}: "
                f"{pack.title} requires at least {floor.id}", "/disclosure/suppression_policy",
                hint=f"use {floor.id} or a stricter policy")


def policy_for(entry: "Entry[Dataset]", inv: "Inventory") -> "SuppressionPolicy | None":
    """The strictest of the dataset's own policy and those its packs require."""
    d = entry.model
    named = inv.standards.policies.get(d.disclosure.suppression_policy or "") \
        if d.disclosure else None
    floors = [p for p, _ in minimum_policies(packs_for(entry, inv, "dataset"), inv)]
    return strictest([*([named] if named else []), *floors])


def suppression_markers(entry: "Entry[Dataset]", inv: "Inventory") -> list[str]:
    """The symbols that mark a suppressed cell in an aggregate's tables: those of its
    own policy and of the policies its packs require (empty unless it is an
    aggregate)."""
    d = entry.model
    if not aggregates(d):
        return []
    named = inv.standards.policies.get(d.disclosure.suppression_policy or "") \
        if d.disclosure else None
    floors = [p for p, _ in minimum_policies(packs_for(entry, inv, "dataset"), inv)]
    return sorted({s for p in ([named] if named else []) + floors
                   for s in (p.symbol, *p.other_symbols)})


def tables(entry: "Entry[Dataset]") -> list[tuple[str, str, bool]]:
    """(path relative to the descriptor, pointer, is the sample) of each table the
    catalog holds of a dataset."""
    d = entry.model
    out = [(d.sample, "/sample", True)] if d.sample else []
    out += [(dist.file, f"/distributions/{i}/file", False)
            for i, dist in enumerate(d.distributions) if dist.file]
    return out


@rule(P.SMALL_COUNT, P.UNROUNDED_COUNT, P.INVALID_COUNT, P.RECOVERABLE_CELL, P.SAMPLE_NOT_FOUND,
      P.SAMPLE_INVALID, P.SAMPLE_TOO_LARGE, pack="state-data-plan", clause="4a", target="dataset",
      needs=("agency", "disclosure", "schema", "sample", "distributions"))
def published_counts_are_suppressed(entry: "Entry[Dataset]", inv: "Inventory"
                                    ) -> Iterator[Problem]:
    """Every aggregate table the catalog holds follows the suppression policy."""
    from ..governance.suppression import audit_file, dataset_layout

    d = entry.model
    if d.schema_ is None or not aggregates(d):
        return
    policy = policy_for(entry, inv)
    if policy is None:
        return
    layout = dataset_layout(d)
    for rel, pointer, is_sample in tables(entry):
        path = entry.source.path.parent / rel
        if not is_sample and (not inv.project.inside(path) or not path.is_file()):
            yield entry.doc.problem(P.SAMPLE_NOT_FOUND, f"published file '{rel}' does not "
                                    "exist", pointer, hint="give a path relative to this "
                                    "descriptor, e.g. published/x.csv")
            continue
        if not inv.project.inside(path) or not path.is_file() or \
                Path(rel).suffix.lower() not in TABLES:
            continue  # sample-not-found reports a missing sample
        shown = inv.project.rel(path)
        if (size := path.stat().st_size) > inv.sample_limit:  # never read: bounded memory
            if not is_sample:  # a sample's size is sample-too-large's to report
                yield Problem.make(
                    P.SAMPLE_TOO_LARGE, f"published file is {size:,} bytes; the limit for "
                    f"a file the catalog reads is {inv.sample_limit:,}", file=shown,
                    pointer=pointer, hint="raise sample_limit_mib in inventory/_catalog.yml "
                    "to have the catalog check it for small counts")
            continue
        try:
            audit = audit_file(path, policy, display=shown, pointer=pointer,
                               hint=f"checked under {policy.id}; the data dictionary is in "
                               f"{entry.doc.rel}", strict=False, **layout)
        except CatalogError as exc:
            if not is_sample:  # a sample's structure is sample-invalid's to report
                yield Problem.make(P.SAMPLE_INVALID, str(exc), file=shown, pointer=pointer,
                                   hint=exc.hint)
            continue
        yield from audit.problems
