"""A data-sharing agreement: ``inventory/_agreements/<id>.yml``.

The required documentation is DCF Policy 5-4's list; the rules that depend on status
(approvals, written reviews, consent plan) live in ``catalog.validate.agreements``.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field as F

from .common import Flag, Id, IsoDate, Strict, Text


class Status(str, Enum):
    DRAFT = "draft"
    UNDER_REVIEW = "under-review"
    APPROVED = "approved"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


# in force: renewal and review dates matter. Tuples: a status read from a database row (a
# plain string) compares equal to its member, though it does not hash like one.
IN_FORCE = (Status.APPROVED, Status.ACTIVE)
ENDED = (Status.EXPIRED, Status.TERMINATED)

class Party(Strict):
    """A party: a state agency of the inventory (``agency``) or an outside entity."""

    agency: Id | None = None
    name: str | None = None
    kind: Literal["state-agency", "federal", "municipal", "university", "nonprofit",
                  "private", "other-state", "tribal"] = "state-agency"
    role: Literal["provider", "recipient", "both"] = "both"
    contact: str | None = None


class Term(Strict):
    start: IsoDate
    end: IsoDate | None = None
    renewal: str | None = None


class Protections(Strict):
    """Summary of risk mitigation, data security, privacy and client-data-use provisions."""

    risk_mitigation: Text
    data_security: Text
    privacy: Text
    client_data_use: Text


class ConsentPlan(Strict):
    """How impacted clients are notified and asked for informed consent (DCF 5-4)."""

    description: Text
    approved_by: str | None = None
    approved_on: IsoDate | None = None


class Approval(Strict):
    kind: Literal["irb", "commissioner", "governance"]
    by: Text
    date: IsoDate
    reference: str | None = F(None, description="where the documented decision is archived")


class Review(Strict):
    """A written review required by DCF 5-4, archived where staff can read it."""

    office: Literal["research-evaluation", "multicultural-affairs", "racial-justice-workgroup"]
    by: str | None = None
    date: IsoDate
    archive_ref: str | None = None
    summary: str | None = None


class OngoingReview(Strict):
    frequency: str = F(description="ISO 8601 duration, e.g. P1Y")
    next_due: IsoDate | None = None
    last_done: IsoDate | None = None


class Agreement(Strict):
    id: Id
    title: Text
    status: Status
    public: Flag = F(False, description="list a summary of this agreement publicly")
    parties: list[Party] = F(min_length=2)
    purpose: Text
    term: Term
    summary_of_terms: Text
    datasets: list[Id] = F(min_length=1)
    legal_authority: str | None = None
    risks_and_benefits: Text
    racial_justice_assessment: Text
    equity_conformance: Text
    protections: Protections
    identifiable_client_data: Flag = False
    consent_plan: ConsentPlan | None = None
    approvals: list[Approval] = []
    reviews: list[Review] = []
    ongoing_review: OngoingReview | None = None
    notes: str | None = None
