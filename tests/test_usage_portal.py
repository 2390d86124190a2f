"""Portal usage exports mapped onto catalog datasets, and `catalog usage` on the command
line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.problems import CatalogError
from catalog.usage.portal import channel_of, import_portal, read_portal_csv
from catalog.usage.published import read_published, socrata_ids
from catalog.usage.store import Key, Store, Tally

from .conftest import REPO

D = "dcf-entries-to-care-by-town"  # distributions link to portal asset h7qm-4kzr

ASSET_ACCESS = """\
Timestamp,Asset UID,Asset Name,Asset Type,Access Type,Count
2025-03-01T00:00:00.000,h7qm-4kzr,DCF Entries,dataset,Page View,10
2025-03-01T00:00:00.000,h7qm-4kzr,DCF Entries,dataset,Primer View,5
2025-03-01T00:00:00.000,H7QM-4KZR,DCF Entries,dataset,Download,3
2025-03-02T00:00:00.000,h7qm-4kzr,DCF Entries,dataset,API Read,"1,200"
2025-03-02T00:00:00.000,zzzz-9999,Somebody's filtered view,filter,Page View,7
2025-03-02T00:00:00.000,u4cx-9jme,Enrollment,dataset,Embed,2
not a date,h7qm-4kzr,DCF Entries,dataset,Page View,1
2025-03-03T00:00:00.000,h7qm-4kzr,DCF Entries,dataset,Page View,lots
"""

WIDE = """\
dataset id,date,views,downloads
u4cx-9jme,03/01/2025,4,1
sde-enrollment-by-district,2025-03-02,2,0
"""


@pytest.fixture(scope="module")
def published(sample_build: Path):  # type: ignore[no-untyped-def]
    return read_published(sample_build / "public.db")


def test_socrata_ids_from_catalog_urls() -> None:
    assert socrata_ids("https://data.ct.gov/api/views/h7qm-4kzr/rows.csv?accessType=DOWNLOAD"
                       ) == {"h7qm-4kzr"}
    assert socrata_ids("https://data.ct.gov/resource/bf3n-6w2j.json") == {"bf3n-6w2j"}
    assert socrata_ids("https://data.ct.gov/Health/Some-Name/abcd-1234") == {"abcd-1234"}
    assert socrata_ids("https://deepmaps.ct.gov/datasets/CTDEEP::flood-zone.zip") == set()


def test_asset_access_export_maps_onto_datasets(published) -> None:  # type: ignore[no-untyped-def]
    counts, result = read_portal_csv(ASSET_ACCESS, published)
    day1, day2 = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
    assert counts == {Key(day1, D, "page", "human"): Tally(15),
                      Key(day1, D, "download", "human"): Tally(3),
                      Key(day2, D, "api", "human"): Tally(1200)}
    assert result.rows == 8 and result.matched_rows == 4
    assert result.unmatched == {"zzzz-9999": 7}
    assert result.ignored_types == {"Embed": 1}
    assert [(p.line, p.code) for p in result.problems] == [(8, "bad-date"), (9, "bad-count")]


def test_wide_export_and_catalog_ids(published) -> None:  # type: ignore[no-untyped-def]
    counts, result = read_portal_csv(WIDE, published)
    e = "sde-enrollment-by-district"
    assert counts == {Key(dt.date(2025, 3, 1), e, "page", "human"): Tally(4),
                      Key(dt.date(2025, 3, 1), e, "download", "human"): Tally(1),
                      Key(dt.date(2025, 3, 2), e, "page", "human"): Tally(2)}
    assert result.unmatched == {}


def test_unrecognised_export_is_an_error(published) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CatalogError, match="no recognisable columns"):
        read_portal_csv("a,b\n1,2\n", published)


@pytest.mark.parametrize("kind, channel", [
    ("Page View", "page"), ("Primer View", "page"), ("Download", "download"),
    ("Export", "download"), ("API Read", "api"), ("Embed", None)])
def test_access_types(kind: str, channel: str | None) -> None:
    assert channel_of(kind) == channel


def test_reimport_replaces_rather_than_adds(tmp_path: Path, published) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "asset_access.csv"
    export.write_text(ASSET_ACCESS)
    store = Store(f"sqlite:///{tmp_path / 'usage.db'}")
    import_portal(store, export, published)
    import_portal(store, export, published)
    assert store.totals("channel", sources=("portal",)) == {"page": 15, "download": 3,
                                                            "api": 1200}
    store.close()


@pytest.fixture
def project(tmp_path: Path, sample_build: Path) -> Path:
    root = tmp_path / "proj"
    (root / "inventory").mkdir(parents=True)
    (root / "build").mkdir()
    shutil.copy(sample_build / "public.db", root / "build" / "public.db")
    return root


def test_cli_import_and_report(project: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_USAGE_URL", raising=False)
    export = tmp_path / "asset_access.csv"
    export.write_text(ASSET_ACCESS)
    runner = CliRunner()
    args = ["usage", "import-portal", str(export), "--root", str(project)]
    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would import 1,218 request(s)" in dry.output and "zzzz-9999" in dry.output
    assert not (project / "build" / "usage.db").exists()
    done = runner.invoke(main, [*args, "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["hits"] == 1218
    store = Store(f"sqlite:///{project / 'build' / 'usage.db'}")
    store.add_counts({Key(dt.date(2025, 3, 2), "*", "search", "human"): Tally(2),
                      Key(dt.date(2025, 3, 2), D, "page", "bot"): Tally(9)})
    store.close()
    report = ["usage", "report", "--root", str(project), "--since", "2025-03-01",
              "--until", "2025-03-31"]
    text = runner.invoke(main, report)
    assert text.exit_code == 0, text.output
    assert "1,220 request(s)" in text.output
    assert "Department of Children and Families" in text.output
    data = json.loads(runner.invoke(main, [*report, "--format", "json"]).output)
    assert data["total"] == 1220 and data["datasets"][0]["dataset_id"] == D
    portal = json.loads(runner.invoke(main, [*report, "--source", "catalog",
                                             "--format", "json"]).output)
    assert portal["total"] == 2
    bots = json.loads(runner.invoke(main, [*report, "--bots", "--format", "json"]).output)
    assert bots["total"] == 9
    csv_bytes = runner.invoke(main, [*report, "--format", "csv"]).stdout_bytes
    csv_text = csv_bytes.decode()
    rows = csv_text.splitlines()
    assert rows[0] == "day,dataset_id,title,agency_id,channel,source,hits,visitors"
    assert len(rows) == 1 + 4 and csv_bytes.count(b"\r\n") == 5  # CRLF, like the site's CSV
    assert text.output.startswith("Use by people, 2025-03-01 to 2025-03-31 (catalog, portal): "
                                  "1,220 request(s)\n\nBy channel:\n")
    bad = runner.invoke(main, [*report[:4], "--since", "2025-04-01", "--until", "2025-03-01"])
    assert bad.exit_code == 1 and "since is after until" in bad.output


def test_cli_needs_a_build(tmp_path: Path) -> None:
    (tmp_path / "inventory").mkdir()
    r = CliRunner().invoke(main, ["usage", "report", "--root", str(tmp_path)])
    assert r.exit_code == 1 and "catalog build" in r.output


def test_row_problems_are_registered_problems_as_documented(  # type: ignore[no-untyped-def]
        published) -> None:
    """Each skipped row is a Problem of a registered code, at its line; docs/errors.md
    shows the message the command prints."""
    from catalog.problems import CODES, Problem

    _, result = read_portal_csv(ASSET_ACCESS, published)
    errors_md = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    for p in result.problems:
        assert isinstance(p, Problem) and p.code in CODES
        assert p.severity == CODES[p.code].severity
        assert f"asset_access.csv:{p.line}: {p.code}: {p.message}" in errors_md
