"""An agency: ``inventory/<agency>/_agency.yml``."""

from __future__ import annotations

from pydantic import Field as F

from .common import Handle, Id, IsoDate, Person, Strict, Text, Url

SAMPLE_LIMIT_MIB = 20  # the default limit on a sample data file


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
    stewards: list[Handle] = F(
        [], description="code-review handles of the agency's data stewards: they review "
        "changes to its folder (catalog codeowners)")


class Publisher(Strict):
    name: Text
    sub_organization_of: str | None = None


class CatalogInfo(Strict):
    """The catalog itself: ``inventory/_catalog.yml`` (used by exports)."""

    title: Text
    description: str | None = None
    publisher: Publisher
    base_url: Url = F(description="where the catalog site is served, without a trailing /")
    homepage: Url | None = None
    contact: Person | None = None
    bureau_code: list[str] = F([], description="federal flavour of data.json only")
    program_code: list[str] = F([], description="federal flavour of data.json only")
    sample_limit_mib: int = F(SAMPLE_LIMIT_MIB, ge=1, le=10_000,
                              description="largest sample data file validated, in MiB; a "
                              "larger one is refused (sample-too-large)")
    stewards: list[Handle] = F(
        [], description="code-review handles of the Chief Data Officer's office: it reviews "
        "standards/, _agreements/, _requests/ and this file (catalog codeowners)")
