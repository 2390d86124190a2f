"""The compiled catalog: sqlmodel tables of ``inventory.db`` and ``public.db``.

Both databases share this schema; ``public.db`` holds only rows (and column values) the
public may see. Columns marked ``staff_only`` are NULL in ``public.db``. Bump
``LAYOUT_VERSION`` when a table or column changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

LAYOUT_VERSION = "9"


def staff_only(**kw: Any) -> Any:
    """A column whose value is withheld (NULL) in public.db."""
    return Field(default=None, sa_column_kwargs={"info": {"staff_only": True}}, **kw)


class Meta(SQLModel, table=True):
    """The build's facts: schema and catalog versions, when and from what it was built."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class AgencyRow(SQLModel, table=True):
    """An agency (inventory/<agency>/_agency.yml)."""

    __tablename__ = "agencies"
    id: str = Field(primary_key=True)
    name: str
    abbreviation: str
    description: Optional[str] = None
    website: Optional[str] = None
    data_officer_name: str
    data_officer_title: Optional[str] = None
    data_officer_email: Optional[str] = None
    data_officer_phone: Optional[str] = None
    odap_url: Optional[str] = None
    odap_published_on: Optional[dt.date] = None
    odap_summary: Optional[str] = None
    inventory_submitted_on: Optional[dt.date] = None
    staff_accounts: Optional[str] = staff_only(description="JSON list of sign-in identities")
    source_file: str


class DatasetRow(SQLModel, table=True):
    """A dataset descriptor, flattened (lists as JSON or joined text)."""

    __tablename__ = "datasets"
    id: str = Field(primary_key=True)
    identifier: str
    agency_id: str = Field(foreign_key="agencies.id", index=True)
    title: str
    description: str
    asset_type: str = Field(index=True)
    access_level: str = Field(index=True)
    visibility: str
    high_value: bool = Field(index=True)
    high_value_reason: Optional[str] = None
    keywords: Optional[str] = Field(default=None, description="Comma-separated")
    themes: Optional[str] = Field(default=None, description="Theme ids, comma-separated")
    steward_name: Optional[str] = None
    steward_title: Optional[str] = None
    steward_email: Optional[str] = None
    custodian_name: Optional[str] = staff_only()
    custodian_email: Optional[str] = staff_only()
    contact_name: Optional[str] = None
    contact_email: Optional[str] = None
    classification: Optional[str] = Field(default=None, foreign_key="classification_levels.id",
                                          index=True)
    classification_assessed_on: Optional[dt.date] = None
    classification_assessed_by: Optional[str] = staff_only()
    rights: Optional[str] = None
    api: bool = False
    bulk_download: bool = False
    state_owned: bool = True
    owner: Optional[str] = None
    license: Optional[str] = None
    landing_page: Optional[str] = None
    update_frequency: Optional[str] = None
    temporal_start: Optional[dt.date] = None
    temporal_end: Optional[dt.date] = None
    spatial: Optional[str] = None
    granularity: Optional[str] = None
    suppression_policy: Optional[str] = Field(default=None, foreign_key="suppression_policies.id")
    aggregates_confidential: bool = False
    source_system: Optional[str] = None
    retention: Optional[str] = None
    issued: Optional[str] = None
    modified: Optional[str] = Field(default=None, index=True)
    modified_source: Optional[str] = Field(
        default=None, description="`descriptor`, or `history` (the last change)")
    last_reviewed: Optional[dt.date] = None
    personal_data_purpose: Optional[str] = None
    personal_data_legal_authority: Optional[str] = None
    personal_data_access_procedure: Optional[str] = None
    personal_data_contact_name: Optional[str] = None
    personal_data_contact_email: Optional[str] = None
    personal_data_consent: Optional[str] = None
    predictive_used: bool = False
    predictive_description: Optional[str] = None
    predictive_decision: Optional[str] = None
    predictive_reviewed_by: Optional[str] = staff_only()
    predictive_reviewed_on: Optional[dt.date] = None
    predictive_assessment_complete: bool = False
    odap_status: Optional[str] = None
    quality_notes: Optional[str] = None
    known_bias: Optional[str] = None
    limitations: Optional[str] = None
    field_count: int = Field(default=0, description=(
        "Fields in its data dictionary (in public.db: the public fields)"))
    pii_field_count: Optional[int] = staff_only(description="Fields that are personal data")
    demographic_field_count: int = 0
    standard_field_count: int = 0
    conformant_field_count: int = 0
    has_race_ethnicity: bool = Field(default=False, description=(
        "A field uses a race or ethnicity standard"))
    sample: Optional[str] = None
    source_file: str = Field(description="The descriptor's path, from the project root")
    extensions_json: Optional[str] = staff_only(description="JSON: the descriptor's extensions")
    datajson_json: Optional[str] = Field(default=None, description=(
        "extensions.datajson[_distribution]: data.json properties published as imported"))


