"""Policy rules for dataset descriptors, from the State Data Plan, DCF Policy 5-4 and the
prevention play. Each is registered with its pack and clause (docs/policy-map.md).

PII is derived (:mod:`catalog.validate.pii`): a field that looks like personal data
counts as such whatever its ``pii`` flag says, unless waived with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import problems as P
from ..agreements.lifecycle import parse_duration
from ..model.dataset import ACCESS_RANK, AccessLevel, PredictiveAssessment, Visibility
from ..problems import Problem
from .packs import packs_for, review_period
from .pii import personal_fields
from .registry import rule

if TYPE_CHECKING:
    from ..load import Document
    from ..model import Dataset
    from . import Entry, Inventory

QUESTIONS = tuple(PredictiveAssessment.model_fields)


def ahead(doc: "Document", when: dt.date | None, today: dt.date, pointer: str,
          what: str) -> Iterator[Problem]:
    """``date-in-future`` when ``when`` (a day something was done) is after today."""
    if when is not None and when > today:
        yield doc.problem(P.DATE_IN_FUTURE, f"{what} is dated {when}, after today ({today})",
                          pointer, hint="write the day it happened (YYYY-MM-DD); plans go in "
                          "next_due or target fields")


# -- personal data (State Data Plan 4, 4d) -----------------------------------------------------


@rule(P.MISSING_PERSONAL_DATA_POLICY, pack="state-data-plan", clause="4d", target="dataset",
      needs=("schema", "sample", "personal_data"))
def personal_data_has_a_policy(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    pii = personal_fields(entry, inv)
    if not pii or entry.model.personal_data is not None:
        return
    i, first, _ = pii[0]
    names = ", ".join(f.name for _, f, _ in pii[:4]) + ("…" if len(pii) > 4 else "")
    pointer = f"/schema/fields/{i}/pii" if first.pii else f"/schema/fields/{i}/name"
    yield entry.doc.problem(
        P.MISSING_PERSONAL_DATA_POLICY, f"{len(pii)} PII field(s) ({names}) but no "
        "personal_data section", pointer,
        hint="add personal_data: purpose, access_procedure, contact (State Data Plan 4d)")


@rule(P.PII_IN_PUBLIC_DATASET, pack="state-data-plan", clause="4", target="dataset",
      needs=("schema", "sample", "access"))
def public_data_holds_no_pii(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    pii = personal_fields(entry, inv)
    if pii and entry.model.access.level == AccessLevel.PUBLIC:
        i, first, _ = pii[0]
        pointer = f"/schema/fields/{i}/pii" if first.pii else f"/schema/fields/{i}/name"
        yield entry.doc.problem(
            P.PII_IN_PUBLIC_DATASET, f"public dataset has PII field '{first.name}'", pointer,
            hint="confirm the law makes these values public, or restrict access")


@rule(P.CONTACT_DETAILS_MISSING, pack="state-data-plan", clause="4d.iii", target="dataset",
      needs=("personal_data",))
def personal_data_contact_is_reachable(entry: "Entry[Dataset]", inv: "Inventory"
                                       ) -> Iterator[Problem]:
    """"Contact details of the individual to whom enquiries … can be forwarded": a name
    alone is not a contact detail."""
    pd = entry.model.personal_data
    if pd is not None and not (pd.contact.email or (pd.contact.phone or "").strip()):
        yield entry.doc.problem(
            P.CONTACT_DETAILS_MISSING, f"personal-data contact '{pd.contact.name}' has no "
            "e-mail address or telephone", "/personal_data/contact",
            hint="add contact.email (or contact.phone) where enquiries reach them")


# -- classification (State Data Plan 4c, 3d) ----------------------------------------------------


@rule(P.MISSING_CLASSIFICATION, pack="state-data-plan", clause="4c", target="dataset",
      needs=("high_value", "classification"))
def high_value_data_is_classified(entry: "Entry[Dataset]", inv: "Inventory"
                                  ) -> Iterator[Problem]:
    d = entry.model
    if d.high_value.value and d.classification is None:
        yield entry.doc.problem(
            P.MISSING_CLASSIFICATION, "high-value dataset has no classification assessment",
            "/high_value", hint="add classification: level, assessed_on, assessed_by "
            "(State Data Plan 4c)")


@rule(P.CLASSIFICATION_ACCESS_CONFLICT, pack="state-data-plan", clause="3d", target="dataset",
      needs=("classification", "access"))
def access_within_classification(entry: "Entry[Dataset]", inv: "Inventory"
                                 ) -> Iterator[Problem]:
    d = entry.model
    level = inv.standards.levels.get(d.classification.level) if d.classification else None
    if level and ACCESS_RANK[d.access.level] < ACCESS_RANK[level.max_access_level]:
        yield entry.doc.problem(
            P.CLASSIFICATION_ACCESS_CONFLICT, f"access level '{d.access.level.value}' is more "
            f"open than '{level.id}' data allows ({level.max_access_level.value})",
            "/access/level", hint="restrict access, or publish an aggregate as its own "
            "dataset with a suppression policy")


@rule(P.CLASSIFICATION_STALE, P.DATE_IN_FUTURE, pack="state-data-plan", clause="4c",
      target="dataset", needs=("agency", "classification"))
def classification_is_current(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    """Assessed on a real day, and again within the review period of the packs in scope
    (the shortest wins)."""
    c = entry.model.classification
    if c is None:
        return
    yield from ahead(entry.doc, c.assessed_on, inv.today, "/classification/assessed_on",
                     "the classification assessment")
    due = classification_due(entry, inv)
    if due is not None and due[0] < inv.today:
        yield entry.doc.problem(
            P.CLASSIFICATION_STALE, f"classification assessed {c.assessed_on} is due for "
            f"review since {due[0]} ({due[1]})", "/classification/assessed_on",
            hint="review the assessment, then set assessed_on (and assessed_by)")


def classification_due(entry: "Entry[Dataset]", inv: "Inventory"
                       ) -> tuple[dt.date, str] | None:
    """When the classification is next reviewed (the shortest period of the packs in
    scope), and why."""
    c = entry.model.classification
    period = review_period(packs_for(entry, inv, "dataset")) if c else None
    if c is None or period is None:
        return None
    duration, pack = period
    return duration.after(c.assessed_on), \
        f"{pack.title}: every {pack.settings.classification_review}"


def tool_review_due(entry: "Entry[Dataset]") -> dt.date | None:
    """The next ongoing review of a predictive tool in use (None without a schedule)."""
    pa = entry.model.predictive_analytics
    review = pa.ongoing_review if pa and pa.used else None
    period = parse_duration(review.frequency) if review else None
    if review is None or period is None:
        return None
    start = review.last_done or pa.reviewed_on  # type: ignore[union-attr]
    return review.next_due or (period.after(start) if start else None)


@rule(P.DATE_IN_FUTURE, pack="state-data-plan", clause="1a", target="dataset",
      needs=("lifecycle", "predictive_analytics"))
def dataset_dates_have_happened(entry: "Entry[Dataset]", inv: "Inventory"
                                ) -> Iterator[Problem]:
    """Accuracy: a review recorded as done has happened."""
    d = entry.model
    if d.lifecycle:
        yield from ahead(entry.doc, d.lifecycle.last_reviewed, inv.today,
                         "/lifecycle/last_reviewed", "the last review")
    pa = d.predictive_analytics
    if pa:
        yield from ahead(entry.doc, pa.reviewed_on, inv.today, "/predictive_analytics/reviewed_on",
                         "the predictive-analytics review")
        if pa.ongoing_review:
            yield from ahead(entry.doc, pa.ongoing_review.last_done, inv.today,
                             "/predictive_analytics/ongoing_review/last_done",
                             "the last ongoing review")


# -- predictive analytics (DCF 5-4; the prevention play) -------------------------------------


@rule(P.AUTOMATED_DECISION_MAKING, pack="prevention-play", clause="¶2 (automatic decisions)",
      target="dataset", needs=("predictive_analytics",))
def never_automated_decisions(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    """"Never, ever, ever": whatever ``used``, ``decision`` or the assessment say."""
    pa = entry.model.predictive_analytics
    if pa is not None and pa.automated_decision_making:
        yield entry.doc.problem(
            P.AUTOMATED_DECISION_MAKING, "predictive analytics must never be used for "
            "automated decision-making" + ("" if pa.used else " (used: false does not make "
                                           "it acceptable)"),
            "/predictive_analytics/automated_decision_making",
            hint="predictions may only support professional judgment (DCF 5-4); set "
            "automated_decision_making: false and describe the human decision")


@rule(P.PREDICTIVE_ASSESSMENT_INCOMPLETE, pack="dcf-5-4", clause="Predictive ¶2",
      target="dataset", needs=("predictive_analytics",))
def predictive_use_is_assessed(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    pa = entry.model.predictive_analytics
    if pa is None or not (pa.used or pa.decision == "approved"):
        return
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


@rule(P.PREDICTIVE_ASSESSMENT_FAILED, pack="dcf-5-4", clause="Predictive ¶2", target="dataset",
      needs=("predictive_analytics",))
def approval_follows_the_assessment(entry: "Entry[Dataset]", inv: "Inventory"
                                    ) -> Iterator[Problem]:
    """An approval cannot rest on a question answered "no" or "unknown" (erring on the
    side of caution); "partly" is a conditional answer, whose conditions the ongoing
    review of the tool's data monitors (Predictive ¶7)."""
    pa = entry.model.predictive_analytics
    if pa is None or pa.decision != "approved" or pa.assessment is None:
        return
    failing = [q for q in QUESTIONS
               if (a := getattr(pa.assessment, q)) and a.answer in ("no", "unknown")]
    if failing:
        answers = ", ".join(f"{q}: {getattr(pa.assessment, q).answer}" for q in failing)
        yield entry.doc.problem(
            P.PREDICTIVE_ASSESSMENT_FAILED, f"decision is approved but the assessment does "
            f"not support it ({answers})", "/predictive_analytics/decision",
            hint="an approval needs 'yes' (or a conditional 'partly') to all five DCF 5-4 "
            "questions; otherwise decision: rejected (or pending while the answers are worked "
            "out)")


