"""A dataset descriptor: ``inventory/<agency>/<dataset>.yml``.

Every property mirrors the YAML one to one. Names follow DESIGN.md's "What a dataset
descriptor holds"; DCAT-US equivalents are noted where an export maps them.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import Field as F

from .common import DateText, Flag, Id, IsoDate, Person, Strict, Text, Url


class AccessLevel(str, Enum):
    """DCAT-US ``accessLevel``."""

    PUBLIC = "public"
    RESTRICTED_PUBLIC = "restricted public"
    NON_PUBLIC = "non-public"


ACCESS_RANK = {AccessLevel.PUBLIC: 1, AccessLevel.RESTRICTED_PUBLIC: 2, AccessLevel.NON_PUBLIC: 3}


class Visibility(str, Enum):
    """May the public see that the dataset exists, and how much of it?"""

    PUBLIC = "public"  # the whole record, data dictionary included
    LISTED = "listed"  # title, description, agency, access level only (as federal inventories)
    HIDDEN = "hidden"  # staff only


FieldType = Literal[
    "string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime",
    "year", "yearmonth", "duration", "geopoint", "geojson", "any",
]


class Constraints(Strict):
    """Table Schema field constraints."""

    required: Flag | None = None
    unique: Flag | None = None
    minLength: int | None = None
    maxLength: int | None = None
    minimum: Any = None
    maximum: Any = None
    exclusiveMinimum: Any = None
    exclusiveMaximum: Any = None
    pattern: str | None = None
    enum: list[Any] | None = None


class SchemaField(Strict):
    """A Table Schema field plus the catalog's own properties."""

    name: Text
    type: FieldType = "string"
    format: str | None = None
    title: str | None = None
    description: str | None = None
    example: Any = None
    constraints: Constraints | None = None
    missingValues: list[str] | None = None
    trueValues: list[str] | None = None
    falseValues: list[str] | None = None
    bareNumber: Flag | None = None
    groupChar: str | None = None
    decimalChar: str | None = None
    rdfType: str | None = None
    # catalog extensions
    standard: Id | None = F(None, description="id of a common element in standards/elements/")
    pii: Flag = F(False, description="personally identifiable information")
    demographic: Flag = F(False, description="a demographic characteristic (race, language, ...)")
    internal: Flag = F(False, description="describe this field to staff only")
    count: Flag = F(False, description="holds counts of people: subject to small-N suppression")
    unit: str | None = None
    waivers: dict[Literal["pii", "count"], Text] = F(
        {}, description="why a field the catalog takes for personal data (pii) or for a "
        "count of people (count) is not one; staff see the reason")


class ForeignKeyReference(Strict):
    resource: str = ""
    fields: str | list[str]


class ForeignKey(Strict):
    fields: str | list[str]
    reference: ForeignKeyReference


class TableSchema(Strict):
    """A Frictionless Table Schema (v1) — validated again by Frictionless itself."""

    fields: list[SchemaField] = F(min_length=1)
    primaryKey: str | list[str] | None = None
    foreignKeys: list[ForeignKey] | None = None
    missingValues: list[str] | None = None


class HighValue(Strict):
    """Public Act 18-175 high-value designation."""

    value: Flag
    reason: str | None = None


class Access(Strict):
    level: AccessLevel
    visibility: Visibility | None = F(
        None, description="default: public for public data, hidden otherwise")
    rights: str | None = F(None, max_length=255,
                           description="why access is restricted and how to request it "
                           "(DCAT-US rights, at most 255 characters)")
    api: Flag = False
    bulk_download: Flag = False
    state_owned: Flag = True
    owner: str | None = F(None, description="owner of an external (non-state) asset")

    @property
    def effective_visibility(self) -> Visibility:
        if self.visibility is not None:
            return self.visibility
        return Visibility.PUBLIC if self.level == AccessLevel.PUBLIC else Visibility.HIDDEN


class Classification(Strict):
    """Data classification assessment (State Data Plan principle 4c)."""

    level: Id
    assessed_on: IsoDate
    assessed_by: Text
    notes: str | None = None


class PersonalData(Strict):
    """Personal-data policy (Plan 4d i–iii; DCF 31-8-5)."""

    purpose: Text = F(description="the legal or regulatory requirement or public service served")
    legal_authority: str | None = None
    access_procedure: Text = F(description="how an individual obtains or sees their own data")
    contact: Person
    consent: str | None = F(None, description="consent required before disclosure")
    retention: str | None = None


class Disclosure(Strict):
    """Aggregation and disclosure control (Plan 4a, 12a.i; DCF 5-4 small N)."""

    suppression_policy: Id | None = None
    granularity: Id | None = F(None, description="finest geographic granularity published")
    aggregates_confidential: Flag = F(
        False, description="published data are aggregates of confidential records")
    notes: str | None = None


