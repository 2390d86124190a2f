"""The DCF 5-4 review checklist of one agreement: a view of the rules' findings
(``catalog.validate.agreements``, the problems a build keeps for the agreement's file)
over its compiled rows (staff only: reviews and approvals are not in public.db).

Each item's state: ``missing``, ``not-archived`` or ``overdue`` when a rule found that
gap (the rules decide what the agreement's status requires); else ``done`` (present and
archived), ``pending`` (not yet there, or not archived, and not required now) or
``not-applicable``. The details say what the register holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..validate.agreements import (
    CHECKLIST_STATES,
    DCF_PACK,
    OFFICE_NAMES,
    REQUIRED_REVIEWS,
    checklist_item,
)
from .lifecycle import Dates, next_review

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
GRAVITY = ("missing", "overdue", "not-archived")  # of several findings, the first counts
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


def findings(problems: Iterable[Row]) -> dict[str, str]:
    """item key → the state the rules' findings give it (the gravest of several)."""
    out: dict[str, str] = {}
    for p in problems:
        key = checklist_item(p["code"], p["message"])
        if key is not None:
            state = CHECKLIST_STATES[p["code"]]
            if key not in out or GRAVITY.index(state) < GRAVITY.index(out[key]):
                out[key] = state
    return out


def _who(row: Row, by: str, ref: str) -> str:
    parts = [str(row.get(by) or ""), str(row.get("date") or "")]
    text = ", ".join(p for p in parts if p)
    return text + (f"; archived: {row[ref]}" if row.get(ref) else "; no archive reference")


def _held(records: Sequence[Row], ref: str) -> str:
    """The state of records the register holds, where no rule found a gap."""
    return "done" if records and all(r.get(ref) for r in records) else "pending"


def checklist(agreement: Row, reviews: Sequence[Row], approvals: Sequence[Row],
              problems: Iterable[Row]) -> list[Item]:
    """The items of ``agreement`` (a row of ``agreements``), from its reviews' and
    approvals' rows and the problems rows of its file."""
    if DCF_PACK not in (agreement.get("policy_packs") or "").split():
        detail = "DCF Policy 5-4 does not apply: no DCF party and no DCF dataset shared"
        return [Item(key, label, "not-applicable", detail, source)
                for key, label, source in ITEMS]
    gaps = findings(problems)
    labels = {key: (label, source) for key, label, source in ITEMS}

    def item(key: str, state: str, detail: str) -> Item:
        label, source = labels[key]
        return Item(key, label, gaps.get(key, state), detail, source)

    def decided(kinds: tuple[str, ...]) -> tuple[str, str]:
        found = [a for a in approvals if a["kind"] in kinds]
        return _held(found, "reference"), " · ".join(_who(a, "approver", "reference")
                                                      for a in found)

    items = [item("approval", *decided(("irb", "commissioner")))]
    state, detail = decided(("governance",))
    if not agreement.get("governance_required") and "governance" not in gaps and not detail:
        state, detail = "not-applicable", "no DCF client-level data shared"
    items.append(item("governance", state, detail))
    for office in REQUIRED_REVIEWS:
        found = [r for r in reviews if r["office"] == office]
        items.append(item(f"review:{office}", _held(found, "archive_ref"),
                          " · ".join(_who(r, "reviewer", "archive_ref") for r in found)))

    if not agreement.get("consent_required"):
        state = "not-applicable"
        detail = ("no party other than DCF" if agreement.get("identifiable_client_data")
                  else "no identifiable DCF client data")
    elif agreement.get("consent_approved_by") and agreement.get("consent_approved_on"):
        state = "done"
        detail = f"approved by {agreement['consent_approved_by']}, " \
                 f"{agreement['consent_approved_on']}"
    else:
        state = "pending"
        detail = "plan written, not approved" if agreement.get("consent_plan") else ""
    items.append(item("consent-plan", state, detail))

    due = next_review(Dates.from_row(agreement))
    if not agreement.get("ongoing_review_frequency"):
        state, detail = "pending", ""
    elif due is None:
        state, detail = "pending", "no usable date"
    else:
        state = "done"
        detail = f"every {agreement['ongoing_review_frequency']}; next {due.isoformat()}" + (
            f" (last {agreement['ongoing_review_last_done']})"
            if agreement.get("ongoing_review_last_done") else "")
    items.append(item("ongoing-review", state, detail))
    return items


def missing_reviews(items: Iterable[Item]) -> list[str]:
    """Offices whose written review DCF 5-4 requires and the register does not hold
    archived (none when the policy does not cover the agreement)."""
    return [i.key.removeprefix("review:") for i in items
            if i.key.startswith("review:") and i.state not in ("done", "not-applicable")]