@rule(P.PREDICTIVE_USE_NOT_APPROVED, pack="dcf-5-4", clause="Predictive ¶1", target="dataset",
      needs=("predictive_analytics",))
def only_approved_tools_are_used(entry: "Entry[Dataset]", inv: "Inventory"
                                 ) -> Iterator[Problem]:
    """"Only be utilized if they comport with DCF's policies": a tool in use has been
    approved."""
    pa = entry.model.predictive_analytics
    if pa is not None and pa.used and pa.decision in ("rejected", "pending"):
        yield entry.doc.problem(
            P.PREDICTIVE_USE_NOT_APPROVED, f"predictive analytics is used although the "
            f"decision is {pa.decision}", "/predictive_analytics/used",
            hint="stop the use (used: false) or complete the assessment and its approval")


@rule(P.PREDICTIVE_REVIEW_MISSING, P.PREDICTIVE_REVIEW_OVERDUE, pack="dcf-5-4",
      clause="Predictive ¶7", target="dataset", needs=("predictive_analytics",))
def predictive_data_is_reviewed(entry: "Entry[Dataset]", inv: "Inventory"
                                ) -> Iterator[Problem]:
    """"A process for ongoing review of its SDM data and data from any other actuarial
    tools": a tool in use has a review schedule, kept."""
    pa = entry.model.predictive_analytics
    if pa is None or not pa.used:
        return
    review = pa.ongoing_review
    if review is None:
        yield entry.doc.problem(
            P.PREDICTIVE_REVIEW_MISSING, "predictive tool in use without an ongoing review of "
            "its data for over-representation", "/predictive_analytics",
            hint="add predictive_analytics.ongoing_review: frequency (P1Y), last_done, next_due")
        return
    period = parse_duration(review.frequency)
    if period is None:
        yield entry.doc.problem(
            P.INVALID_VALUE, f"ongoing_review.frequency '{review.frequency}' is not an ISO 8601 "
            "duration", "/predictive_analytics/ongoing_review/frequency",
            hint="write the period as P1Y (yearly), P6M, P3M or P90D")
        return
    due = tool_review_due(entry)
    if due and due < inv.today:
        yield entry.doc.problem(
            P.PREDICTIVE_REVIEW_OVERDUE, f"the ongoing review of this tool's data was due "
            f"{due}", "/predictive_analytics/ongoing_review",
            hint="review the data for over-representation, then set last_done and next_due")


