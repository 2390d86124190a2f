"""DCF Policy 5-4 rules for data-sharing and integration agreements.

* term ends after it starts; an active agreement past its end is reported as expired;
* at least one party is a state agency of the inventory;
* external parties using identifiable client-level data → a client notification and
  informed-consent plan, approved before data is provided;
* approved/active agreements → IRB or Commissioner approval, and written reviews by the
  research & evaluation office, the multicultural affairs office and the racial justice
  workgroup, each archived where staff can read it;
* approved/active agreements sharing identifiable client data → an approval of kind
  ``governance`` (the Executive Team IS Governance body);
* approved/active agreements → an ongoing-review schedule whose next date has not passed
  (``ongoing_review.frequency`` an ISO 8601 duration such as ``P1Y``);
* the status agrees with the term: ``expired`` only after the term ended, ``active`` only
  once it started, ``approved`` not after it ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import problems as P
from ..agreements.lifecycle import Dates, next_review, parse_duration
from ..model.agreement import Review, Status
from ..problems import Problem

if TYPE_CHECKING:
    from ..model import Agreement
    from . import Entry, Inventory

IN_FORCE = (Status.APPROVED, Status.ACTIVE)
REQUIRED_REVIEWS = tuple(Review.model_fields["office"].annotation.__args__)  # type: ignore[union-attr]
OFFICE_NAMES = {
    "research-evaluation": "Office for Research and Evaluation",
    "multicultural-affairs": "Office of Multicultural Affairs and Immigration Practice",
    "racial-justice-workgroup": "Statewide Racial Justice Workgroup",
}


def _one(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    a, doc = entry.model, entry.doc
    if a.term.end and a.term.end < a.term.start:
        yield doc.problem(P.AGREEMENT_TERM_INVALID, f"term ends {a.term.end} before it starts "
                          f"{a.term.start}", "/term/end",
                          hint="check the dates: YYYY-MM-DD, end after start")
    if a.status == Status.ACTIVE and a.term.end and a.term.end < inv.today:
        yield doc.problem(P.AGREEMENT_EXPIRED, f"status is active but the term ended "
                          f"{a.term.end}", "/status",
                          hint="renew the agreement or set status: expired")
    if not any(p.agency for p in a.parties):
        yield doc.problem(P.AGREEMENT_NO_STATE_PARTY, "no party is a state agency", "/parties",
                          hint="name the agency as '- agency: <id>'")
    for i, party in enumerate(a.parties):
        if not party.agency and not party.name:
            yield doc.problem(P.MISSING_PROPERTY, "party needs 'agency' (a state agency id) or "
                              "'name'", f"/parties/{i}",
                              hint="state agencies: agency: <id>; others: name: ..., kind: ...")
    external = [p for p in a.parties if p.kind != "state-agency"]
    if a.identifiable_client_data and external:
        plan = a.consent_plan
        if plan is None:
            yield doc.problem(
                P.AGREEMENT_MISSING_CONSENT_PLAN, f"{external[0].name or 'an external party'} "
                "will use identifiable client data but there is no consent plan",
                "/identifiable_client_data", hint="add consent_plan: description, approved_by, "
                "approved_on (DCF 5-4)")
        elif a.status in IN_FORCE and not (plan.approved_by and plan.approved_on):
            yield doc.problem(
                P.AGREEMENT_CONSENT_NOT_APPROVED, "the consent plan must be approved by the "
                "Commissioner or designee before data is provided", "/consent_plan",
                hint="add consent_plan.approved_by and approved_on")
    yield from _schedule(entry)
    yield from _status(entry, inv)
    if a.status not in IN_FORCE:
        return
    if not any(ap.kind in ("irb", "commissioner") for ap in a.approvals):
        yield doc.problem(
            P.AGREEMENT_MISSING_APPROVAL, f"an {a.status.value} agreement needs IRB or "
            "Commissioner approval", "/approvals" if "approvals" in doc.data else "/status",
            hint="add approvals: - kind: irb|commissioner, by, date, reference")
    offices = {r.office for r in a.reviews}
    for office in REQUIRED_REVIEWS:
        if office not in offices:
            yield doc.problem(
                P.AGREEMENT_MISSING_REVIEW, f"no written review by the {OFFICE_NAMES[office]}",
                "/reviews" if "reviews" in doc.data else "/status",
                hint=f"add reviews: - office: {office}, date, archive_ref")
    for i, review in enumerate(a.reviews):
        if not review.archive_ref:
            yield doc.problem(P.AGREEMENT_REVIEW_NOT_ARCHIVED, f"the {review.office} review is "
                              "not archived", f"/reviews/{i}",
                              hint="add archive_ref: where staff can read the written review")
    for i, approval in enumerate(a.approvals):
        if not approval.reference:
            yield doc.problem(P.AGREEMENT_REVIEW_NOT_ARCHIVED, f"the {approval.kind} approval is "
                              "not archived", f"/approvals/{i}",
                              hint="add reference: where the documented decision is archived")
    if a.identifiable_client_data and not any(ap.kind == "governance" for ap in a.approvals):
        yield doc.problem(
            P.AGREEMENT_MISSING_GOVERNANCE, f"an {a.status.value} agreement sharing identifiable "
            "client-level data needs the approval of the Executive Team IS Governance body",
            "/approvals" if "approvals" in doc.data else "/identifiable_client_data",
            hint="add approvals: - kind: governance, by, date, reference (DCF 5-4 Governance)")
    yield from _ongoing(entry, inv)


def _schedule(entry: "Entry[Agreement]") -> Iterator[Problem]:
    review = entry.model.ongoing_review
    if review and parse_duration(review.frequency) is None:
        yield entry.doc.problem(
            P.INVALID_VALUE, f"ongoing_review.frequency '{review.frequency}' is not an ISO 8601 "
            "duration", "/ongoing_review/frequency",
            hint="write the period as P1Y (yearly), P6M, P3M or P90D")


def _ongoing(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """DCF 5-4 Governance ¶2: approved sharing is reviewed on an ongoing basis."""
    a, doc = entry.model, entry.doc
    review = a.ongoing_review
    if review is None:
        yield doc.problem(
            P.AGREEMENT_ONGOING_REVIEW_MISSING, f"an {a.status.value} agreement has no "
            "ongoing-review schedule", "/status",
            hint="add ongoing_review: frequency (e.g. P1Y), next_due, last_done")
        return
    due = next_review(Dates.from_model(a))
    if due is not None and due < inv.today:
        pointer = ("/ongoing_review/next_due" if review.next_due else
                   "/ongoing_review/last_done" if review.last_done else "/ongoing_review")
        yield doc.problem(
            P.AGREEMENT_ONGOING_REVIEW_OVERDUE, f"the ongoing review was due {due} "
            f"({(inv.today - due).days} days ago)", pointer,
            hint="hold the review for disproportionality, then set ongoing_review.last_done "
            "and next_due")


def _status(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """Status transitions that the dates contradict (draft → under-review → approved →
    active → expired / terminated; terminated may come at any time)."""
    a, doc = entry.model, entry.doc
    start, end, today = a.term.start, a.term.end, inv.today
    if a.status == Status.EXPIRED and (end is None or end >= today):
        runs = f"runs until {end}" if end else "has no end date"
        yield doc.problem(P.AGREEMENT_STATUS_MISMATCH, f"status is expired but the term {runs}",
                          "/status", hint="if it ended early set status: terminated; "
                          "otherwise status: active")
    elif a.status == Status.ACTIVE and start > today:
        yield doc.problem(P.AGREEMENT_STATUS_MISMATCH, f"status is active but the term starts "
                          f"{start}", "/status", hint="use status: approved until the term starts")
    elif a.status == Status.APPROVED and end is not None and end < today:
        yield doc.problem(P.AGREEMENT_STATUS_MISMATCH, f"status is approved but the term ended "
                          f"{end}", "/status", hint="set status: expired, or renew the term")


def check(inv: "Inventory") -> Iterator[Problem]:
    for entry in inv.agreements.values():
        yield from _one(entry, inv)
