"""An agency: ``inventory/<agency>/_agency.yml``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field as F
from pydantic import field_validator

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
    staff_accounts: list[Text] = F(
        [], description="sign-in identities of the agency's own staff (a local account "
        "name, or the identity a single-sign-on proxy sends, such as an e-mail address): "
        "signed in, they see this agency's slice of the staff home page")
    stewards: list[Handle] = F(
        [], description="code-review handles of the agency's data stewards: they review "
        "changes to its folder (catalog codeowners)")


class Publisher(Strict):
    name: Text
    sub_organization_of: str | None = None


Share = Annotated[float, F(ge=0, le=1)]


class Repository(Strict):
    """Where the inventory's descriptors live, so that staff pages link each problem to
    its file and line."""

    url: Url = F(description="the repository's web address, e.g. https://github.com/org/repo")
    branch: Text = F("main", description="the branch the catalog is built from")
    file_url: str = F("{url}/blob/{ref}/{path}#L{line}",
                      description="the address of a file's line: {url}, {ref} (the built "
                      "commit, or the branch), {path} and {line} are filled in")


class Scorecards(Strict):
    """Targets for the State Data Plan scorecards (docs/scorecards.md)."""

    targets: dict[str, Share] = F({}, description="metric id → the share to reach (0 to 1); "
                                  "metrics not named keep the catalog's default target")
    amber_margin: Share = F(0.15, description="a score within this much below its target "
                            "is amber; further below is red")

    @field_validator("targets")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        from ..governance.scorecard import METRIC_IDS

        unknown = sorted(set(value) - set(METRIC_IDS))
        if unknown:
            raise ValueError(f"unknown scorecard metric {', '.join(unknown)}; known: "
                             f"{', '.join(METRIC_IDS)}")
        return value


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
    repository: Repository | None = None
    scorecards: Scorecards | None = None
    sample_limit_mib: int = F(SAMPLE_LIMIT_MIB, ge=1, le=10_000,
                              description="largest sample data file validated, in MiB; a "
                              "larger one is refused (sample-too-large)")
    stewards: list[Handle] = F(
        [], description="code-review handles of the Chief Data Officer's office: it reviews "
        "standards/, _agreements/, _requests/ and this file (catalog codeowners)")
