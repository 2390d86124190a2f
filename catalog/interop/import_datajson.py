"""Import a portal's DCAT-US ``data.json`` (Project Open Data 1.1, and 1.0 lists): the
inverse of :mod:`catalog.interop.datajson`.

Entries are data.json datasets already; :mod:`catalog.interop.plan` maps them.
"""

from __future__ import annotations

import json
from typing import Any

from .. import problems as P
from ..problems import CatalogError, Problem
from .fetch import Fetched, decode
from .plan import Entry, Parsed

CATALOG_PROPERTIES = {"@context", "@id", "@type", "conformsTo", "describedBy", "dataset"}


def load_json(fetched: Fetched, expected: str) -> tuple[Any, list[Problem]]:
    """The parsed JSON of a source, with a problem when it was not UTF-8."""
    text, encoding = decode(fetched)
    problems = []
    if encoding not in ("utf-8", "utf-8 with BOM", "ascii"):
        problems.append(Problem.make(
            P.SOURCE_ENCODING, f"the source is not UTF-8; it was read as {encoding}",
            file=fetched.name, hint="JSON is UTF-8; check the non-ASCII text of the import"))
    try:
        return json.loads(text), problems
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{fetched.name} is not JSON: {exc.msg} at line {exc.lineno} column "
                           f"{exc.colno}", hint=f"give {expected}") from None


def parse(fetched: Fetched, portal: str | None = None) -> Parsed:
    data, problems = load_json(fetched, "the portal's data.json (DCAT-US 1.1)")
    parsed = parse_data(data, fetched.name)
    parsed.problems[:0] = problems
    return parsed


def parse_data(data: Any, name: str = "data.json") -> Parsed:
    """The entries of parsed data.json (a v1.1 catalog object or a v1.0 list)."""
    parsed = Parsed("datajson")
    if isinstance(data, list):
        if data and isinstance(data[0], dict) and "viewType" in data[0]:
            raise CatalogError(f"{name} is a Socrata /api/views list, not a data.json",
                               hint="import it with `catalog import socrata`")
        parsed.problems.append(Problem.make(
            P.SOURCE_FORMAT, "the source is a list of datasets (Project Open Data v1.0), not "
            "a v1.1 catalog object; importing it as v1.1 entries", file=name))
        entries, prefix = data, ""
    elif isinstance(data, dict) and isinstance(data.get("dataset"), list):
        entries, prefix = data["dataset"], "/dataset"
        extra = sorted(k for k in data if k not in CATALOG_PROPERTIES)
        if extra:
            parsed.problems.append(Problem.make(
                P.SOURCE_FORMAT, "catalog-level properties not imported: " + ", ".join(extra),
                file=name, severity=P.Severity.INFO))
    else:
        if isinstance(data, dict) and isinstance(data.get("result"), dict):
            raise CatalogError(f"{name} is a CKAN API response, not a data.json",
                               hint="import it with `catalog import ckan`")
        found = "an object without a 'dataset' list" if isinstance(data, dict) else \
            f"a JSON {type(data).__name__}"
        raise CatalogError(f"the source is not a data.json catalog: it is {found}",
                           hint="a DCAT-US 1.1 catalog is an object with a 'dataset' list")
    parsed.entries = [Entry(i, raw, f"{prefix}/{i}") for i, raw in enumerate(entries)]
    return parsed
