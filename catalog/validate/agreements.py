"""Rules for data-sharing and integration agreements: the statewide register (State
Data Plan) and DCF Policy 5-4, which applies where DCF is a party or a DCF dataset is
shared (``standards/packs/dcf-5-4.yml``).

What an agreement involves is derived from the datasets it shares, whose facts every
build keeps (:mod:`catalog.validate.facts`): it involves *identifiable client data*
when it declares so or shares a dataset with personal-data fields, and DCF client data
when such a dataset is DCF's. Every party other than DCF is external to the Department.
A declaration can only add: ``identifiable_client_data: false`` does not remove what
the shared datasets show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import problems as P
from ..agreements.lifecycle import Dates, next_review, parse_duration
from ..model.agreement import IN_FORCE, Review, Status
from ..problems import Problem
from .packs import packs_for, patterns
from .policy import ahead
from .registry import rule

if TYPE_CHECKING:
    from ..model import Agreement
    from . import Entry, Inventory

REQUIRED_REVIEWS = tuple(Review.model_fields["office"].annotation.__args__)  # type: ignore[union-attr]
OFFICE_NAMES = {
    "research-evaluation": "Office for Research and Evaluation",
    "multicultural-affairs": "Office of Multicultural Affairs and Immigration Practice",
    "racial-justice-workgroup": "Statewide Racial Justice Workgroup",
}
DCF_PACK = "dcf-5-4"
CORE = ("status", "parties", "term", "datasets")


# -- derived facts -------------------------------------------------------------------------


def owner(inv: "Inventory") -> str:
    """The agency whose policy DCF 5-4 is (the pack's ``agency``)."""
    pack = inv.standards.packs.get(DCF_PACK)
    return pack.agency or "dcf" if pack else "dcf"


def shared_pii(entry: "Entry[Agreement]", inv: "Inventory", agency: str | None = None
               ) -> list[tuple[str, tuple[str, ...]]]:
    """(dataset id, its PII fields) of the shared datasets with personal data (only
    ``agency``'s, when given)."""
    out = []
    for d in entry.model.datasets:
        f = inv.facts.get(d)
        if f and f.pii and (agency is None or f.agency == agency):
            out.append((d, f.pii))
    return out


def identifiable(entry: "Entry[Agreement]", inv: "Inventory", agency: str | None = None) -> str:
    """Why the agreement involves identifiable client data ('' if it does not)."""
    found = shared_pii(entry, inv, agency)
    if found:
        d, fields = found[0]
        more = f" (and {len(found) - 1} more dataset(s))" if len(found) > 1 else ""
        return f"it shares {d}, whose fields {', '.join(fields[:3])} are personal data{more}"
    if entry.model.identifiable_client_data:
        return "it declares identifiable_client_data: true"
    return ""


def client_level(entry: "Entry[Agreement]", inv: "Inventory", agency: str) -> list[str]:
    """``agency``'s shared datasets that hold client-level data (personal data, or not
    open to the public)."""
    return [d for d in entry.model.datasets
            if (f := inv.facts.get(d)) and f.agency == agency and f.client_level]


def external(entry: "Entry[Agreement]", agency: str) -> list[str]:
    """The parties other than ``agency`` (other state agencies included)."""
    return [p.agency or p.name or "a party" for p in entry.model.parties if p.agency != agency]


def consent_required(entry: "Entry[Agreement]", inv: "Inventory") -> tuple[str, list[str]]:
    """(why the agreement involves identifiable DCF client data, the external parties
    that will use it): a consent plan is required when both are non-empty."""
    dcf = owner(inv)
    return identifiable(entry, inv, dcf), external(entry, dcf)


def governance_required(entry: "Entry[Agreement]", inv: "Inventory") -> str:
    """Why the IS Governance body must approve the agreement ('' if it need not)."""
    dcf = owner(inv)
    why = identifiable(entry, inv, dcf)
    level = client_level(entry, inv, dcf)
    return why or (f"it shares DCF client-level data ({', '.join(level[:3])})" if level else "")


def provided_from(a: "Agreement") -> dt.date:
    """The first day data may be provided under the agreement: its term's start."""
    return a.term.start


# -- statewide: the register (State Data Plan 9b, 11a, S11) ----------------------------


@rule(P.AGREEMENT_NO_STATE_PARTY, P.MISSING_PROPERTY, pack="state-data-plan", clause="9b",
      target="agreement", needs=("parties",))
def a_state_agency_shares(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    a, doc = entry.model, entry.doc
    if not any(p.agency for p in a.parties):
        yield doc.problem(P.AGREEMENT_NO_STATE_PARTY, "no party is a state agency", "/parties",
                          hint="name the agency as '- agency: <id>'")
    for i, party in enumerate(a.parties):
        if not party.agency and not party.name:
            yield doc.problem(P.MISSING_PROPERTY, "party needs 'agency' (a state agency id) or "
                              "'name'", f"/parties/{i}",
                              hint="state agencies: agency: <id>; others: name: ..., kind: ...")


@rule(P.AGREEMENT_TERM_INVALID, P.INVALID_VALUE, pack="state-data-plan", clause="11b",
      target="agreement", needs=("term", "ongoing_review"))
def term_and_schedule_are_sound(entry: "Entry[Agreement]", inv: "Inventory"
                                ) -> Iterator[Problem]:
    a, doc = entry.model, entry.doc
    if a.term.end and a.term.end < a.term.start:
        yield doc.problem(P.AGREEMENT_TERM_INVALID, f"term ends {a.term.end} before it starts "
                          f"{a.term.start}", "/term/end",
                          hint="check the dates: YYYY-MM-DD, end after start")
    review = a.ongoing_review
    if review and parse_duration(review.frequency) is None:
        yield doc.problem(
            P.INVALID_VALUE, f"ongoing_review.frequency '{review.frequency}' is not an ISO 8601 "
            "duration", "/ongoing_review/frequency",
            hint="write the period as P1Y (yearly), P6M, P3M or P90D")


@rule(P.DATE_IN_FUTURE, pack="state-data-plan", clause="1a", target="agreement",
      needs=("approvals", "reviews", "consent_plan", "ongoing_review"))
def agreement_dates_have_happened(entry: "Entry[Agreement]", inv: "Inventory"
                                  ) -> Iterator[Problem]:
    """Approvals, reviews and consent are recorded when they happened, not ahead."""
    a, doc, today = entry.model, entry.doc, inv.today
    for i, ap in enumerate(a.approvals):
        yield from ahead(doc, ap.date, today, f"/approvals/{i}/date", f"the {ap.kind} approval")
    for i, r in enumerate(a.reviews):
        yield from ahead(doc, r.date, today, f"/reviews/{i}/date", f"the {r.office} review")
    if a.consent_plan:
        yield from ahead(doc, a.consent_plan.approved_on, today, "/consent_plan/approved_on",
                         "the consent plan's approval")
    if a.ongoing_review:
        yield from ahead(doc, a.ongoing_review.last_done, today, "/ongoing_review/last_done",
                         "the last ongoing review")


@rule(P.AGREEMENT_EXPIRED, P.AGREEMENT_STATUS_MISMATCH, pack="state-data-plan", clause="S11",
      target="agreement", needs=("status", "term"))
def status_agrees_with_the_term(entry: "Entry[Agreement]", inv: "Inventory"
                                ) -> Iterator[Problem]:
    """Status transitions that today's date contradicts (draft → under-review →
    approved → active → expired / terminated; terminated may come at any time). These
    findings depend on the date alone: they never block a build."""
    a, doc = entry.model, entry.doc
    start, end, today = a.term.start, a.term.end, inv.today
    if a.status == Status.ACTIVE and end and end < today:
        yield doc.problem(P.AGREEMENT_EXPIRED, f"status is active but the term ended {end}",
                          "/status", hint="renew the agreement or set status: expired")
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


# -- DCF 5-4 --------------------------------------------------------------------------------


@rule(P.AGREEMENT_MISSING_CONSENT_PLAN, P.AGREEMENT_CONSENT_NOT_APPROVED, pack=DCF_PACK,
      clause="Use ¶5", target="agreement", scope="cross",
      needs=(*CORE, "identifiable_client_data", "consent_plan"))
def external_use_has_consent(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """Parties external to the Department that will use identifiable DCF client data:
    a plan to notify clients and seek consent, approved before data is provided."""
    a, doc = entry.model, entry.doc
    why, others = consent_required(entry, inv)
    if not why or not others:
        return
    if a.consent_plan is None:
        pointer = "/identifiable_client_data" if "identifiable_client_data" in doc.data \
            else "/datasets"
        yield doc.problem(
            P.AGREEMENT_MISSING_CONSENT_PLAN, f"{others[0]} will use identifiable DCF client "
            f"data ({why}) but there is no consent plan", pointer,
            hint="add consent_plan: description, approved_by, approved_on (DCF 5-4); every "
            "party but DCF is external to the Department, other agencies included")
    elif a.status in IN_FORCE and not (a.consent_plan.approved_by and
                                       a.consent_plan.approved_on):
        yield doc.problem(
            P.AGREEMENT_CONSENT_NOT_APPROVED, "the consent plan must be approved by the "
            "Commissioner or designee before data is provided", "/consent_plan",
            hint="add consent_plan.approved_by and approved_on")


@rule(P.AGREEMENT_MISSING_APPROVAL, pack=DCF_PACK, clause="Use ¶3", target="agreement",
      scope="cross", needs=(*CORE, "approvals"))
def approved_by_irb_or_commissioner(entry: "Entry[Agreement]", inv: "Inventory"
                                    ) -> Iterator[Problem]:
    """In force: IRB or Commissioner approval."""
    a, doc = entry.model, entry.doc
    if a.status in IN_FORCE and not any(ap.kind in ("irb", "commissioner")
                                        for ap in a.approvals):
        yield doc.problem(
            P.AGREEMENT_MISSING_APPROVAL, f"an {a.status.value} agreement needs IRB or "
            "Commissioner approval", "/approvals" if "approvals" in doc.data else "/status",
            hint="add approvals: - kind: irb|commissioner, by, date, reference")


@rule(P.AGREEMENT_MISSING_REVIEW, pack=DCF_PACK, clause="Governance ¶1 (reviews)",
      target="agreement", scope="cross", needs=(*CORE, "reviews"))
def reviewed_in_writing(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """In force: the written reviews of ORE, OMAIP and the SWRJWG."""
    a, doc = entry.model, entry.doc
    if a.status not in IN_FORCE:
        return
    offices = {r.office for r in a.reviews}
    for office in REQUIRED_REVIEWS:
        if office not in offices:
            yield doc.problem(
                P.AGREEMENT_MISSING_REVIEW, f"no written review by the {OFFICE_NAMES[office]}",
                "/reviews" if "reviews" in doc.data else "/status",
                hint=f"add reviews: - office: {office}, date, archive_ref")


@rule(P.AGREEMENT_REVIEW_NOT_ARCHIVED, pack=DCF_PACK, clause="Use ¶3 (archived)",
      target="agreement", scope="cross", needs=(*CORE, "approvals", "reviews"))
def decisions_are_archived(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """Decisions and written reviews are archived where staff can read them: each
    reference looks like one (the packs' ``archive_ref_pattern``)."""
    a, doc = entry.model, entry.doc
    if a.status not in IN_FORCE:
        return
    checks = patterns(packs_for(entry, inv, "agreement"), "archive_ref_pattern")
    records = [(f"/reviews/{i}", f"the {r.office} review", r.archive_ref, "archive_ref")
               for i, r in enumerate(a.reviews)]
    records += [(f"/approvals/{i}", f"the {ap.kind} approval", ap.reference, "reference")
                for i, ap in enumerate(a.approvals)]
    for pointer, what, ref, key in records:
        if not ref or not ref.strip():
            yield doc.problem(P.AGREEMENT_REVIEW_NOT_ARCHIVED, f"{what} is not archived", pointer,
                              hint=f"add {key}: where staff can read the written record")
            continue
        for pattern, pack in checks:
            if not pattern.search(ref.strip()):
                yield doc.problem(
                    P.AGREEMENT_REVIEW_NOT_ARCHIVED, f"{what}: '{ref}' does not look like an "
                    f"archive reference", f"{pointer}/{key}",
                    hint=f"give the repository and the document, e.g. 'SharePoint ORE/DSA/"
                    f"2025-014' or a URL ({pack.id}: archive_ref_pattern)")
                break


@rule(P.AGREEMENT_APPROVER_NOT_ALLOWED, pack=DCF_PACK, clause="Use ¶5 (approval)",
      target="agreement", scope="cross", needs=(*CORE, "approvals", "consent_plan"))
def approved_by_allowed_roles(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """The consent plan by the Commissioner or designee; IRB, Commissioner and governance
    approvals by those bodies (the packs' ``approvers``)."""
    a, doc = entry.model, entry.doc
    packs = packs_for(entry, inv, "agreement")
    records: list[tuple[str, str, str]] = [(f"/approvals/{i}/by", ap.kind, ap.by)
                                           for i, ap in enumerate(a.approvals)]
    if a.consent_plan and a.consent_plan.approved_by:
        records.append(("/consent_plan/approved_by", "consent", a.consent_plan.approved_by))
    for pointer, kind, by in records:
        for pattern, pack in patterns(packs, "approvers", kind):
            if not pattern.search(by):
                what = "the consent plan" if kind == "consent" else f"the {kind} approval"
                yield doc.problem(
                    P.AGREEMENT_APPROVER_NOT_ALLOWED, f"{what} is approved by '{by}', who "
                    f"is not allowed to approve it", pointer,
                    hint=f"{pack.id} allows approvers matching {pattern.pattern!r}"
                    + (" (the DCF Commissioner or their designee)" if kind == "consent" else ""))
                break


@rule(P.AGREEMENT_APPROVED_LATE, pack=DCF_PACK, clause="Use ¶5 (approval)",
      target="agreement", scope="cross", needs=(*CORE, "approvals", "consent_plan"))
def approved_before_data_is_provided(entry: "Entry[Agreement]", inv: "Inventory"
                                     ) -> Iterator[Problem]:
    """Consent plan and approvals dated on or before the day data may first be provided
    (the term's start)."""
    a, doc = entry.model, entry.doc
    first = provided_from(a)
    records = [(f"/approvals/{i}/date", f"the {ap.kind} approval", ap.date)
               for i, ap in enumerate(a.approvals)]
    if a.consent_plan and a.consent_plan.approved_on:
        records.append(("/consent_plan/approved_on", "the consent plan's approval",
                        a.consent_plan.approved_on))
    for pointer, what, when in records:
        if when > first:
            yield doc.problem(
                P.AGREEMENT_APPROVED_LATE, f"{what} is dated {when}, after data may be "
                f"provided (the term starts {first})", pointer,
                hint="approval comes before any client data is provided: start the term "
                "after the approval, or correct the date")


@rule(P.AGREEMENT_MISSING_GOVERNANCE, pack=DCF_PACK, clause="Governance ¶1",
      target="agreement", scope="cross", needs=(*CORE, "approvals", "identifiable_client_data"))
def client_level_sharing_has_governance(entry: "Entry[Agreement]", inv: "Inventory"
                                        ) -> Iterator[Problem]:
    """"All DCF client level data sharing and data integration efforts" need the IS
    Governance body: identifiable or not, any DCF client-level dataset shared."""
    a, doc = entry.model, entry.doc
    if a.status not in IN_FORCE or any(ap.kind == "governance" for ap in a.approvals):
        return
    reason = governance_required(entry, inv)
    if not reason:
        return
    yield doc.problem(
        P.AGREEMENT_MISSING_GOVERNANCE, f"an {a.status.value} agreement sharing DCF "
        f"client-level data needs the approval of the Executive Team IS Governance body "
        f"({reason})", "/approvals" if "approvals" in doc.data else "/datasets",
        hint="add approvals: - kind: governance, by, date, reference (DCF 5-4 Governance)")


@rule(P.AGREEMENT_ONGOING_REVIEW_MISSING, P.AGREEMENT_ONGOING_REVIEW_OVERDUE, pack=DCF_PACK,
      clause="Governance ¶2", target="agreement", scope="cross",
      needs=(*CORE, "ongoing_review"))
def sharing_is_reviewed(entry: "Entry[Agreement]", inv: "Inventory") -> Iterator[Problem]:
    """Ongoing review of approved sharing for disproportionality; overdue is dated."""
    a, doc = entry.model, entry.doc
    if a.status not in IN_FORCE:
        return
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


# -- the review checklist (catalog.agreements.checklist): what each finding is about -------

CHECKLIST_STATES = {
    P.AGREEMENT_MISSING_APPROVAL: "missing", P.AGREEMENT_MISSING_GOVERNANCE: "missing",
    P.AGREEMENT_MISSING_REVIEW: "missing", P.AGREEMENT_MISSING_CONSENT_PLAN: "missing",
    P.AGREEMENT_CONSENT_NOT_APPROVED: "missing", P.AGREEMENT_ONGOING_REVIEW_MISSING: "missing",
    P.AGREEMENT_ONGOING_REVIEW_OVERDUE: "overdue",
    P.AGREEMENT_REVIEW_NOT_ARCHIVED: "not-archived",
}
_ITEMS = {
    P.AGREEMENT_MISSING_APPROVAL: "approval", P.AGREEMENT_MISSING_GOVERNANCE: "governance",
    P.AGREEMENT_MISSING_CONSENT_PLAN: "consent-plan",
    P.AGREEMENT_CONSENT_NOT_APPROVED: "consent-plan",
    P.AGREEMENT_ONGOING_REVIEW_MISSING: "ongoing-review",
    P.AGREEMENT_ONGOING_REVIEW_OVERDUE: "ongoing-review",
}
_RECORD = re.compile(r"^the (\S+) (review|approval)\b")  # decisions_are_archived's subjects


def checklist_item(code: str, message: str) -> str | None:
    """The checklist item a finding of the rules above is about (None for any other
    finding): the rules' codes, and for reviews and approvals the subject their messages
    name."""
    if code in _ITEMS:
        return _ITEMS[code]
    if code == P.AGREEMENT_MISSING_REVIEW:
        return next((f"review:{office}" for office, name in OFFICE_NAMES.items()
                     if message.endswith(name)), None)
    if code == P.AGREEMENT_REVIEW_NOT_ARCHIVED and (m := _RECORD.match(message)):
        if m[2] == "review":
            return f"review:{m[1]}"
        return "governance" if m[1] == "governance" else "approval"
    return None
