"""The "How did you use this data?" form: what a submission must look like, the
honeypot, and how many submissions one client may send.

Problems are data (``code``, ``field``, ``message``) so that the form shows every one
next to its field and tests assert on codes, not wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .. import problems as P
from ..problems import CatalogError, Problem

# field → (label, minimum length or 0 when optional, maximum length)
FIELDS: dict[str, tuple[str, int, int]] = {
    "title": ("Title", 3, 120),
    "description": ("How you used the data", 20, 2000),
    "link": ("Link", 0, 500),
    "organisation": ("Organisation", 0, 120),
    "email": ("E-mail", 0, 254),
}
HONEYPOT = "extra_notes"  # hidden from people; software that fills every field fills it
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass
class Submission:
    values: dict[str, str | None]
    problems: list[Problem] = field(default_factory=list)
    honeypot: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.honeypot


def clean(text: str, *, multiline: bool) -> str:
    """Strip control characters (newlines kept in multi-line text) and outer space."""
    keep = "\n" if multiline else ""
    out = "".join(c for c in text.replace("\r\n", "\n")
                  if c in keep or unicodedata.category(c)[0] != "C")
    return out.strip()


def _problem(code: str, name: str, message: str) -> Problem:
    """A problem of one form field (``field``: its name; the message is shown beside it)."""
    return Problem.make(code, message, field=name)


def check(form: Mapping[str, str]) -> Submission:
    """Every problem of a submitted form, and its cleaned values."""
    values: dict[str, str | None] = {}
    problems: list[Problem] = []
    for name, (label, low, high) in FIELDS.items():
        text = clean(str(form.get(name, "")), multiline=name == "description")
        values[name] = text or None
        if not text:
            if low:
                problems.append(_problem(P.USAGE_REQUIRED, name, f"{label} is required."))
            continue
        if len(text) < low:
            problems.append(_problem(
                P.USAGE_TOO_SHORT, name, f"{label} needs at least {low} characters."))
        elif len(text) > high:
            problems.append(_problem(
                P.USAGE_TOO_LONG, name, f"{label} may have at most {high} characters "
                f"(it has {len(text)})."))
        elif name == "link" and not _is_web_link(text):
            problems.append(_problem(
                P.USAGE_BAD_LINK, name, "Link must be a web address starting with https:// "
                "or http://."))
        elif name == "email" and not EMAIL.match(text):
            problems.append(_problem(P.USAGE_BAD_EMAIL, name,
                                     "E-mail does not look like an address."))
    return Submission(values, problems, honeypot=bool(str(form.get(HONEYPOT, "")).strip()))


def _is_web_link(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(
        r"\s", text)


class SubmitLimiter:
    """Moving-window limits (``limits`` notation, e.g. ``5/hour;20/day``) per client key,
    in memory. Callers pass a salted hash of the client, never its address."""

    def __init__(self, spec: str) -> None:
        try:
            self.items = parse_many(spec)
        except ValueError as e:
            raise CatalogError(f"bad submission limit {spec!r}: {e}",
                               hint="write it like 5/hour;20/day") from None
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, key: str) -> bool:
        """Count one attempt; False when any limit is exceeded."""
        return all([self._limiter.hit(item, "use-case", key) for item in self.items])
