"""Scorecards on a small inventory where every figure is computed by hand here."""

from __future__ import annotations

import datetime as dt

from catalog.build import check_project
from catalog.governance.scorecard import METRIC_IDS
from catalog.project import Project

from .conftest import AGENCY, MakeProject

TODAY = dt.date(2025, 12, 1)

# tst-town-counts (DATASET): public, high value, classified, api, bulk, 2 fields
#   (town: ct-town conformant; things: no standard), license, distribution, keywords,
#   themes, update frequency, last_reviewed 2025-06-01 (183 days before TODAY), no
#   temporal, no modified.
# tst-cases: non-public, high value, NOT classified... (not allowed: high value needs a
#   classification) → not high value; PII field with a personal-data policy; race field
#   following race-ethnicity (demographic); reviewed 2024-01-01 (stale).
CASES = """\
id: tst-cases
title: Cases
description: Case records.
agency: tst
keywords: [cases]
high_value:
  value: false
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
access:
  level: non-public
  rights: Confidential by statute.
schema:
  fields:
    - name: client_name
      pii: true
      description: Name of the client.
    - name: race
      standard: race-ethnicity
      demographic: true
      description: Race and ethnicity.
    - name: zip_code
      description: ZIP code of residence, not standardised.
lifecycle:
  update_frequency: R/P1D
  modified: 2025-11-30
  last_reviewed: 2024-01-01
personal_data:
  purpose: Casework.
  access_procedure: Ask the records office.
  contact:
    name: Records
    email: records@ct.gov
"""
OTHER_AGENCY = AGENCY.replace("id: tst", "id: oth").replace("Testing", "Other")
# oth-map: public, not high value, no api, no bulk, 1 field latitude with the latitude
# standard and no description (→ not documented), no license.
MAP = """\
id: oth-map
title: Map
description: A map layer.
agency: oth
keywords: [map]
themes: [land-use]
high_value:
  value: false
steward:
  name: Mo Mapper
  email: mo@ct.gov
access:
  level: public
schema:
  fields:
    - name: latitude
      type: number
      standard: latitude
distributions:
  - id: web
    title: Web map
    kind: landing-page
    url: https://example.ct.gov/map
lifecycle:
  update_frequency: R/P1Y
  modified: 2025-01-01
  last_reviewed: 2025-11-01
"""


def table(make_project: MakeProject) -> dict[tuple[str, str], tuple[int, int]]:
    root = make_project({"inventory/tst/tst-cases.yml": CASES,
                         "inventory/oth/_agency.yml": OTHER_AGENCY,
                         "inventory/oth/oth-map.yml": MAP})
    checked = check_project(Project(root), today=TODAY)
    assert checked.report.errors == [], [p.as_line() for p in checked.report.errors]
    return {(s.scope, s.metric): (s.numerator, s.denominator) for s in checked.scores}


def test_every_metric_for_every_scope(make_project: MakeProject) -> None:
    got = table(make_project)
    assert {scope for scope, _ in got} == {"tst", "oth", "statewide"}
    assert {metric for _, metric in got} == set(METRIC_IDS)


def test_hand_computed_figures(make_project: MakeProject) -> None:
    got = table(make_project)
    # completeness checks: description, keywords, themes, contact, frequency, temporal,
    # modified, last_reviewed, dictionary (+ license, distribution when public)
    # tst-town-counts: 11 checks, missing temporal and modified → 9/11
    # tst-cases: 9 checks, missing themes and temporal → 7/9
    # oth-map: 11 checks, missing temporal and license → 9/11
    assert got[("tst", "inventory-completeness")] == (16, 20)
    assert got[("oth", "inventory-completeness")] == (9, 11)
    assert got[("statewide", "inventory-completeness")] == (25, 31)
    # open documented: tst-town-counts lacks modified; oth-map lacks a field description
    # and a license
    assert got[("statewide", "open-documented")] == (0, 2)
    # fields naming a standard: town (conformant), race (conformant), latitude (conformant)
    assert got[("statewide", "fields-conformant")] == (3, 3)
    # locational: town (ct-town), zip_code (name, no standard), latitude (element)
    assert got[("tst", "locational-standardised")] == (1, 2)
    assert got[("statewide", "locational-standardised")] == (2, 3)
    assert got[("tst", "demographic-standardised")] == (1, 1)
    assert got[("oth", "demographic-standardised")] == (0, 0)
    # high value: only tst-town-counts, classified
    assert got[("statewide", "classified")] == (1, 1)
    assert got[("statewide", "api-access")] == (1, 3)
    assert got[("statewide", "bulk-access")] == (1, 3)
    assert got[("statewide", "race-ethnicity")] == (1, 3)
    assert got[("statewide", "personal-data-policy")] == (1, 1)
    # reviewed within 365 days of 2025-12-01: town-counts (2025-06-01), map (2025-11-01)
    assert got[("statewide", "reviewed")] == (2, 3)


def test_empty_denominator_has_no_value(make_project: MakeProject) -> None:
    checked = check_project(Project(make_project()), today=TODAY)
    scores = {(s.scope, s.metric): s for s in checked.scores}
    assert scores[("tst", "personal-data-policy")].denominator == 0
    assert scores[("tst", "personal-data-policy")].value is None


def test_scorecards_are_compiled_for_staff_only(sample_build) -> None:  # type: ignore[no-untyped-def]
    from catalog.dbapi import sqlite3

    inv = sqlite3.connect(sample_build / "inventory.db")
    pub = sqlite3.connect(sample_build / "public.db")
    assert inv.execute("select count(*) from scorecards where scope = 'statewide'"
                       ).fetchone()[0] == len(METRIC_IDS)
    assert pub.execute("select count(*) from scorecards").fetchone()[0] == 0


def test_the_command_prints_the_scorecards_the_build_compiled(sample_build) -> None:  # type: ignore[no-untyped-def]
    """docs/scorecards.md: `catalog scorecards` prints what `catalog build` compiles."""
    import json

    from click.testing import CliRunner

    from catalog.cli import main
    from catalog.dbapi import sqlite3

    from .conftest import REPO

    inv = sqlite3.connect(sample_build / "inventory.db")
    (day,) = inv.execute("select value from meta where key = 'validated_on'").fetchone()
    compiled = sorted(inv.execute(
        "select scope, metric, numerator, denominator, value from scorecards").fetchall())
    inv.close()
    result = CliRunner().invoke(main, ["scorecards", "--format", "json", "--root", str(REPO),
                                       "--today", day])
    assert result.exit_code == 0, result.output
    printed = sorted((r["scope"], r["metric"], r["numerator"], r["denominator"], r["value"])
                     for r in json.loads(result.output))
    assert printed == compiled and len(printed) > len(METRIC_IDS)
    dcf = CliRunner().invoke(main, ["scorecards", "--agency", "dcf", "--root", str(REPO),
                                    "--today", day])
    assert dcf.exit_code == 0 and dcf.output.splitlines()[1].startswith("dcf ")
