"""Shared building blocks of the descriptor models (the YAML *as written*)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """Dates are written as YYYY-MM-DD strings (the loader keeps them as text)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected a date written as YYYY-MM-DD")
    return value


_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def _date_text(value: Any) -> Any:
    """An ISO 8601 date or date-time, kept exactly as written (imports round-trip)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date (YYYY-MM-DD) or date-time")
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ValueError(f"not a real date: {exc}") from None
    return value


def _no_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Id = Annotated[str, Field(pattern=ID_PATTERN, description="lower-case letters, digits and '-'")]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
DateText = Annotated[str, BeforeValidator(_date_text),
                     Field(description="ISO 8601 date or date-time, kept as written")]
Text = Annotated[str, AfterValidator(_no_blank)]
Flag = StrictBool
Url = Annotated[str, Field(pattern=r"^(https?|ftp)://\S+$", description="an http(s) or ftp URL")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Handle = Annotated[str, Field(
    pattern=r"^(@[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?"
            r"|[^@\s]+@[^@\s]+\.[^@\s]+)$",
    description="a code-review handle: @user, @org/team, or an email address")]


class Strict(BaseModel):
    """Base of every model: unknown properties are errors (typos get a did-you-mean)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Person(Strict):
    """A named person or office with a way to reach them."""

    name: Text
    title: str | None = None
    email: Email | None = None
    phone: str | None = None
    office: str | None = None