class FieldRow(SQLModel, table=True):
    """A field (column) of a dataset's table schema."""

    __tablename__ = "fields"
    # the search page's "standard used" facet groups fields by standard and dataset; the
    # same index serves every lookup by standard (no index on standard alone: size). Partial:
    # most fields follow no standard, and every lookup asks for one (a 10k catalog's
    # inventory.db is 10 MB smaller)
    __table_args__ = (Index("ix_fields_standard_dataset", "standard", "dataset_id",
                            sqlite_where=text("standard IS NOT NULL")),)
    id: Optional[int] = Field(default=None, primary_key=True)
    dataset_id: str = Field(foreign_key="datasets.id", index=True)
    position: int
    name: str = Field(index=True)
    title: Optional[str] = None
    type: str
    format: Optional[str] = None
    description: Optional[str] = None
    standard: Optional[str] = Field(default=None, foreign_key="standards.id")
    conformance: Optional[str] = None
    pii: Optional[bool] = staff_only(description="Derived: marked, or detected and not waived")
    waivers_json: Optional[str] = staff_only(
        description="Why a detected field is not PII / a count")
    demographic: bool = False
    internal: Optional[bool] = staff_only()
    is_count: bool = Field(default=False, description=(
        "Holds counts of people: small-N suppression applies"))
    unit: Optional[str] = None
    constraints_json: Optional[str] = Field(default=None,
                                            description="JSON: its Table Schema constraints")
    example: Optional[str] = None


class FieldConformanceRow(SQLModel, table=True):
    """How a field that claims a standard conforms to it."""

    __tablename__ = "field_conformance"
    field_id: int = Field(primary_key=True, foreign_key="fields.id")
    dataset_id: str = Field(foreign_key="datasets.id", index=True)
    field_name: str
    standard: str = Field(foreign_key="standards.id", index=True)
    status: str = Field(index=True)
    details: Optional[str] = None


class DistributionRow(SQLModel, table=True):
    """A way to get a dataset: a download, an API, a landing page."""

    __tablename__ = "distributions"
    id: str = Field(primary_key=True)
    dataset_id: str = Field(foreign_key="datasets.id", index=True)
    position: int
    distribution_id: str
    title: str
    kind: str
    url: str
    media_type: Optional[str] = None
    format: Optional[str] = None
    description: Optional[str] = None
    conforms_to: Optional[str] = None
    described_by: Optional[str] = None
    described_by_type: Optional[str] = None


class KeywordRow(SQLModel, table=True):
    """A dataset's keywords, one a row."""

    __tablename__ = "keywords"
    dataset_id: str = Field(primary_key=True, foreign_key="datasets.id")
    keyword: str = Field(primary_key=True, index=True)
    position: int = 0


class ThemeRow(SQLModel, table=True):
    """A theme (standards/vocabularies.yml)."""

    __tablename__ = "themes"
    id: str = Field(primary_key=True)
    title: str
    description: Optional[str] = None


class DatasetThemeRow(SQLModel, table=True):
    """Which themes a dataset has."""

    __tablename__ = "dataset_themes"
    dataset_id: str = Field(primary_key=True, foreign_key="datasets.id")
    theme_id: str = Field(primary_key=True, foreign_key="themes.id", index=True)


class StandardRow(SQLModel, table=True):
    """A common data element (standards/elements/)."""

    __tablename__ = "standards"
    id: str = Field(primary_key=True)
    title: str
    category: str = Field(index=True)
    status: str
    superseded_by: Optional[str] = None
    description: str
    guidance: Optional[str] = None
    authority_name: Optional[str] = None
    authority_url: Optional[str] = None
    types: str
    format: Optional[str] = None
    pattern: Optional[str] = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    match: str
    multiple: bool = False
    value_count: int = 0
    examples: Optional[str] = None


