"""The fixture project and the repo's own sample inventory validate clean."""

import datetime as dt

from catalog.build import validate
from catalog.project import Project

from .conftest import REPO, MakeProject


def test_fixture_project_is_valid(make_project: MakeProject) -> None:
    # on a fixed day: a classification assessment goes stale a year after it was made
    inv = validate(Project(make_project()), today=dt.date(2026, 11, 23))
    assert inv.report.codes() == []
    assert list(inv.datasets) == ["tst-town-counts"]
    conf = inv.conformance[("tst-town-counts", "town")]
    assert (conf.standard, conf.status) == ("ct-town", "conformant")


def test_sample_inventory_validates_clean() -> None:
    # the sample's dates (agreement terms, review schedules) are written around this day
    inv = validate(Project(REPO), today=dt.date(2026, 11, 23))
    assert inv.report.errors == [] and inv.report.warnings == [], \
        "\n".join(p.as_line() for p in inv.report.errors + inv.report.warnings)
    assert len(inv.agencies) >= 8
    assert len(inv.datasets) >= 30
    assert len(inv.agreements) >= 3


def test_standards_load_without_problems() -> None:
    from catalog.standards import load_standards

    std, problems = load_standards(Project(REPO))
    assert problems == []
    assert len(std.values["ct-town"]) == 169
    assert {"race-ethnicity", "zip-code", "preferred-language", "sex"} <= set(std.elements)
    assert std.vocabularies is not None and len(std.vocabularies.themes) == 8
