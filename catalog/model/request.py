"""A data request: ``inventory/_requests/<id>.yml``.

DCF Policy 5-1 charges the research office with "receiving, cataloging, vetting,
responding to and tracking requests" for data; the register records each request,
what it asked for, and how and when it was answered.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field as F

from .common import Id, IsoDate, Strict, Text

RequestStatus = Literal["received", "vetting", "approved", "fulfilled", "denied", "withdrawn"]
CLOSED = ("fulfilled", "denied", "withdrawn")


class Requester(Strict):
    kind: Literal["public", "researcher", "state-agency", "municipality", "legislature",
                  "media", "federal", "nonprofit", "business", "other"]
    name: str | None = F(None, description="organisation; never a private individual's name")
    agency: Id | None = F(None, description="the requesting agency, when a state agency")


class DataRequest(Strict):
    id: Id
    title: Text
    received_on: IsoDate
    requester: Requester
    datasets: list[Id] = F([], description="inventory datasets asked for")
    description: Text
    status: RequestStatus
    handled_by: Id | None = F(None, description="agency answering the request")
    responded_on: IsoDate | None = F(None, description="date of the substantive answer")
    outcome: str | None = F(None, description="what was provided, or why not")
    agreement: Id | None = F(None, description="data-sharing agreement that governs the "
                             "release, if any")
    notes: str | None = None
