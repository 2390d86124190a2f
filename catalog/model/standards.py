"""Standards: common data elements, classification levels, suppression policies and
controlled vocabularies (``standards/``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field as F

from .common import Flag, Id, IsoDate, Strict, Text, Url
from .dataset import AccessLevel, FieldType


class Authority(Strict):
    name: Text
    url: Url | None = None


class Value(Strict):
    code: str
    label: str
    description: str | None = None
    attributes: dict[str, Any] = {}


class ValuesFrom(Strict):
    path: Text = F(description="CSV file relative to standards/")
    code: Text
    label: Text
    attributes: list[str] = []


class Element(Strict):
    id: Id
    title: Text
    category: Literal["locational", "demographic", "temporal", "identity", "contact", "other"]
    status: Literal["active", "deprecated"] = "active"
    superseded_by: Id | None = None
    description: Text
    guidance: str | None = None
    authority: Authority | None = None
    types: list[FieldType] = F(min_length=1)
    format: str | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    match: Literal["code", "label", "code-or-label"] = "code"
    multiple: Flag = False
    values: list[Value] | None = None
    values_from: ValuesFrom | None = None
    examples: list[Any] = []
    pii: Flag = F(False, description="a field following this element identifies a person "
                  "(the catalog treats it as personal data unless waived)")


class Level(Strict):
    id: Id
    title: Text
    rank: int
    max_access_level: AccessLevel
    description: Text
    handling: list[str] = []
    examples: list[str] = []


class Classification(Strict):
    levels: list[Level] = F(min_length=1)


class SuppressionPolicy(Strict):
    id: Id
    title: Text
    description: Text
    min_count: int = F(ge=1)
    suppress_zero: Flag = False
    complementary: Flag = True
    rounding: int | None = None
    min_denominator: int | None = None
    symbol: str = "*"
    other_symbols: list[str] = F([], description="other markers of a suppressed cell in "
                                 "published tables, e.g. '<5' or 's'")
    authority: str | None = None


class Suppression(Strict):
    policies: list[SuppressionPolicy] = F(min_length=1)


class Term(Strict):
    id: str
    title: Text
    description: str | None = None
    url: Url | None = None
    same_as: list[Url] = F([], description="other well-known URLs of the same term "
                           "(licences: the Open Definition page, older versions of the URL)")
    open: Flag | None = None
    rank: int | None = None


class Vocabularies(Strict):
    themes: list[Term] = F(min_length=1)
    frequencies: list[Term] = F(min_length=1)
    licenses: list[Term] = F(min_length=1)
    granularities: list[Term] = F(min_length=1)
    asset_types: list[Term] = F(min_length=1)


class PackSettings(Strict):
    """What a policy pack sets for the data in its scope. Where several packs apply,
    the strictest wins (the shortest period, the strictest suppression policy, every
    pattern)."""

    suppression_policy: Id | None = F(None, description="the least strict suppression "
                                      "policy aggregates in scope may follow")
    classification_review: str | None = F(None, description="ISO 8601 duration after which "
                                          "a classification assessment is due again")
    archive_ref_pattern: str | None = F(None, description="regular expression an archive "
                                        "reference must match")
    approvers: dict[str, str] = F({}, description="approval kind (irb, commissioner, "
                                  "governance, consent) → regular expression its 'by' "
                                  "must match")
    foia_business_days: int | None = F(None, ge=1, description="business days to answer a "
                                       "freedom-of-information request")
    holidays: list[IsoDate] = F([], description="days that are not business days")
    turnaround_days: dict[str, int] = F({}, description="requester kind (or 'default') → "
                                        "days to answer a data request")


class PackRule(Strict):
    """A declarative rule of an agency's own pack: when a dataset matches ``when``,
    each path of ``require`` must hold one of the allowed values."""

    id: Id
    clause: Text = F(description="where in the source document the rule comes from")
    says: Text = F(description="what the rule requires, in a sentence")
    severity: Literal["error", "warning"] = "error"
    when: dict[str, Any] = F({}, description="dotted path (or $pii, $aggregate) → value, "
                             "list of values, or {present: true|false}")
    require: dict[str, Any] = F(min_length=1, description="dotted path → value, list of "
                                "values, {present: true}, {pattern: regex} or {min: n}")
    hint: str | None = None


class Pack(Strict):
    """A policy pack: ``standards/packs/<id>.yml``. Its rules apply statewide, or
    where ``agency``'s data or the agency itself is involved."""

    id: Id
    title: Text
    source: Text = F(description="the document the rules come from")
    url: Url | None = None
    agency: Id | None = F(None, description="scope: this agency's datasets, agreements it "
                          "is a party to or that share its data, requests it handles or "
                          "that ask for its data; statewide when absent")
    scope_note: str | None = None
    settings: PackSettings = F(default_factory=lambda: PackSettings.model_validate({}))
    rules: list[PackRule] = []