class StandardValueRow(SQLModel, table=True):
    """A value of a coded standard's code list."""

    __tablename__ = "standard_values"
    id: Optional[int] = Field(default=None, primary_key=True)
    standard_id: str = Field(foreign_key="standards.id", index=True)
    position: int
    code: str
    label: str
    description: Optional[str] = None
    attributes_json: Optional[str] = None


class ClassificationLevelRow(SQLModel, table=True):
    """A data classification level (standards/classification.yml) and the widest access
    it allows."""

    __tablename__ = "classification_levels"
    id: str = Field(primary_key=True)
    title: str
    rank: int
    max_access_level: str
    description: str
    handling: Optional[str] = None


class SuppressionPolicyRow(SQLModel, table=True):
    """A small-cell suppression policy datasets may name (standards/suppression.yml)."""

    __tablename__ = "suppression_policies"
    id: str = Field(primary_key=True)
    title: str
    description: str
    min_count: int
    suppress_zero: bool
    complementary: bool
    rounding: Optional[int] = None
    min_denominator: Optional[int] = None
    symbol: str
    authority: Optional[str] = None


class VocabularyTermRow(SQLModel, table=True):
    """A term of a controlled vocabulary (standards/vocabularies.yml): themes, frequencies,
    licenses, granularities, asset types."""

    __tablename__ = "vocabulary_terms"
    vocabulary: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    title: str
    description: Optional[str] = None
    url: Optional[str] = None
    same_as: Optional[str] = Field(default=None, description="JSON list of other well-known URLs")
    open: Optional[bool] = None
    rank: Optional[int] = None


class AgreementRow(SQLModel, table=True):
    """A data-sharing agreement (inventory/_agreements/)."""

    __tablename__ = "agreements"
    id: str = Field(primary_key=True)
    title: str
    status: str = Field(index=True)
    public: bool
    purpose: str
    term_start: dt.date
    term_end: Optional[dt.date] = Field(default=None, index=True)
    renewal: Optional[str] = None
    summary_of_terms: Optional[str] = staff_only()
    legal_authority: Optional[str] = None
    risks_and_benefits: Optional[str] = staff_only()
    racial_justice_assessment: Optional[str] = staff_only()
    equity_conformance: Optional[str] = staff_only()
    risk_mitigation: Optional[str] = staff_only()
    data_security: Optional[str] = staff_only()
    privacy: Optional[str] = staff_only()
    client_data_use: Optional[str] = staff_only()
    identifiable_client_data: Optional[bool] = staff_only(
        description="Derived from the datasets shared")
    policy_packs: Optional[str] = staff_only(description="The packs covering it, space-separated")
    consent_required: Optional[bool] = staff_only(description="DCF 5-4 Use ¶5 applies")
    governance_required: Optional[bool] = staff_only(description="DCF 5-4 Governance ¶1 applies")
    consent_plan: Optional[str] = staff_only()
    consent_approved_by: Optional[str] = staff_only()
    consent_approved_on: Optional[dt.date] = staff_only()
    ongoing_review_frequency: Optional[str] = staff_only()
    ongoing_review_next_due: Optional[dt.date] = staff_only()
    ongoing_review_last_done: Optional[dt.date] = staff_only()
    notes: Optional[str] = staff_only()
    source_file: Optional[str] = staff_only()


class AgreementPartyRow(SQLModel, table=True):
    """A party to an agreement."""

    __tablename__ = "agreement_parties"
    id: Optional[int] = Field(default=None, primary_key=True)
    agreement_id: str = Field(foreign_key="agreements.id", index=True)
    position: int
    agency_id: Optional[str] = Field(default=None, foreign_key="agencies.id", index=True)
    name: str
    kind: str
    role: str


class AgreementDatasetRow(SQLModel, table=True):
    """Which datasets an agreement shares."""

    __tablename__ = "agreement_datasets"
    agreement_id: str = Field(primary_key=True, foreign_key="agreements.id")
    dataset_id: str = Field(primary_key=True, foreign_key="datasets.id", index=True)


class AgreementReviewRow(SQLModel, table=True):
    """A review of an agreement by an office."""

    __tablename__ = "agreement_reviews"
    id: Optional[int] = Field(default=None, primary_key=True)
    agreement_id: str = Field(foreign_key="agreements.id", index=True)
    office: str
    reviewer: Optional[str] = None
    date: dt.date
    archive_ref: Optional[str] = None
    summary: Optional[str] = None