# -- access (State Data Plan 3d, 4, 12) -----------------------------------------------------


@rule(P.NON_PUBLIC_DOWNLOAD, pack="state-data-plan", clause="4", target="dataset",
      needs=("access", "distributions"))
def non_public_data_has_no_download(entry: "Entry[Dataset]", inv: "Inventory"
                                    ) -> Iterator[Problem]:
    d = entry.model
    if d.access.level != AccessLevel.NON_PUBLIC:
        return
    for i, dist in enumerate(d.distributions):
        if dist.kind == "download":
            yield entry.doc.problem(
                P.NON_PUBLIC_DOWNLOAD, f"non-public dataset offers download '{dist.id}'",
                f"/distributions/{i}/kind", hint="remove the download or use kind: "
                "landing-page for a request page")


@rule(P.MISSING_RIGHTS, pack="state-data-plan", clause="3d", target="dataset",
      needs=("access",))
def restricted_data_says_why(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    level = entry.model.access.level
    if level != AccessLevel.PUBLIC and not entry.model.access.rights:
        yield entry.doc.problem(
            P.MISSING_RIGHTS, f"{level.value} dataset does not say why access is limited",
            "/access", hint="add access.rights (the law or policy that restricts it)")


@rule(P.PUBLIC_WITHOUT_DISTRIBUTION, P.MISSING_LICENSE, pack="state-data-plan", clause="12a",
      target="dataset", needs=("access", "distributions", "license"))
def open_data_is_released(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    """Public data is released robust and well-documented: where to get it, and under
    which license."""
    d = entry.model
    if d.access.level != AccessLevel.PUBLIC:
        return
    if not d.distributions:
        yield entry.doc.problem(
            P.PUBLIC_WITHOUT_DISTRIBUTION, "public dataset has no distribution", "/access",
            hint="add distributions: where the public gets the data")
    if not d.license:
        yield entry.doc.problem(
            P.MISSING_LICENSE, "public dataset names no license", "/access/level",
            hint="add license: an id from the licenses vocabulary (standards/vocabularies.yml), "
            "e.g. cc0-1.0 or cc-by-4.0")


@rule(P.HIDDEN_PUBLIC_DATASET, pack="state-data-plan", clause="12", target="dataset",
      needs=("access",))
def public_data_is_visible(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    d = entry.model
    if d.access.level == AccessLevel.PUBLIC and \
            d.access.effective_visibility == Visibility.HIDDEN:
        yield entry.doc.problem(
            P.HIDDEN_PUBLIC_DATASET, "public dataset is hidden from the public catalog",
            "/access/visibility", hint="use visibility: public (or listed)")
