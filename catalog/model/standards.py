"""Standards: common data elements, classification levels, suppression policies and
controlled vocabularies (``standards/``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field as F

from .common import Flag, Id, Strict, Text, Url
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