class AgreementApprovalRow(SQLModel, table=True):
    """An approval of an agreement."""

    __tablename__ = "agreement_approvals"
    id: Optional[int] = Field(default=None, primary_key=True)
    agreement_id: str = Field(foreign_key="agreements.id", index=True)
    kind: str
    approver: str
    date: dt.date
    reference: Optional[str] = None


class AccessPlanRow(SQLModel, table=True):
    """A dataset's plan for public release (its descriptor's open_data_plan)."""

    __tablename__ = "access_plans"
    dataset_id: str = Field(primary_key=True, foreign_key="datasets.id")
    agency_id: str = Field(foreign_key="agencies.id", index=True)
    status: str = Field(index=True)
    priority: Optional[str] = None
    target_release: Optional[dt.date] = None
    released_on: Optional[dt.date] = None
    released_url: Optional[str] = None
    notes: Optional[str] = None


class DataRequestRow(SQLModel, table=True):
    """A request for data (inventory/_requests/)."""

    __tablename__ = "data_requests"
    id: str = Field(primary_key=True)
    title: str
    received_on: dt.date = Field(index=True)
    requester_kind: str = Field(index=True)
    requester_name: Optional[str] = None
    requester_agency: Optional[str] = Field(default=None, foreign_key="agencies.id")
    description: str
    status: str = Field(index=True)
    foia: bool = False
    due_on: Optional[dt.date] = Field(default=None, index=True,
                                      description="The FOIA clock or the target")
    due_basis: Optional[str] = None
    vetting_by: Optional[str] = None
    vetting_decision: Optional[str] = None
    handled_by: Optional[str] = Field(default=None, foreign_key="agencies.id", index=True)
    responded_on: Optional[dt.date] = None
    released_on: Optional[dt.date] = None
    release_level: Optional[str] = None
    turnaround_days: Optional[int] = None
    outcome: Optional[str] = None
    agreement_id: Optional[str] = Field(default=None, foreign_key="agreements.id")
    notes: Optional[str] = None
    source_file: str


class DataRequestDatasetRow(SQLModel, table=True):
    """Which datasets a request asks for."""

    __tablename__ = "data_request_datasets"
    request_id: str = Field(primary_key=True, foreign_key="data_requests.id")
    dataset_id: str = Field(primary_key=True, foreign_key="datasets.id", index=True)


class ScorecardMetricRow(SQLModel, table=True):
    """A scorecard metric: what it counts and its targets."""

    __tablename__ = "scorecard_metrics"
    id: str = Field(primary_key=True)
    position: int
    title: str
    source: str
    description: str
    target: float
    amber_below: float = Field(
        description="Under the target but at or above this: amber; below: red")


class ScorecardRow(SQLModel, table=True):
    """A metric's value for an agency or the whole catalog, now."""

    __tablename__ = "scorecards"
    scope: str = Field(primary_key=True)
    metric: str = Field(primary_key=True, foreign_key="scorecard_metrics.id")
    numerator: int
    denominator: int
    value: Optional[float] = None


class DueItemRow(SQLModel, table=True):
    """A dated obligation (catalog.governance.due): staff follow these up."""

    __tablename__ = "due_items"
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    subject: str
    title: str
    file: str
    date: dt.date = Field(index=True)
    basis: str


class ProblemRow(SQLModel, table=True):
    """A problem the build found (docs/errors.md)."""

    __tablename__ = "problems"
    id: Optional[int] = Field(default=None, primary_key=True)
    file: str = Field(index=True)
    line: Optional[int] = None
    col: Optional[int] = None
    pointer: Optional[str] = None
    code: str = Field(index=True)
    severity: str = Field(index=True)
    message: str
    hint: Optional[str] = None
    field: Optional[str] = Field(default=None, description="The column of a data file")
    dated: bool = Field(default=False, index=True, description="Depends on today's date alone")


class CommitRow(SQLModel, table=True):
    """A commit of the inventory's history that changed a dataset or is a scorecard
    point (docs/history.md)."""

    __tablename__ = "commits"
    sha: str = Field(primary_key=True)
    committed_at: str = Field(index=True, description="ISO 8601, UTC")
    author: Optional[str] = staff_only()
    subject: Optional[str] = staff_only()


