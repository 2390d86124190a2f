"""Rules of the data-request register (``inventory/_requests/``): DCF 5-1's process of
receiving, vetting, responding to and tracking requests, the state's freedom-of-
information clock (State Data Plan 12d), and client-level releases only under an
agreement in force on the day (State Data Plan 9b; DCF 5-4).

The lifecycle is ``received → vetting → approved → fulfilled``, with ``denied`` after
vetting and ``withdrawn`` from any open status. A record holds only where it stands (no
move between statuses is checked): what each status requires and forbids is checked, so
a request cannot be ``fulfilled`` without an approving vetting record, nor ``received``
with an answer.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import problems as P
from ..model.agreement import Status
from ..model.request import CLOSED, OPEN
from ..problems import Problem
from .packs import business_days, packs_for, turnaround
from .policy import ahead
from .registry import rule

if TYPE_CHECKING:
    from ..model import DataRequest
    from . import Entry, Inventory

RECORD = ("status", "received_on", "vetting", "release", "responded_on")


# -- due dates -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    """Connecticut's legal holidays (Conn. Gen. Stat. §1-4), from the ``holidays``
    library."""
    import holidays

    return frozenset(holidays.country_holidays("US", subdiv="CT", years=year))


def add_business_days(start: dt.date, days: int, closed: frozenset[dt.date] = frozenset()
                      ) -> dt.date:
    """The ``days``-th business day after ``start`` (weekends, state holidays and
    ``closed`` days do not count)."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _holidays(day.year) and day not in closed:
            days -= 1
    return day


def due_date(entry: "Entry[DataRequest]", inv: "Inventory") -> tuple[dt.date, str] | None:
    """When the request must be answered, and why: the FOIA clock for a FOIA request,
    else ``due_on``, else the register's target for the requester kind."""
    r = entry.model
    packs = packs_for(entry, inv, "request")
    if r.foia:
        clock = business_days(packs)
        if clock is not None:
            days, pack = clock
            closed = frozenset(h for p in packs for h in p.settings.holidays)
            return (add_business_days(r.received_on, days, closed),
                    f"the FOIA clock: {days} business days (Conn. Gen. Stat. §1-206; {pack.id})")
    if r.due_on:
        return r.due_on, "the agreed due date"
    target = turnaround(packs, r.requester.kind)
    if target is None:
        return None
    days, pack = target
    return (r.received_on + dt.timedelta(days=days),
            f"{days} days for a {r.requester.kind} request ({pack.id})")


# -- the lifecycle (DCF 5-1) --------------------------------------------------------------


@rule(P.REQUEST_DATES_INVALID, P.REQUEST_RESPONSE_UNDATED, P.DATE_IN_FUTURE, pack="dcf-5-1",
      clause="ORE requests (tracking)", target="request", needs=RECORD)
def request_dates_follow_each_other(entry: "Entry[DataRequest]", inv: "Inventory"
                                    ) -> Iterator[Problem]:
    """Received, vetted, decided, answered, released: in that order, none ahead of
    today, and a closed request says when it was answered."""
    r, doc = entry.model, entry.doc
    steps: list[tuple[str, dt.date | None, str]] = [("received_on", r.received_on, "/received_on")]
    if r.vetting:
        steps += [("vetting.started_on", r.vetting.started_on, "/vetting/started_on"),
                  ("vetting.decided_on", r.vetting.decided_on, "/vetting/decided_on")]
    steps.append(("responded_on", r.responded_on, "/responded_on"))
    if r.release:
        steps.append(("release.date", r.release.date, "/release/date"))
    dated = [(n, d, ptr) for n, d, ptr in steps if d is not None]
    for (n1, d1, _), (n2, d2, ptr) in zip(dated, dated[1:], strict=False):
        if d2 < d1:
            yield doc.problem(P.REQUEST_DATES_INVALID, f"{n2} {d2} is before {n1} {d1}", ptr,
                              hint="check both dates (YYYY-MM-DD)")
    for n, d, ptr in dated:
        yield from ahead(doc, d, inv.today, ptr, n)
    if r.status in ("fulfilled", "denied") and r.responded_on is None:
        yield doc.problem(P.REQUEST_RESPONSE_UNDATED, f"status is {r.status} but there is "
                          "no responded_on date", "/status",
                          hint="add responded_on: turnaround is measured from it")


@rule(P.REQUEST_STATUS_INVALID, P.REQUEST_VETTING_MISSING, P.REQUEST_RELEASE_UNDESCRIBED,
      pack="dcf-5-1", clause="ORE requests (lifecycle)", target="request", needs=RECORD)
