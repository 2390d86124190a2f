"""The DCF 5-4 review checklist of one agreement, from its compiled rows (staff only:
reviews and approvals are not in public.db).

Each item says whether it is required *now* (by the agreement's status), and its state:
``done``, ``missing`` (required and absent), ``not-archived`` (present, no archive
reference), ``pending`` (not required until approval), ``overdue`` or
``not-applicable``. The validator (``catalog.validate.agreements``) reports the same
gaps as problems with file and line; the checklist is what a reviewer reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..validate.agreements import DCF_PACK, OFFICE_NAMES, REQUIRED_REVIEWS
from .lifecycle import IN_FORCE, Dates, next_review

Row = Mapping[str, Any]

STATES = {
    "done": ("✓", "Done"),
    "missing": ("✗", "Missing"),
    "not-archived": ("◐", "Not archived"),
    "overdue": ("✗", "Overdue"),
    "pending": ("○", "Needed before approval"),
    "not-applicable": ("–", "Not applicable"),
}
PROBLEM_STATES = ("missing", "not-archived", "overdue")
ITEMS = (
    ("approval", "IRB or Commissioner approval", "DCF 5-4 Data Use ¶3"),
    ("governance", "Executive Team IS Governance approval", "DCF 5-4 Governance ¶1"),
    *((f"review:{office}", f"Written review: {name}", "DCF 5-4 Governance ¶1")
      for office, name in OFFICE_NAMES.items()),
    ("consent-plan", "Client notification and consent plan, approved", "DCF 5-4 Data Use ¶5"),
    ("ongoing-review", "Ongoing review for disproportionality scheduled",
     "DCF 5-4 Governance ¶2"),
)


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    state: str
    detail: str
    source: str

    @property
    def mark(self) -> str:
        return STATES[self.state][0]

    @property
    def state_label(self) -> str:
        return STATES[self.state][1]

    @property
    def problem(self) -> bool:
        return self.state in PROBLEM_STATES

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "state_label": self.state_label, "problem": self.problem}


def _absent(in_force: bool) -> str:
    return "missing" if in_force else "pending"


def _who(row: Row, by: str, ref: str) -> str:
    parts = [str(row.get(by) or ""), str(row.get("date") or "")]
    text = ", ".join(p for p in parts if p)
    return text + (f"; archived: {row[ref]}" if row.get(ref) else "; no archive reference")


def _approval(approvals: Sequence[Row], kinds: tuple[str, ...], in_force: bool,
              required: bool = True) -> tuple[str, str]:
    found = [a for a in approvals if a["kind"] in kinds]
    if not found:
        return (_absent(in_force) if required else "not-applicable"), ""
    state = "done" if all(a.get("reference") for a in found) else (
        "not-archived" if in_force else "pending")
    return state, " · ".join(_who(a, "approver", "reference") for a in found)


def checklist(agreement: Row, parties: Sequence[Row], reviews: Sequence[Row],
              approvals: Sequence[Row], today: dt.date) -> list[Item]:
    status = agreement["status"]
    in_force = status in IN_FORCE
    items: list[Item] = []
    if DCF_PACK not in (agreement.get("policy_packs") or "").split():
        detail = "DCF Policy 5-4 does not apply: no DCF party and no DCF dataset shared"
        for key, label, source in ITEMS:
            items.append(Item(key, label, "not-applicable", detail, source))
        return items

    state, detail = _approval(approvals, ("irb", "commissioner"), in_force)
    items.append(Item("approval", "IRB or Commissioner approval", state, detail,
                      "DCF 5-4 Data Use ¶3"))

    required = bool(agreement.get("governance_required"))
    state, detail = _approval(approvals, ("governance",), in_force, required=required)
    if state == "not-applicable":
        detail = "no DCF client-level data shared"
    items.append(Item("governance", "Executive Team IS Governance approval", state, detail,
                      "DCF 5-4 Governance ¶1"))

    for office in REQUIRED_REVIEWS:
        found = [r for r in reviews if r["office"] == office]
        if not found:
            state, detail = _absent(in_force), ""
        else:
            state = "done" if all(r.get("archive_ref") for r in found) else (
                "not-archived" if in_force else "pending")
            detail = " · ".join(_who(r, "reviewer", "archive_ref") for r in found)
        items.append(Item(f"review:{office}", f"Written review: {OFFICE_NAMES[office]}",
                          state, detail, "DCF 5-4 Governance ¶1"))

    if agreement.get("consent_required"):
        if not agreement.get("consent_plan"):
            state, detail = "missing", ""
        elif agreement.get("consent_approved_by") and agreement.get("consent_approved_on"):
            state = "done"
            detail = f"approved by {agreement['consent_approved_by']}, " \
                     f"{agreement['consent_approved_on']}"
        else:
            state, detail = ("missing" if in_force else "pending"), "plan written, not approved"
    else:
        state = "not-applicable"
        detail = ("no party other than DCF" if agreement.get("identifiable_client_data")
                  else "no identifiable DCF client data")
    items.append(Item("consent-plan", "Client notification and consent plan, approved", state,
                      detail, "DCF 5-4 Data Use ¶5"))

    dates = Dates.from_row(agreement)
    due = next_review(dates)
    if not agreement.get("ongoing_review_frequency"):
        state, detail = _absent(in_force), ""
    elif due is None:
        state, detail = ("missing" if in_force else "pending"), "no usable date"
    else:
        overdue = in_force and due < today
        state = "overdue" if overdue else "done"
        detail = f"every {agreement['ongoing_review_frequency']}; next {due.isoformat()}" + (
            f" (last {agreement['ongoing_review_last_done']})"
            if agreement.get("ongoing_review_last_done") else "")
    items.append(Item("ongoing-review", "Ongoing review for disproportionality scheduled",
                      state, detail, "DCF 5-4 Governance ¶2"))
    return items


def missing_reviews(agreement: Row, reviews: Sequence[Row]) -> list[str]:
    """Offices whose written review DCF 5-4 requires and is absent or not archived
    (none when the policy does not cover the agreement)."""
    if DCF_PACK not in (agreement.get("policy_packs") or "").split():
        return []
    archived = {r["office"] for r in reviews if r.get("archive_ref")}
    return [office for office in REQUIRED_REVIEWS if office not in archived]
