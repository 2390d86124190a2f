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
# rule codes: every code but the import and usage stages' (reading other catalogs, checking
# a use-case form or a portal's usage export is no policy)
KNOWN = {n for n, c in CODES.items() if c.stage not in ("import", "usage")} | set(
    SUPPRESSION_CODES)

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


# -- true both ways: the registry and the map, and every claim exercised ----------------------

PACK_TABLES = {"state-data-plan": "State Data Plan", "dcf-5-4": "DCF Policy 5-4",
               "dcf-5-1": "DCF Policy 5-1", "prevention-play": "Prevention play"}
KINDS = ("rule", "agreement field", "agency field", "request field", "field", "page",
         "export", "command", "metric", "query", "standard")
ITEM = re.compile(r"\b(" + "|".join(re.escape(k) for k in KINDS) + r"):")


def _claims(kind: str) -> set[str]:
    """The backticked names claimed after ``kind:`` (up to the next kind) in the map."""
    out: set[str] = set()
    for rows in _tables().values():
        for row in rows:
            text = row.get("catalog", "")
            marks = list(ITEM.finditer(text))
            for m, nxt in zip(marks, [*marks[1:], None], strict=False):
                if m.group(1) == kind:
                    segment = text[m.end():nxt.start() if nxt else len(text)]
                    segment = re.split(r";|\. ", segment)[0]  # items end at ';' or '. '
                    segment = re.sub(r"\([^)]*\)", "", segment)  # asides are not claims
                    out.update(re.findall(r"`([^`]+)`", segment))
    return out


def test_every_registered_rule_sits_on_its_clause_row() -> None:
    from catalog.validate.packs import AGENCY_PACKS
    from catalog.validate.registry import all_rules

    tables = _tables()
    for r in all_rules():
        if r.pack == AGENCY_PACKS:
            continue
        prefix = PACK_TABLES[r.pack]
        rows = [row for heading, rs in tables.items() if heading.startswith(prefix)
                for row in rs if row["clause"] == r.clause]
        assert len(rows) == 1, f"{r.name}: no single row '{r.clause}' in {prefix}"
        claimed = set(RULE.findall(rows[0]["catalog"]))
        assert set(r.codes) <= claimed, f"{r.name}: {set(r.codes) - claimed} not in {r.clause}"


def test_every_claimed_rule_has_a_corpus_case() -> None:
    """A descriptor case in test_corpus, or a change case in test_review (review flags)."""
    from .test_corpus import CASES
    from .test_review import CASES as CHANGES

    exercised = {c.code for c in CASES} | {code for code, *_ in CHANGES}
    assert not _claimed() - exercised, sorted(_claimed() - exercised)


def test_nothing_built_is_still_planned() -> None:
    assert "planned:" not in _text()


def _has_path(model: type, path: str) -> bool:
    import typing

    from pydantic import BaseModel

    current: object = model
    for part in path.replace("[]", "").split("."):
        fields = {**{n: f for n, f in current.model_fields.items()},  # type: ignore[attr-defined]
                  **{f.alias: f for f in current.model_fields.values() if f.alias}}  # type: ignore[attr-defined]
        if part not in fields:
            return False
        annotation = fields[part].annotation
        nested = [a for a in (annotation, *typing.get_args(annotation),
                              *(x for a in typing.get_args(annotation)
                                for x in typing.get_args(a)))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        current = nested[0] if nested else None
        if current is None:
            return part == path.replace("[]", "").split(".")[-1]
    return True


def test_claimed_fields_exist() -> None:
    from catalog.model import Agency, Agreement, DataRequest, Dataset

    for kind, model in (("field", Dataset), ("agreement field", Agreement),
                        ("agency field", Agency), ("request field", DataRequest)):
        for name in _claims(kind):
            path = name.split(":")[0].strip()
            assert _has_path(model, path), f"{kind}: {name} is not a property"


def test_claimed_commands_exist() -> None:
    import click

    from catalog.cli import main

    for name in _claims("command"):
        words = name.split()[1:]
        command: click.Command | None = main
        ctx = click.Context(main)
        for word in [w for w in words if not w.startswith("-")]:
            assert isinstance(command, click.Group), name
            command = command.get_command(ctx, word)
            assert command is not None, f"command: {name} does not exist"


def test_claimed_metrics_queries_and_standards_exist() -> None:
    import yaml

    from catalog.governance.scorecard import METRICS

    assert _claims("metric") <= {m.id for m in METRICS}
    metadata = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    queries = set(metadata["databases"]["inventory"]["queries"])
    assert _claims("query") <= queries, _claims("query") - queries
    for name in _claims("standard"):
        assert (REPO / name.rstrip("/")).exists(), f"standard: {name} does not exist"


def test_claimed_pages_and_exports_answer(ds) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from .conftest import staff_cookies

    ids = {"/datasets/<id>": "/datasets/dcf-entries-to-care-by-town",
           "/agencies/<id>": "/agencies/dcf", "/agencies/<id>/progress": "/agencies/dcf/progress",
           "/standards/<id>": "/standards/ct-town",
           "/agreements/<id>": "/agreements/dcf-uconn-kinship-permanency-study"}
    cookies = staff_cookies(ds)
    for path in sorted(_claims("page") | _claims("export")):
        url = ids.get(path, path)
        response = asyncio.run(ds.client.get(url, cookies=cookies))
        assert response.status_code == 200, f"{path}: {response.status_code}"