class Distribution(Strict):
    id: Id
    title: Text
    kind: Literal["download", "api", "landing-page"] = "download"
    url: Url
    media_type: str | None = None
    format: str | None = None
    description: str | None = None
    file: str | None = F(None, description="the published file as kept beside this "
                         "descriptor (relative path): checked like the sample")
    conforms_to: Url | None = None
    described_by: Url | None = F(None, description="data dictionary URL (DCAT-US describedBy)")
    described_by_type: str | None = None


class Temporal(Strict):
    start: IsoDate | None = None
    end: IsoDate | None = None


class Lifecycle(Strict):
    update_frequency: str | None = F(None, description="ISO 8601 repeating duration, e.g. R/P1M")
    temporal: Temporal | None = None
    spatial: str | None = None
    source_system: str | None = None
    retention: str | None = None
    issued: DateText | None = None
    modified: DateText | None = F(None, description="when the data last changed")
    last_reviewed: IsoDate | None = None


class Answer(Strict):
    answer: Literal["yes", "no", "partly", "unknown"]
    explanation: Text


class PredictiveAssessment(Strict):
    """The five DCF 5-4 questions on predictive analytics, AI and machine learning."""

    legitimate_interest: Answer | None = None
    amenable_to_amelioration: Answer | None = None
    minimally_intrusive_intervention: Answer | None = None
    structural_inequity_review: Answer | None = None
    no_profiling_or_disparate_impact: Answer | None = None


class OngoingReview(Strict):
    """Ongoing review of a predictive or actuarial tool's data for over-representation
    (DCF 5-4: "a process for ongoing review of its SDM data")."""

    frequency: str = F(description="ISO 8601 duration, e.g. P1Y")
    last_done: IsoDate | None = None
    next_due: IsoDate | None = None


class PredictiveAnalytics(Strict):
    used: Flag
    description: str | None = None
    automated_decision_making: Flag = False
    assessment: PredictiveAssessment | None = None
    reviewed_by: str | None = None
    reviewed_on: IsoDate | None = None
    decision: Literal["approved", "rejected", "pending"] | None = None
    ongoing_review: OngoingReview | None = None


class OpenDataPlan(Strict):
    """The dataset's entry in its agency's Open Data Access Plan."""

    status: Literal["planned", "released", "not-planned"]
    priority: Literal["high", "medium", "low"] | None = None
    target_release: IsoDate | None = None
    released_on: IsoDate | None = None
    released_url: Url | None = None
    notes: str | None = None


class Quality(Strict):
    """Quality notes and known bias (Plan 6c)."""

    notes: str | None = None
    known_bias: str | None = None
    limitations: str | None = None


AssetType = Literal["tabular", "geospatial", "database", "api", "document"]


class Dataset(Strict):
    id: Id = F(description="unique across the inventory; equals the file name; prefix with "
               "the agency id")
    identifier: str | None = F(None, description="DCAT-US identifier; default "
                               "<base_url>/datasets/<id> (imports keep the portal's)")
    title: Text = F(description="DCAT-US title")
    description: Text = F(description="what the data records, for whom and why (Markdown)")
    agency: Id = F(description="the agency folder this file lives in")
    asset_type: AssetType = F("tabular", description="CT inventories list GIS and non-GIS "
                              "assets; document = evaluation or research report")
    keywords: list[Text] = F([], description="DCAT-US keyword")
    themes: list[Id] = F([], description="State Data Plan focal points (vocabularies.yml)")
    high_value: HighValue = F(description="Public Act 18-175 high-value designation")
    steward: Person = F(description="accountable for the data's quality and documentation")
    custodian: Person | None = F(None, description="operates the system that holds the data")
    contact: Person | None = F(None, description="public contact point; default the steward")
    access: Access = F(description="access level, public visibility, API / bulk / ownership")
    classification: Classification | None = F(
        None, description="classification assessment; required for high-value datasets")
    personal_data: PersonalData | None = F(
        None, description="personal-data policy; required when any field is PII")
    disclosure: Disclosure | None = F(
        None, description="suppression policy and geographic granularity")
    schema_: TableSchema | None = F(None, alias="schema",
                                    description="data dictionary: a Frictionless Table Schema")
    sample: str | None = F(None, description="CSV file, relative to this descriptor")
    distributions: list[Distribution] = F([], description="where and how to get the data")
    license: str | None = F(None, description="id from the licenses vocabulary")
    landing_page: Url | None = F(None, description="human-readable page about the dataset")
    lifecycle: Lifecycle | None = F(None, description="frequency, coverage, dates, retention")
    predictive_analytics: PredictiveAnalytics | None = F(
        None, description="use in predictive analytics / AI and its DCF 5-4 assessment")
    open_data_plan: OpenDataPlan | None = F(
        None, description="entry in the agency's Open Data Access Plan")
    quality: Quality | None = F(None, description="quality notes, known bias and limitations")
    related_agreements: list[Id] = F([], description="ids of data-sharing agreements")
    extensions: dict[str, Any] = F(
        {}, description="properties kept from an import that have no place in the model")
