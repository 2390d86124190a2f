"""docs/policy-map.md maps every clause of the source documents to what the catalog does.

Rule codes are written ``rule: `code` `` in the `catalog` column: each must exist, and
every code the validator or the suppression check can report must be mapped."""

from __future__ import annotations

import re

from catalog.governance.suppression import CODES as SUPPRESSION_CODES
from catalog.problems import CODES

from .conftest import REPO

MAP = REPO / "docs" / "policy-map.md"
RULE = re.compile(r"rule: `([^`]+)`")
CODE_LIKE = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`")
# rule codes: every code but the import stage's (reading other catalogs is no policy)
KNOWN = {n for n, c in CODES.items() if c.stage != "import"} | set(SUPPRESSION_CODES)

DOCUMENTS = (
    "State Data Plan: principles", "State Data Plan: goals",
    "DCF Policy 5-4: Client Data Protections and Client Data Dignity",
    "DCF Policy 5-1: Office of the Chief of Quality and Planning",
    "DCF Policy 31-8-5: Confidentiality",
    "Prevention play: Use Data / Analytics to Prevent Child Welfare Involvement",
)
PRINCIPLES = (
    "1a 1b 1c 1d 2a 2b 2c 3a 3b 3c 3d 4 4a 4b 4c 4d 4d.i 4d.ii 4d.iii 4e 5a 5b 5c "
    "6a 6b 6c 6d 7a(1) 7a(2) 7a(3) 7b 7c 8a 8b 8c 9a 9b 9b.i 9b.ii 9b.iii 9b.iv "
    "10a 10b 10c 11a 11b 11c 11d 12 12a 12a.i 12b 12c 12d").split()
GOALS = ("G1.1 G1.2 G1.3 G2.1 G2.2 G2.3 G3.1 G3.2 G3.3 G4.1 G4.1a G4.1b G4.2 G4.3 G4.4 "
         "G5.1 G5.2 G5.3 G5.4").split()


def _text() -> str:
    return MAP.read_text(encoding="utf-8")


def _tables() -> dict[str, list[dict[str, str]]]:
    """heading → rows of the table under it, as {column: cell}."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading, header = "", None
    for line in _text().splitlines():
        if line.startswith("## "):
            heading, header = line[3:].strip(), None
        elif line.startswith("|") and heading:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not set("".join(cells)) <= set("-: "):
                tables.setdefault(heading, []).append(dict(zip(header, cells, strict=False)))
        elif not line.strip():
            header = None
    return tables


def _claimed() -> set[str]:
    """Codes written ``rule: `code` `` in the tables of the map."""
    return {code for rows in _tables().values() for row in rows
            for code in RULE.findall(row.get("catalog", ""))}


def test_every_claimed_rule_code_exists() -> None:
    unknown = sorted(_claimed() - KNOWN)
    assert not unknown, f"not rule codes: {unknown}"


def test_every_rule_code_is_mapped_to_a_clause() -> None:
    missing = sorted(KNOWN - _claimed())
    assert not missing, f"codes with no clause in the policy map: {missing}"


def test_rule_codes_are_always_marked_as_rules() -> None:
    text = _text()
    bare = sorted({m.group(1) for m in CODE_LIKE.finditer(text)
                   if m.group(1) in KNOWN and text[max(0, m.start() - 6):m.start()] != "rule: "})
    assert not bare, f"write these as rule: `code`: {bare}"


def test_one_table_per_document_with_the_three_columns() -> None:
    tables = _tables()
    for document in DOCUMENTS:
        assert tables.get(document), f"no table for {document}"
    for heading, rows in tables.items():
        if heading in DOCUMENTS:
            assert list(rows[0]) == ["clause", "says", "catalog"], heading
            assert all(r["catalog"] for r in rows), f"{heading}: a clause has no answer"


def test_rule_codes_sit_in_the_catalog_column() -> None:
    for heading, rows in _tables().items():
        for row in rows:
            for column, cell in row.items():
                if column != "catalog":
                    assert not RULE.search(cell), f"{heading}: rule in column {column}"


def test_every_plan_clause_has_a_row() -> None:
    tables = _tables()
    principles = [r["clause"] for r in tables["State Data Plan: principles"]]
    goals = [r["clause"] for r in tables["State Data Plan: goals"]]
    assert principles == PRINCIPLES
    assert goals == GOALS


def test_not_applicable_gives_a_reason() -> None:
    for heading, rows in _tables().items():
        for row in rows:
            for m in re.finditer(r"not applicable to a catalog(?: of [a-z ]+)?(.)", row.get(
                    "catalog", "")):
                assert m.group(1) == ":", f"{heading} {row['clause']}: say why"
