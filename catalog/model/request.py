"""A data request: ``inventory/_requests/<id>.yml``.

DCF Policy 5-1 charges the research office with "receiving, cataloging, vetting,
responding to and tracking requests" for data; the register records each request,
what it asked for, and how and when it was answered.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field as F

from .common import Flag, Id, IsoDate, Strict, Text

RequestStatus = Literal["received", "vetting", "approved", "fulfilled", "denied", "withdrawn"]
CLOSED = ("fulfilled", "denied", "withdrawn")
OPEN = ("received", "vetting", "approved")
ReleaseLevel = Literal["public", "aggregate", "de-identified", "client-level"]


class Vetting(Strict):
    """The vetting record (DCF 5-1: "receiving, cataloging, vetting, responding to and
    tracking requests")."""

    by: Text = F(description="who vets the request (office or role)")
    started_on: IsoDate
    decision: Literal["approved", "denied"] | None = F(None, description="absent while "
                                                       "vetting goes on")
    decided_on: IsoDate | None = None
    reason: str | None = F(None, description="why, and any conditions of the release")


class Release(Strict):
    """What a fulfilled request released, and when."""

    date: IsoDate
    level: ReleaseLevel = F(description="public: published data; aggregate: counts under a "
                            "suppression policy; de-identified or client-level records")
    description: str | None = None


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
    foia: Flag = F(False, description="a request under the Freedom of Information Act "
                   "(Conn. Gen. Stat. §1-200 et seq.): the statutory clock applies")
    due_on: IsoDate | None = F(None, description="an agreed answer date (default: the FOIA "
                               "clock, or the register's target for the requester kind)")
    vetting: Vetting | None = None
    release: Release | None = None
    handled_by: Id | None = F(None, description="agency answering the request")
    responded_on: IsoDate | None = F(None, description="date of the substantive answer")
    outcome: str | None = F(None, description="what was provided, or why not")
    agreement: Id | None = F(None, description="data-sharing agreement that governs the "
                             "release, if any")
    notes: str | None = None
