"""Policy rules from the State Data Plan and DCF policies, per dataset.

| rule | source |
|---|---|
| PII fields need a personal-data policy | Plan 4d i–iii; DCF 31-8-5 |
| public aggregates of confidential data need a suppression policy | Plan 4a; DCF 5-4 small N |
| high-value datasets need a classification assessment | Plan 4c |
| access no more open than the classification allows | Plan 4c, 3d |
| predictive analytics: the five DCF 5-4 questions answered | DCF 5-4 |
| never automated decision-making | DCF prevention play |
| non-public data has no public download | Plan 4, DCAT-US accessLevel |
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import problems as P
from ..model.dataset import ACCESS_RANK, AccessLevel, PredictiveAssessment, Visibility
from ..problems import Problem

if TYPE_CHECKING:
    from ..model import Dataset
    from . import Entry, Inventory

QUESTIONS = tuple(PredictiveAssessment.model_fields)


def _personal_data(entry: "Entry[Dataset]") -> Iterator[Problem]:
    d = entry.model
    pii = [(i, f) for i, f in enumerate(d.schema_.fields if d.schema_ else []) if f.pii]
    if not pii:
        return
    if d.personal_data is None:
        i, first = pii[0]
        names = ", ".join(f.name for _, f in pii[:4]) + ("…" if len(pii) > 4 else "")
        yield entry.doc.problem(
            P.MISSING_PERSONAL_DATA_POLICY, f"{len(pii)} PII field(s) ({names}) but no "
            "personal_data section", f"/schema/fields/{i}/pii",
            hint="add personal_data: purpose, access_procedure, contact (State Data Plan 4d)")
    if d.access.level == AccessLevel.PUBLIC:
        i, first = pii[0]
        yield entry.doc.problem(
            P.PII_IN_PUBLIC_DATASET, f"public dataset has PII field '{first.name}'",
            f"/schema/fields/{i}/pii",
            hint="confirm the law makes these values public, or restrict access")


def _classification(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    d = entry.model
    if d.high_value.value and d.classification is None:
        yield entry.doc.problem(
            P.MISSING_CLASSIFICATION, "high-value dataset has no classification assessment",
            "/high_value", hint="add classification: level, assessed_on, assessed_by "
            "(State Data Plan 4c)")
    if d.classification is None:
        return
    level = inv.standards.levels.get(d.classification.level)
    if level and ACCESS_RANK[d.access.level] < ACCESS_RANK[level.max_access_level]:
        yield entry.doc.problem(
            P.CLASSIFICATION_ACCESS_CONFLICT, f"access level '{d.access.level.value}' is more "
            f"open than '{level.id}' data allows ({level.max_access_level.value})",
            "/access/level", hint="restrict access, or publish an aggregate as its own "
            "dataset with a suppression policy")


def _disclosure(entry: "Entry[Dataset]") -> Iterator[Problem]:
    d = entry.model
    if d.access.level == AccessLevel.NON_PUBLIC or d.disclosure is None:
        return
    if d.disclosure.aggregates_confidential and not d.disclosure.suppression_policy:
        yield entry.doc.problem(
            P.MISSING_SUPPRESSION_POLICY, "published aggregates of confidential data name no "
            "suppression policy", "/disclosure",
            hint="add disclosure.suppression_policy (standards/suppression.yml)")


def _predictive(entry: "Entry[Dataset]") -> Iterator[Problem]:
    pa = entry.model.predictive_analytics
    if pa is None or not pa.used:
        return
    if pa.automated_decision_making:
        yield entry.doc.problem(
            P.AUTOMATED_DECISION_MAKING, "predictive analytics must never be used for "
            "automated decision-making", "/predictive_analytics/automated_decision_making",
            hint="predictions may only support professional judgment (DCF 5-4)")
    answered = pa.assessment.model_dump(exclude_none=True) if pa.assessment else {}
    missing = [q for q in QUESTIONS if q not in answered]
    if not pa.reviewed_by:
        missing.append("reviewed_by")
    if not pa.decision:
        missing.append("decision")
    if missing:
        yield entry.doc.problem(
            P.PREDICTIVE_ASSESSMENT_INCOMPLETE, "predictive analytics use is missing: "
            + ", ".join(missing), "/predictive_analytics",
            hint="answer the five DCF 5-4 assessment questions and record the review")


def _access(entry: "Entry[Dataset]") -> Iterator[Problem]:
    d = entry.model
    level = d.access.level
    if level == AccessLevel.NON_PUBLIC:
        for i, dist in enumerate(d.distributions):
            if dist.kind == "download":
                yield entry.doc.problem(
                    P.NON_PUBLIC_DOWNLOAD, f"non-public dataset offers download '{dist.id}'",
                    f"/distributions/{i}/kind", hint="remove the download or use kind: "
                    "landing-page for a request page")
    if level != AccessLevel.PUBLIC and not d.access.rights:
        yield entry.doc.problem(
            P.MISSING_RIGHTS, f"{level.value} dataset does not say why access is limited",
            "/access", hint="add access.rights (the law or policy that restricts it)")
    if level == AccessLevel.PUBLIC:
        if not d.distributions:
            yield entry.doc.problem(
                P.PUBLIC_WITHOUT_DISTRIBUTION, "public dataset has no distribution",
                "/access", hint="add distributions: where the public gets the data")
        if d.access.effective_visibility == Visibility.HIDDEN:
            yield entry.doc.problem(
                P.HIDDEN_PUBLIC_DATASET, "public dataset is hidden from the public catalog",
                "/access/visibility", hint="use visibility: public (or listed)")


def check_dataset(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    yield from _personal_data(entry)
    yield from _classification(entry, inv)
    yield from _disclosure(entry)
    yield from _predictive(entry)
    yield from _access(entry)


def check(inv: "Inventory") -> Iterator[Problem]:
    for entry in inv.datasets.values():
        yield from check_dataset(entry, inv)