def status_matches_the_record(entry: "Entry[DataRequest]", inv: "Inventory"
                              ) -> Iterator[Problem]:
    r, doc = entry.model, entry.doc
    v = r.vetting

    def wrong(message: str, pointer: str, hint: str) -> Problem:
        return doc.problem(P.REQUEST_STATUS_INVALID, f"status is {r.status} but {message}",
                           pointer, hint=hint)

    if r.status in OPEN and r.responded_on:
        yield wrong(f"it was answered on {r.responded_on}", "/responded_on",
                    "set the status the answer gave (fulfilled or denied), or remove "
                    "responded_on")
    if r.status != "fulfilled" and r.release:
        yield wrong("a release is recorded", "/release",
                    "only a fulfilled request has a release")
    if r.status == "received" and v:
        yield wrong("a vetting record exists", "/status", "set status: vetting")
    if r.status in ("vetting", "approved", "fulfilled", "denied") and v is None:
        yield doc.problem(P.REQUEST_VETTING_MISSING, f"status is {r.status} but there is no "
                          "vetting record", "/status",
                          hint="add vetting: by, started_on (decision and decided_on once "
                          "decided)")
    if v is not None:
        wanted = {"vetting": None, "approved": "approved", "fulfilled": "approved",
                  "denied": "denied"}.get(r.status, v.decision)
        if v.decision != wanted:
            said = f"the vetting decision is {v.decision}" if v.decision else \
                "vetting has not decided"
            yield wrong(said, "/vetting/decision" if v.decision else "/vetting",
                        f"a {r.status} request has vetting.decision: {wanted}" if wanted
                        else "remove the decision while vetting goes on")
        if v.decision and v.decided_on is None:
            yield wrong("the vetting decision has no date", "/vetting",
                        "add vetting.decided_on")
    if r.status == "fulfilled" and r.release is None:
        yield doc.problem(P.REQUEST_RELEASE_UNDESCRIBED, "fulfilled request does not say what "
                          "was released", "/status", hint="add release: date, level "
                          "(public, aggregate, de-identified or client-level)")


@rule(P.REQUEST_OVERDUE, pack="dcf-5-1", clause="ORE requests (tracking)", target="request",
      scope="cross",
      needs=(*RECORD, "foia", "due_on", "requester", "handled_by", "datasets"))
def open_requests_are_answered_in_time(entry: "Entry[DataRequest]", inv: "Inventory"
                                       ) -> Iterator[Problem]:
    """An open request past its due date (dated: never blocks a build)."""
    r = entry.model
    if r.status in CLOSED:
        return
    due = due_date(entry, inv)
    if due is not None and due[0] < inv.today:
        when, basis = due
        yield entry.doc.problem(
            P.REQUEST_OVERDUE, f"open since {r.received_on}: the answer was due {when} "
            f"({basis}), {(inv.today - when).days} days ago", "/status",
            hint="answer the request (responded_on and the status it leads to), or record "
            "an agreed due_on")


# -- client-level releases (State Data Plan 9b; DCF 5-4 Use ¶3) -----------------------------


def _party(names: set[str], agencies: set[str], requester: "DataRequest") -> bool:
    q = requester.requester
    if q.agency and q.agency in agencies:
        return True
    return bool(q.name) and q.name.casefold().strip() in names  # type: ignore[union-attr]


@rule(P.REQUEST_RELEASE_WITHOUT_AGREEMENT, pack="state-data-plan", clause="9b",
      target="request", scope="cross", needs=(*RECORD, "agreement", "requester", "datasets"))
def client_data_goes_out_under_an_agreement(entry: "Entry[DataRequest]", inv: "Inventory"
                                            ) -> Iterator[Problem]:
    """A release of records about individuals (de-identified or client-level) goes to a
    party of an agreement that shares those datasets and is in force on the release
    day."""
    r, doc = entry.model, entry.doc
    if r.release is None:
        return
    if r.release.level == "public":
        closed = [d for d in r.datasets if (f := inv.facts.get(d)) and f.access != "public"]
        if closed:
            yield doc.problem(P.REQUEST_RELEASE_WITHOUT_AGREEMENT, "the release is called "
                              f"public data, but {', '.join(closed)} is not public",
                              "/release/level",
                              hint="say what was released: aggregate, de-identified or "
                              "client-level")
        return
    if r.release.level == "aggregate":
        return
    day = r.release.date
    pointer = "/agreement" if r.agreement else "/release/level"
    if not r.agreement:
        yield doc.problem(P.REQUEST_RELEASE_WITHOUT_AGREEMENT, f"{r.release.level} data was "
                          f"released to {r.requester.name or r.requester.kind} with no "
                          "agreement", pointer, hint="name the data-sharing agreement "
                          "(agreement: <id>) that governs the release, or release aggregates")
        return
    found = inv.agreements.get(r.agreement)
    if found is None:
        return  # unknown-agreement reports it
    a = found.model
    why = ""
    if a.status in (Status.DRAFT, Status.UNDER_REVIEW):
        why = f"it is {a.status.value}, never in force"
    elif day < a.term.start or (a.term.end and day > a.term.end):
        why = f"its term ({a.term.start} to {a.term.end or 'open-ended'}) does not cover {day}"
    else:
        missing = [d for d in r.datasets if d not in a.datasets]
        names = {p.name.casefold().strip() for p in a.parties if p.name}
        agencies = {p.agency for p in a.parties if p.agency}
        if missing:
            why = f"it does not share {', '.join(missing)}"
        elif not _party(names, agencies, r):
            why = f"{r.requester.name or r.requester.agency or 'the requester'} is not a party"
    if why:
        yield doc.problem(P.REQUEST_RELEASE_WITHOUT_AGREEMENT, f"{r.release.level} data was "
                          f"released on {day} under {r.agreement}, but {why}", pointer,
                          hint="releases of records need an agreement in force on the day, "
                          "with the requester as a party and the datasets it shares")