class DatasetChangeRow(SQLModel, table=True):
    """One dataset's change in one commit: in public.db, only what the public saw then
    and sees now (catalog.history.public)."""

    __tablename__ = "dataset_changes"
    id: int = Field(primary_key=True)
    dataset_id: str = Field(index=True, description=(
        "No foreign key: staff keep the changes of removed datasets"))
    agency_id: str = Field(index=True)
    commit_sha: str = Field(foreign_key="commits.sha", index=True)
    committed_at: str = Field(index=True)
    kind: str = Field(description="`added`, `changed` or `removed`")
    summary: str
    changes_json: Optional[str] = Field(default=None,
                                        description="JSON: [{property, label, old, new}]")
    risks_json: Optional[str] = staff_only(description="JSON: [{code, message}]")
    opened: Optional[bool] = staff_only()
    documented: Optional[int] = staff_only()
    conformed: Optional[int] = staff_only()


class ScorecardHistoryRow(SQLModel, table=True):
    """The scorecards at every release tag and month across the history."""

    __tablename__ = "scorecard_history"
    point: str = Field(primary_key=True, description="The tag's name, or YYYY-MM")
    scope: str = Field(primary_key=True)
    metric: str = Field(primary_key=True, foreign_key="scorecard_metrics.id")
    kind: str = Field(description="`tag` or `month`")
    commit_sha: str
    date: str = Field(index=True)
    numerator: int
    denominator: int
    value: Optional[float] = None


# insertion order respects foreign keys
TABLES: tuple[type[SQLModel], ...] = (
    Meta, AgencyRow, ClassificationLevelRow, SuppressionPolicyRow, ThemeRow, VocabularyTermRow,
    StandardRow, StandardValueRow, DatasetRow, FieldRow, FieldConformanceRow, DistributionRow,
    KeywordRow, DatasetThemeRow, AgreementRow, AgreementPartyRow, AgreementDatasetRow,
    AgreementReviewRow, AgreementApprovalRow, AccessPlanRow, DataRequestRow,
    DataRequestDatasetRow, ScorecardMetricRow, ScorecardRow, DueItemRow, ProblemRow,
    CommitRow, DatasetChangeRow, ScorecardHistoryRow,
)
# scorecards count every dataset, hidden ones included: their denominators would reveal
# how many non-public records an agency holds
# Views: (description, SELECT), what the full-text indexes read. ``dataset_text``: a
# dataset's own text and its fields' names, titles and descriptions (in public.db its
# public fields), computed from ``fields`` instead of stored a second time in every
# ``datasets`` row. ``field_search``: a field's text and its dataset's key.
VIEWS: dict[str, tuple[str, str]] = {
    "dataset_text": (
        "Each dataset's searchable text: its title, description and keywords, and its "
        "fields' names, titles and descriptions in dictionary order (`field_text`); "
        "`datasets_fts` indexes it",
        "SELECT d.rowid AS rowid, d.id AS id, d.title AS title, "
        "d.description AS description, d.keywords AS keywords, "
        "(SELECT group_concat(t, ' ') FROM (SELECT ltrim("
        "coalesce(' ' || nullif(replace(f.name, '_', ' '), ''), '') "
        "|| coalesce(' ' || nullif(f.title, ''), '') "
        "|| coalesce(' ' || nullif(f.description, ''), '')) AS t "
        "FROM fields f WHERE f.dataset_id = d.id ORDER BY f.position)) AS field_text "
        "FROM datasets d"),
    "field_search": (
        "Each field's searchable text and `dataset_key`, its dataset as one word "
        "(`k` and the hex of the dataset's id), that `fields_fts` indexes: a search finds "
        "the matching fields of the datasets on a page by their keys, not by reading every "
        "match",
        "SELECT f.rowid AS rowid, f.dataset_id AS dataset_id, f.name AS name, "
        "f.title AS title, f.description AS description, "
        "'k' || hex(f.dataset_id) AS dataset_key FROM fields f"),
}

STAFF_ONLY_TABLES = (AgreementReviewRow, AgreementApprovalRow, DataRequestRow,
                     DataRequestDatasetRow, ScorecardMetricRow, ScorecardRow, DueItemRow,
                     ProblemRow, ScorecardHistoryRow)


def staff_only_columns(table: type[SQLModel]) -> set[str]:
    return {c.name for c in table.__table__.columns if c.info.get("staff_only")}  # type: ignore[attr-defined]

