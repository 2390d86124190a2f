"""DCF Policy 5-1 data-request register: dates that make the turnaround measurable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import problems as P
from ..model.request import CLOSED
from ..problems import Problem

if TYPE_CHECKING:
    from . import Inventory


def check(inv: "Inventory") -> Iterator[Problem]:
    for entry in inv.requests.values():
        r, doc = entry.model, entry.doc
        if r.responded_on and r.responded_on < r.received_on:
            yield doc.problem(P.REQUEST_DATES_INVALID, f"responded_on {r.responded_on} is before "
                              f"received_on {r.received_on}", "/responded_on",
                              hint="check both dates (YYYY-MM-DD)")
        if r.status in CLOSED and r.responded_on is None and r.status != "withdrawn":
            yield doc.problem(P.REQUEST_RESPONSE_UNDATED, f"status is {r.status} but there is "
                              "no responded_on date", "/status",
                              hint="add responded_on: turnaround is measured from it")
