"""An agency: ``inventory/<agency>/_agency.yml``."""

from __future__ import annotations

from .common import Id, IsoDate, Person, Strict, Text, Url


class AccessPlan(Strict):
    """The agency's Open Data Access Plan (State Data Plan goal 2)."""

    published_on: IsoDate | None = None
    url: Url | None = None
    summary: str | None = None


class Agency(Strict):
    id: Id
    name: Text
    abbreviation: Text
    description: str | None = None
    website: Url | None = None
    data_officer: Person  # Conn. Gen. Stat. §4-67p: every executive agency designates one
    open_data_plan: AccessPlan | None = None
    inventory_submitted_on: IsoDate | None = None
