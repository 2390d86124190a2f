"""Problems are data: every finding of the pipeline is a :class:`Problem`.

A problem has a stable kebab-case ``code`` (documented in ``docs/errors.md``), a
severity, a location (file, line, column, JSON pointer; in a data file the row, the
column number and the field name), a message and a hint. A :class:`Report` collects
them all; nothing stops at the first problem.

A code registered ``dated`` depends on today's date alone (a term that has ended, a
review that fell due): it can appear without anyone changing a file, so it never
blocks a build (``Report.blocking``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Iterable, Iterator


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    """A registered problem code: its default severity and a one-line title."""

    name: str
    severity: Severity
    title: str
    stage: str
    dated: bool = False


CODES: dict[str, Code] = {}


def register(name: str, severity: Severity, title: str, stage: str, *,
             dated: bool = False) -> str:
    if name in CODES:
        raise ValueError(f"problem code {name!r} registered twice")
    CODES[name] = Code(name, severity, title, stage, dated)
    return name


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO  # N: a note

# -- load: files and YAML -------------------------------------------------------------
FILE_NOT_UTF8 = register("file-not-utf8", E, "File is not valid UTF-8", "load")
FILE_EMPTY = register("file-empty", E, "File is empty", "load")
FILE_TOO_LARGE = register("file-too-large", E, "File exceeds the size limit", "load")
FILE_UNREADABLE = register("file-unreadable", E, "File cannot be read", "load")
FILE_NOT_REGULAR = register("file-not-regular", E, "Not a regular file (a pipe, socket or device)", "load")
FILE_OUTSIDE_ROOT = register("file-outside-root", E, "Symlink points outside the project", "load")
FILE_MISPLACED = register("file-misplaced", E, "File is not where the inventory layout expects", "load")
YAML_SYNTAX = register("yaml-syntax", E, "YAML syntax error", "load")
YAML_DUPLICATE_KEY = register("yaml-duplicate-key", E, "Key appears twice in one mapping", "load")
YAML_ALIAS = register("yaml-alias", E, "YAML anchors and aliases are not allowed", "load")
YAML_TAG = register("yaml-unsupported-tag", E, "YAML tag is not allowed", "load")
YAML_NOT_MAPPING = register("yaml-not-mapping", E, "Top level of the file is not a mapping", "load")
YAML_TOO_DEEP = register("yaml-too-deep", E, "YAML nesting is too deep", "load")
YAML_KEY_NOT_STRING = register("yaml-key-not-string", E, "Mapping key is not a string", "load")

# -- model: shape of descriptors --------------------------------------------------------
MISSING_PROPERTY = register("missing-property", E, "Required property is missing", "model")
UNKNOWN_PROPERTY = register("unknown-property", E, "Property is not part of the schema", "model")
INVALID_TYPE = register("invalid-type", E, "Value has the wrong type", "model")
INVALID_VALUE = register("invalid-value", E, "Value is not allowed", "model")

# -- frictionless ------------------------------------------------------------------------
TABLE_SCHEMA_INVALID = register(
    "table-schema-invalid", E, "Data dictionary is not a valid Table Schema", "frictionless"
)
SAMPLE_NOT_FOUND = register("sample-not-found", E, "Sample data file does not exist", "frictionless")
SAMPLE_INVALID = register(
    "sample-invalid", E, "Sample data does not match the data dictionary", "frictionless"
)
SAMPLE_TOO_LARGE = register("sample-too-large", E, "Sample data file exceeds the size limit", "frictionless")
SAMPLE_NOT_UTF8 = register("sample-not-utf8", E, "Sample data file is not valid UTF-8", "frictionless")
SAMPLE_NULL_BYTE = register("sample-null-byte", E, "Sample data file holds a null byte", "frictionless")

# -- references ---------------------------------------------------------------------------
DUPLICATE_ID = register("duplicate-id", E, "Identifier is used twice", "references")
ID_FILENAME_MISMATCH = register("id-filename-mismatch", E, "id does not match the file name", "references")
AGENCY_FOLDER_MISMATCH = register(
    "agency-folder-mismatch", E, "agency does not match the folder", "references"
)
UNKNOWN_AGENCY = register("unknown-agency", E, "Agency has no _agency.yml", "references")
UNKNOWN_STANDARD = register("unknown-standard", E, "Common element standard does not exist", "references")
UNKNOWN_DATASET = register("unknown-dataset", E, "Referenced dataset does not exist", "references")
UNKNOWN_TERM = register("unknown-term", E, "Value is not in the controlled vocabulary", "references")
UNKNOWN_CLASSIFICATION = register(
    "unknown-classification", E, "Classification level does not exist", "references"
)
UNKNOWN_SUPPRESSION_POLICY = register(
    "unknown-suppression-policy", E, "Suppression policy does not exist", "references"
)
UNKNOWN_AGREEMENT = register("unknown-agreement", E, "Referenced agreement does not exist", "references")
STANDARD_VALUES_UNREADABLE = register(
    "standard-values-unreadable", E, "A standard's value list cannot be read", "references"
)
POLICY_PACK_MISSING = register(
    "policy-pack-missing", E, "A policy pack the catalog's rules belong to is missing", "references")

# -- standards conformance ------------------------------------------------------------------
STANDARD_TYPE_MISMATCH = register(
    "standard-type-mismatch", E, "Field type is incompatible with its standard", "conformance"
)
STANDARD_VALUE_MISMATCH = register(
    "standard-value-mismatch", E, "Field allows values its standard does not", "conformance"
)
STANDARD_PATTERN_MISMATCH = register(
    "standard-pattern-mismatch", W, "Field pattern differs from its standard", "conformance"
)
STANDARD_FORMAT_MISMATCH = register(
    "standard-format-mismatch", W, "Field format differs from its standard", "conformance"
)
STANDARD_DEPRECATED = register(
    "standard-deprecated", N, "Field follows a deprecated standard", "conformance"
)

# -- policy rules from the State Data Plan and DCF policies -------------------------------------
MISSING_PERSONAL_DATA_POLICY = register(
    "missing-personal-data-policy", E, "PII fields without a personal-data policy", "policy"
)
MISSING_SUPPRESSION_POLICY = register(
    "missing-suppression-policy", E, "Aggregates of confidential data without a suppression policy", "policy"
)
MISSING_CLASSIFICATION = register(
    "missing-classification", E, "High-value dataset without a classification assessment", "policy"
)
CLASSIFICATION_ACCESS_CONFLICT = register(
    "classification-access-conflict", E, "Access level is more open than the classification allows", "policy"
)
PREDICTIVE_ASSESSMENT_INCOMPLETE = register(
    "predictive-assessment-incomplete", E, "Predictive analytics use without the DCF 5-4 assessment", "policy"
)
AUTOMATED_DECISION_MAKING = register(
    "automated-decision-making", E, "Predictive analytics used for automated decision-making", "policy"
)
NON_PUBLIC_DOWNLOAD = register(
    "non-public-download", E, "Non-public dataset offers a public download", "policy"
)
PII_IN_PUBLIC_DATASET = register("pii-in-public-dataset", W, "Public dataset has PII fields", "policy")
MISSING_RIGHTS = register("missing-rights", W, "Restricted dataset does not say why", "policy")
PUBLIC_WITHOUT_DISTRIBUTION = register(
    "public-without-distribution", W, "Public dataset has no distribution", "policy"
)
HIDDEN_PUBLIC_DATASET = register(
    "hidden-public-dataset", W, "Public dataset is hidden from the public catalog", "policy"
)
MISSING_DEMOGRAPHIC_FLAG = register(
    "missing-demographic-flag", W, "Field follows a demographic standard but is not flagged", "policy"
)
LIKELY_PII_UNMARKED = register(
    "likely-pii-unmarked", E, "Field looks like personal data but is neither marked nor waived",
    "policy")
CONTACT_DETAILS_MISSING = register(
    "contact-details-missing", E, "Personal-data contact without an e-mail address or telephone",
    "policy")
MISSING_LICENSE = register("missing-license", W, "Public dataset without a license", "policy")
SCAFFOLD_PLACEHOLDER = register(
    "scaffold-placeholder", E, "Placeholder text of a `catalog new` scaffold left in", "policy")
CLASSIFICATION_STALE = register(
    "classification-assessment-stale", W, "Classification assessment older than the review period",
    "policy", dated=True)
DATE_IN_FUTURE = register("date-in-future", E, "A date of something already done lies ahead",
                          "policy")
PREDICTIVE_USE_NOT_APPROVED = register(
    "predictive-use-not-approved", E, "Predictive analytics used without an approved assessment",
    "policy")
PREDICTIVE_ASSESSMENT_FAILED = register(
    "predictive-assessment-failed", E, "Predictive use approved although its assessment fails",
    "policy")
PREDICTIVE_REVIEW_MISSING = register(
    "predictive-ongoing-review-missing", W, "Predictive tool in use without an ongoing review",
    "policy")
PREDICTIVE_REVIEW_OVERDUE = register(
    "predictive-ongoing-review-overdue", W, "Ongoing review of a predictive tool is overdue",
    "policy", dated=True)
SUPPRESSION_POLICY_TOO_WEAK = register(
    "suppression-policy-too-weak", E, "Suppression policy weaker than a pack in scope requires",
    "policy")
AGENCY_PACK_RULE = register(
    "agency-pack-rule", E, "A rule of an agency's own policy pack is not met", "policy")

# -- small-N suppression in sample data (State Data Plan 4a; DCF 5-4) ---------------------------
SMALL_COUNT = register("small-count", E, "Published count below the suppression minimum",
                       "suppression")
UNROUNDED_COUNT = register("unrounded-count", E,
                           "Published count not rounded as the policy requires", "suppression")
INVALID_COUNT = register("invalid-count", W,
                         "Count cell is neither a number nor the suppression symbol", "suppression")
RECOVERABLE_CELL = register("recoverable-cell", E, "Suppressed cell can be recalculated from totals",
                            "suppression")

# -- data requests (DCF 5-1) ---------------------------------------------------------------
REQUEST_DATES_INVALID = register("request-dates-invalid", E,
                                 "Request answered before it was received", "requests")
REQUEST_RESPONSE_UNDATED = register("request-response-undated", W,
                                    "Closed request without a response date", "requests")
REQUEST_STATUS_INVALID = register("request-status-invalid", E,
                                  "Request status contradicts what its record says", "requests")
REQUEST_VETTING_MISSING = register("request-vetting-missing", E,
                                   "Request past vetting without a vetting record", "requests")
REQUEST_RELEASE_WITHOUT_AGREEMENT = register(
    "request-release-without-agreement", E,
    "Client-level data released without an agreement in force on the day", "requests")
REQUEST_RELEASE_UNDESCRIBED = register(
    "request-release-undescribed", E, "Fulfilled request does not say what was released",
    "requests")
REQUEST_OVERDUE = register("request-overdue", W, "Open request past its due date", "requests",
                           dated=True)

# -- agreements (DCF 5-4) -----------------------------------------------------------------------
AGREEMENT_TERM_INVALID = register("agreement-term-invalid", E, "Agreement term ends before it starts", "agreements")
AGREEMENT_MISSING_CONSENT_PLAN = register(
    "agreement-missing-consent-plan", E, "External use of identifiable client data without a consent plan", "agreements"
)
AGREEMENT_CONSENT_NOT_APPROVED = register(
    "agreement-consent-not-approved", E, "Consent plan not approved before data is shared", "agreements"
)
AGREEMENT_MISSING_APPROVAL = register(
    "agreement-missing-approval", E, "Approved agreement without IRB or Commissioner approval", "agreements"
)
AGREEMENT_MISSING_REVIEW = register(
    "agreement-missing-review", E, "Approved agreement without a required written review", "agreements"
)
AGREEMENT_REVIEW_NOT_ARCHIVED = register(
    "agreement-review-not-archived", E, "Review or approval has no archive reference", "agreements"
)
AGREEMENT_EXPIRED = register("agreement-expired", W, "Active agreement whose term has ended",
                             "agreements", dated=True)
AGREEMENT_NO_STATE_PARTY = register(
    "agreement-no-state-party", E, "Agreement has no state agency among its parties", "agreements"
)
AGREEMENT_MISSING_GOVERNANCE = register(
    "agreement-missing-governance-approval", E,
    "In-force sharing of identifiable client data without IS Governance approval", "agreements"
)
AGREEMENT_ONGOING_REVIEW_MISSING = register(
    "agreement-ongoing-review-missing", W, "In-force agreement without an ongoing-review schedule",
    "agreements"
)
AGREEMENT_ONGOING_REVIEW_OVERDUE = register(
    "agreement-ongoing-review-overdue", W, "Ongoing review of an in-force agreement is overdue",
    "agreements", dated=True
)
AGREEMENT_STATUS_MISMATCH = register(
    "agreement-status-mismatch", W, "Agreement status contradicts its term dates", "agreements",
    dated=True
)
AGREEMENT_APPROVER_NOT_ALLOWED = register(
    "agreement-approver-not-allowed", E, "Approval or consent plan approved by a role not allowed",
    "agreements")
AGREEMENT_APPROVED_LATE = register(
    "agreement-approved-after-provision", E,
    "Approval or consent dated after data may be provided", "agreements")

# -- import: reading other catalogs (catalog import FORMAT) ----------------------------------------
SOURCE_ENCODING = register("source-encoding", W, "Source is not UTF-8 text", "import")
SOURCE_FORMAT = register("source-format", W, "Source is not in the expected shape", "import")
TEXT_REPAIRED = register("text-repaired", W, "Bad text in the source was repaired", "import")
PUBLISHER_UNMAPPED = register("publisher-unmapped", W, "Publisher is not in the agency map", "import")
AGENCY_EXISTS = register("agency-exists", N, "Agency file exists and is kept", "import")
AGENCY_NAME_DIFFERS = register("agency-name-differs", W, "Agency name is not the publisher's name", "import")
IDENTIFIER_EXISTS = register("identifier-exists", W, "Another descriptor has this identifier", "import")
DATASET_SKIPPED = register("dataset-skipped", W, "Source entry cannot become a descriptor", "import")
NOT_A_DATASET = register("not-a-dataset", N, "Source entry is not a dataset", "import")
VALUE_REPAIRED = register("value-repaired", W, "Source value was repaired", "import")
VALUE_KEPT = register("value-kept-in-extensions", W, "Source value kept under extensions", "import")
KEYWORD_DROPPED = register("keyword-dropped", W, "Empty or duplicate keywords dropped", "import")
DISTRIBUTION_KEPT = register("distribution-kept-in-extensions", W, "Distribution kept under extensions", "import")
MISSING_CONTACT = register("missing-contact", W, "Source names no contact person", "import")
PROPERTIES_KEPT = register("properties-kept", N, "Source properties kept under extensions", "import")
LICENSE_MAPPED = register("license-mapped", N, "Licence URL mapped to the licenses vocabulary", "import")
DESCRIPTOR_INVALID = register("descriptor-invalid", W, "Generated descriptor would not validate", "import")
DATASET_UPDATED = register("dataset-updated", N, "Descriptor updated from the source", "import")
SYNC_CONFLICT = register("sync-conflict", W, "Source and steward both changed a value", "import")
DATASET_GONE = register("dataset-gone", W, "Dataset is no longer in the source", "import")
DATASET_REMOVED_LOCALLY = register("dataset-removed-locally", N, "Descriptor deleted since the last import", "import")


# -- review: risk flags of a change to the inventory (catalog diff, dataset history) ------------
RISK_MORE_VISIBLE = register("risk-more-visible", W, "A dataset or field becomes more visible", "review")
RISK_PII_EXPOSED = register("risk-pii-exposed", W, "A PII or demographic field is added to or unmarked in a public dataset", "review")
RISK_CLASSIFICATION_LOWERED = register("risk-classification-lowered", W, "Classification is lowered", "review")
RISK_POLICY_REMOVED = register("risk-policy-removed", W, "A suppression or personal-data policy is removed", "review")
RISK_AGREEMENT_CHANGED = register("risk-agreement-changed", W, "An agreement's parties, purpose or term change", "review")
RISK_STANDARD_VALUES_CHANGED = register("risk-standard-values-changed", W, "A standard's values change under existing fields", "review")
# -- usage: use-case forms and portal usage exports (catalog usage import-portal) ---------------
USAGE_REQUIRED = register("required", E, "A required field of the use-case form is empty", "usage")
USAGE_TOO_SHORT = register("too-short", E, "A use-case form field is shorter than its minimum", "usage")
USAGE_TOO_LONG = register("too-long", E, "A use-case form field is longer than its maximum", "usage")
USAGE_BAD_LINK = register("bad-link", E, "The use case's link is not a web address", "usage")
USAGE_BAD_EMAIL = register("bad-email", E, "The use case's e-mail is not an address", "usage")
USAGE_BAD_DATE = register("bad-date", W, "A row of a portal usage export has no readable date", "usage")
USAGE_BAD_COUNT = register("bad-count", W, "A row of a portal usage export has a count that is not a whole number", "usage")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    file: str = ""
    line: int | None = None
    column: int | None = None
    pointer: str = ""
    hint: str = ""
    severity: Severity = field(default=Severity.ERROR)
    field: str = ""
    """in a data file (a sample): the name of the column"""

    @classmethod
    def make(cls, code: str, message: str, **kw: object) -> "Problem":
        """A problem with the code's registered severity unless one is given."""
        if code not in CODES:
            raise KeyError(f"unregistered problem code {code!r}")
        kw.setdefault("severity", CODES[code].severity)
        return cls(code=code, message=message, **kw)  # type: ignore[arg-type]

    @property
    def dated(self) -> bool:
        code = CODES.get(self.code)
        return bool(code and code.dated)

    def as_line(self) -> str:
        """The problem on one line: `file:line:col severity code: message (hint: ...)`."""
        where = self.file or "<inventory>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        elif self.pointer:
            where += f"#{self.pointer}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where} {self.severity.value} {self.code}: {what}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def dated(self) -> list[Problem]:
        """Findings that depend only on today's date (they never block a build)."""
        return [p for p in self.problems if p.dated]

    def blocking(self, allow_warnings: bool = False) -> list[Problem]:
        """What stops ``catalog build``: errors, and warnings unless allowed; never a
        dated finding."""
        stop = (Severity.ERROR,) if allow_warnings else (Severity.ERROR, Severity.WARNING)
        return [p for p in self.problems if p.severity in stop and not p.dated]

    def sorted(self) -> list[Problem]:
        return sorted(
            self.problems,
            key=lambda p: (p.file, p.line or 0, p.column or 0, p.code, p.message),
        )

    def codes(self) -> list[str]:
        return [p.code for p in self.sorted()]

    def flatten(self, keys: Iterable[str]) -> list[list[object]]:
        """Rows of chosen attributes, for tests: ``report.flatten(["code", "line"])``."""
        keys = list(keys)
        return [[getattr(p, k) for k in keys] for p in self.sorted()]

    def summary(self) -> str:
        e, w, i = (self.count(s) for s in Severity)
        return f"{e} error(s), {w} warning(s), {i} note(s)"

    def to_dict(self) -> dict[str, object]:
        return {
            "valid": self.ok,
            "summary": {s.value: self.count(s) for s in Severity},
            "problems": [p.to_dict() for p in self.sorted()],
        }


class CatalogError(Exception):
    """A failure of a pipeline command that is not a descriptor problem (bad option,
    locked build directory, ...). The CLI turns it into one click error."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
