"""Personal data, derived rather than declared (State Data Plan 4b).

A field is taken for personal data when

* it is marked ``pii: true``;
* its name says so: a Social Security number, a date of birth, a person's name, a
  street address, a telephone number, an e-mail address, an identifier of a client,
  patient or student;
* it follows a standard marked ``pii: true`` (``street-address``, ``email``, …);
* most of its sample values look like Social Security numbers, e-mail addresses,
  telephone numbers or street addresses.

A field found by name, standard or values must be marked, or waived with a reason
(``waivers: {pii: …}``), which staff see on the dataset's page. ``pii: false`` is not a
waiver: a declaration can add protection, never remove it.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from .. import problems as P
from ..governance.totals import words
from ..model.dataset import SchemaField
from ..problems import Problem
from .registry import rule

if TYPE_CHECKING:
    from ..model import Dataset
    from . import Entry, Inventory

SAMPLE_ROWS = 5000  # sample rows read for values that look like personal data
SHARE = 0.5  # of a column's non-blank values

_PEOPLE = frozenset({"client", "child", "children", "parent", "mother", "father", "patient",
                     "student", "person", "caregiver", "guardian", "victim", "member",
                     "recipient", "participant", "applicant", "resident", "youth"})
_NAME_PARTS = frozenset({"first", "last", "given", "family", "middle", "full", "maiden"})
_IDS = frozenset({"id", "number", "no", "num", "identifier"})
_ADDRESS = frozenset({"home", "street", "residence", "residential", "mailing"})


@functools.lru_cache(maxsize=8192)
def by_name(name: str) -> str | None:
    """Why a field named ``name`` looks like personal data, if it does."""
    w = words(name)
    text = " ".join(w)
    joined = "".join(w)
    if "ssn" in w or "social security" in text or joined in ("socialsecuritynumber", "ssn"):
        return "named like a Social Security number"
    if "dob" in w or "date of birth" in text or "birth date" in text or \
            joined in ("birthdate", "birthday", "dateofbirth"):
        return "named like a date of birth"
    if "surname" in w or "name" in w and (_NAME_PARTS | _PEOPLE).intersection(w) or \
            joined in ("firstname", "lastname", "fullname", "givenname", "familyname"):
        return "named like a person's name"
    if "address" in w and (_ADDRESS | _PEOPLE).intersection(w) or \
            joined in ("homeaddress", "streetaddress"):
        return "named like a street address"
    if w and w[-1] in ("phone", "telephone", "mobile") or "phone number" in text or \
            "cell phone" in text:
        return "named like a telephone number"
    if "email" in w or "e mail" in text:
        return "named like an e-mail address"
    if len(w) >= 2 and w[-1] in _IDS and w[-2] in _PEOPLE | {"case"} or \
            {"sasid", "mrn", "medicaid"}.intersection(w):
        return "named like an identifier of a person"
    return None


_VALUES = (
    (re.compile(r"^\d{3}-\d{2}-\d{4}$"), "sample values look like Social Security numbers"),
    (re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"), "sample values look like e-mail addresses"),
    (re.compile(r"^(\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}$"),
     "sample values look like telephone numbers"),
    (re.compile(r"^\d+[A-Za-z]?(-\d+)?\s+([A-Za-z0-9.'-]+\s+){0,4}(st|street|ave|avenue|rd|road|"
                r"dr|drive|ln|lane|blvd|boulevard|way|ct|court|pl|place|ter|terrace|hwy|"
                r"highway|tpke|turnpike|cir|circle|pkwy|parkway)\.?(\s+(apt|unit|#)\s*\S+)?$",
                re.I), "sample values look like street addresses"),
)


def by_values(entry: "Entry[Dataset]", inv: "Inventory") -> dict[str, str]:
    """Columns of the sample most of whose values look like personal data (the first
    rows only: a sample is read in bounded time)."""
    memo = entry.memo.get("pii-values")
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    out: dict[str, str] = {}
    d = entry.model
    path = entry.source.path.parent / d.sample if d.sample else None
    if path is not None and inv.project.inside(path) and path.is_file() \
            and path.stat().st_size <= inv.sample_limit:  # sample-too-large reports it
        try:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                reader = csv.reader(fh)
                header = [h.strip() for h in next(reader, [])]
                hits = [[0] * len(_VALUES) for _ in header]
                filled = [0] * len(header)
                for cells in islice(reader, SAMPLE_ROWS):
                    for i, v in enumerate(cells[:len(header)]):
                        v = v.strip()
                        if not v:
                            continue
                        filled[i] += 1
                        for j, (pattern, _) in enumerate(_VALUES):
                            if pattern.match(v):
                                hits[i][j] += 1
                for i, name in enumerate(header):
                    for j, (_, why) in enumerate(_VALUES):
                        if filled[i] and hits[i][j] >= SHARE * filled[i]:
                            out[name] = why
                            break
        except (OSError, csv.Error):
            pass  # sample-invalid reports a sample that cannot be read
    entry.memo["pii-values"] = out
    return out


def detected(f: SchemaField, entry: "Entry[Dataset]", inv: "Inventory") -> str | None:
    """Why the catalog takes ``f`` for personal data, apart from its own flag."""
    element = inv.standards.elements.get(f.standard or "")
    if element is not None and element.pii:
        return f"follows {element.id}, a standard for personal data"
    return by_name(f.name) or by_values(entry, inv).get(f.name)


def personal_fields(entry: "Entry[Dataset]", inv: "Inventory"
                    ) -> list[tuple[int, SchemaField, str | None]]:
    """(index, field, why) for every field that is personal data: marked (why None),
    or detected and not waived (computed once per entry)."""
    memo = entry.memo.get("pii")
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    schema = entry.model.schema_
    out: list[tuple[int, SchemaField, str | None]] = []
    for i, f in enumerate(schema.fields if schema else []):
        if f.pii:
            out.append((i, f, None))
        elif "pii" not in f.waivers and (why := detected(f, entry, inv)):
            out.append((i, f, why))
    entry.memo["pii"] = out
    return out


@rule(P.LIKELY_PII_UNMARKED, pack="state-data-plan", clause="4b", target="dataset",
      needs=("schema", "sample"))
def likely_pii_is_marked(entry: "Entry[Dataset]", inv: "Inventory") -> Iterator[Problem]:
    """A field that looks like personal data is marked, or waived with a reason."""
    for i, f, why in personal_fields(entry, inv):
        if why is None:
            continue
        yield entry.doc.problem(
            P.LIKELY_PII_UNMARKED, f"field '{f.name}' looks like personal data ({why}) but "
            "is not marked pii: true", f"/schema/fields/{i}/name",
            hint="mark it pii: true, or add waivers: {pii: <why it is not personal data>} "
            "(staff see the reason)")
