"""The catalog's own pages, in process: HTML and JSON, anonymous and staff."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from catalog.dbapi import sqlite3
from catalog.site.fts import FIELD_TEXT_COLUMNS, fts_query
from catalog.site.markdown import to_html
from catalog.site.pages.agencies import plan_state
from catalog.site.pages.dataset import suppression_rule

from .conftest import REPO, staff_cookies

PUBLIC_DATASET = "dcf-entries-to-care-by-town"  # visibility public, a town field
LISTED_DATASET = "dcf-out-of-home-placements"  # visibility listed, PII fields
HIDDEN_DATASET = "dcf-ct-kids-case-management"  # visibility hidden
CANNED = sorted(yaml.safe_load((REPO / "metadata.yml").read_text())["databases"]["inventory"]
                ["queries"])


def get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    async def go() -> Any:
        return await ds.client.get(path, cookies=cookies or {})
    return asyncio.run(go())


def public_ids(sample_build: Path, sql: str) -> list[str]:
    conn = sqlite3.connect(sample_build / "public.db")
    try:
        return [r[0] for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def staff(ds: Any) -> dict[str, str]:
    return staff_cookies(ds)


def test_sample_has_the_cases_these_tests_need(sample_build: Path) -> None:
    conn = sqlite3.connect(sample_build / "inventory.db")
    try:
        visibility = dict(conn.execute("select id, visibility from datasets").fetchall())
    finally:
        conn.close()
    assert visibility[PUBLIC_DATASET] == "public"
    assert visibility[LISTED_DATASET] == "listed"
    assert visibility[HIDDEN_DATASET] == "hidden"


PAGES = {
    "/": ["Connecticut High-Value Data Inventory", "Search the inventory", "By agency",
          "Recently updated", "Use the catalog as data", "/public/datasets.csv"],
    "/search": ["Datasets", "Filter the results", "Access level"],
    f"/datasets/{PUBLIC_DATASET}": ["Data dictionary", "race_ethnicity", "Get the data",
                                    "Small-number suppression", "Report a problem with this"],
    "/agencies": ["Department of Children and Families", "Agency data officer"],
    "/agencies/dcf": ["Open Data Access Plan", "Agency data officer", "Plan entries of DCF"],
    "/standards": ["Connecticut town", "Fields using it"],
    "/standards/ct-town": ["Hartford", "Fields that use it", "Allowed values"],
}


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_pages_render(ds: Any, staff: dict[str, str], path: str, who: str) -> None:
    response = get(ds, path, staff if who == "staff" else None)
    assert response.status_code == 200, response.text[:500]
    for text in PAGES[path]:
        assert text in response.text, (path, text)
    html = response.text
    assert html.index('class="skip-link"') < html.index('class="ct-nav"')
    assert '<main id="main-content"' in html and html.count('id="main-content"') == 1
    if who == "staff":
        assert "Signed in as" in html and 'action="/-/logout"' in html
        assert 'name="csrftoken" value=""' not in html
    else:
        assert 'href="/-/login' in html and "Signed in as" not in html


def test_datasette_pages_share_the_frame(ds: Any) -> None:
    html = get(ds, "/public/datasets").text
    assert "Connecticut High-Value Data Inventory" in html and 'class="skip-link"' in html
    assert html.count('<main id="main-content"') == 1 and '<html lang="en">' in html
    assert "/catalog/catalog.css" in html
    assert get(ds, "/catalog/catalog.css").status_code == 200


@pytest.mark.parametrize("path", ["/.json", "/search.json?q=town", "/datasets.json",
                                  "/agencies.json", "/agencies/dcf.json", "/standards.json",
                                  f"/datasets/{PUBLIC_DATASET}.json", "/standards/ct-town.json"])
def test_json_variants(ds: Any, path: str) -> None:
    response = get(ds, path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json(), dict)


def test_json_bodies(ds: Any) -> None:
    home = get(ds, "/.json").json()
    assert home["totals"]["datasets"] == sum(a["count"] for a in home["by_agency"])
    record = get(ds, f"/datasets/{PUBLIC_DATASET}.json").json()
    assert record["dataset"]["id"] == PUBLIC_DATASET
    assert "town" in [f["name"] for f in record["fields"]]
    assert all(f["pii"] is None for f in record["fields"])  # withheld from public.db
    assert "field_text" not in record["dataset"]
    assert record["feedback_url"].startswith("mailto:")
    agencies = get(ds, "/agencies.json").json()["agencies"]
    assert {"dcf", "dph"} <= {a["id"] for a in agencies}
    standards = get(ds, "/standards.json").json()["standards"]
    assert any(s["id"] == "ct-town" and s["fields"] > 0 for s in standards)


def test_datasette_table_api_stays_available(ds: Any) -> None:
    for path in ("/public/datasets.json", "/public/datasets.csv", "/public/fields.csv",
                 f"/public/datasets/{PUBLIC_DATASET}.json"):
        assert get(ds, path).status_code == 200, path


def test_big_value_lists_are_paged_on_the_page_and_whole_in_json(ds: Any) -> None:
    total = get(ds, "/standards/preferred-language.json").json()
    assert total["value_count"] == len(total["values"]) > 100
    first = get(ds, "/standards/preferred-language").text
    assert f"Showing 1–50 of {total['value_count']} values" in first
    assert "/standards/preferred-language.json" in first
    last = get(ds, "/standards/preferred-language?page=999").text
    assert f"–{total['value_count']} of {total['value_count']} values" in last


def search(ds: Any, query: str, cookies: dict[str, str] | None = None) -> dict[str, Any]:
    response = get(ds, "/search.json?" + query, cookies)
    assert response.status_code == 200, response.text[:300]
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("word", ["race", "town"])
def test_search_finds_datasets_by_field_names(ds: Any, sample_build: Path, word: str) -> None:
    only_in_fields = public_ids(sample_build, (
        "select id from datasets where visibility = 'public' and id in (select id from "
        f"dataset_text where field_text like '%{word}%') and lower(title || ' ' || "
        f"description || ' ' || coalesce(keywords, '')) not like '%{word}%'"))
    assert only_in_fields, f"the sample has a dataset with '{word}' only in its fields"
    found = search(ds, f"q={word}")
    ids = {r["id"] for r in found["results"]}
    assert set(only_in_fields) <= ids
    hit = next(r for r in found["results"] if r["id"] == only_in_fields[0])
    assert any(word in name for name in hit["matching_fields"])
    # the snippet is the description, never a run of field names (they are listed apart)
    description = public_ids(sample_build,
                             f"select description from datasets where id = '{hit['id']}'")[0]
    assert hit["snippet"].split()[:5] == description.split()[:5]
    assert not any(name in hit["snippet"] for name in hit["matching_fields"] if "_" in name)


@pytest.mark.parametrize("word", ["race", "town", "child"])
def test_datasettes_search_of_datasets_matches_what_the_catalog_search_matches(
        ds: Any, word: str) -> None:
    """``/public/datasets.json?_search=`` uses the datasets' full-text index, fields'
    text included (it reads it through a view, which Datasette does not detect alone)."""
    catalog = search(ds, f"q={word}")  # the catalog's query: the last word a prefix
    raw = quote(fts_query(word) or "")
    table = get(ds, f"/public/datasets.json?_search={raw}&_searchmode=raw&_size=max&_col=id")
    assert table.status_code == 200, table.text[:300]
    body = table.json()
    assert catalog["total"] > 0
    assert body["filtered_table_rows_count"] == catalog["total"]
    assert {r["id"] for r in catalog["results"]} <= {r[0] for r in body["rows"]}


@pytest.mark.parametrize("word", ["race", "town"])
def test_datasettes_search_of_fields_uses_the_fields_index(
        ds: Any, sample_build: Path, word: str) -> None:
    """``/public/fields.json?_search=`` finds the fields ``fields_fts`` matches (the index
    reads the fields through a view, named to Datasette by the catalog)."""
    expected = public_ids(sample_build, "select count(*) from fields_fts where fields_fts "
                                        f"match '{FIELD_TEXT_COLUMNS} : {word}'")[0]
    table = get(ds, f"/public/fields.json?_search={word}&_size=1")
    assert table.status_code == 200, table.text[:300]
    assert expected > 0
    assert table.json()["filtered_table_rows_count"] == expected


@pytest.mark.parametrize("words", ["race", "town", "rac", "child welfare", "date of",
                                   "ct-town", "zzzunmatched"])
def test_matching_fields_are_the_fields_the_index_matches_and_the_facets_count_right(
        ds: Any, sample_build: Path, words: str) -> None:
    """Each result lists exactly its fields that ``fields_fts`` matches (in position
    order), and each facet count is the number of matches with that value: both checked
    against plain SQL over public.db."""
    found = search(ds, "q=" + words.replace(" ", "+"))
    query = fts_query(words)
    conn = sqlite3.connect(f"file:{sample_build / 'public.db'}?mode=ro", uri=True)
    try:
        for hit in found["results"]:
            expected = [r[0] for r in conn.execute(
                "select f.name from fields_fts join fields f on f.id = fields_fts.rowid "
                "where fields_fts match ? and f.dataset_id = ? order by f.position",
                (query, hit["id"]))]
            assert hit["matching_fields"] == expected, hit["id"]
        matched = "select rowid from datasets_fts where datasets_fts match :q"
        total = conn.execute(f"select count(*) from ({matched})", {"q": query}).fetchone()[0]
        assert found["total"] == total
        agencies = dict(conn.execute(
            f"select agency_id, count(*) from datasets where rowid in ({matched}) "
            "group by agency_id", {"q": query}).fetchall())
        access = dict(conn.execute(
            f"select access_level, count(*) from datasets where rowid in ({matched}) "
            "group by access_level", {"q": query}).fetchall())
    finally:
        conn.close()
    counts = {f["name"]: {v["value"]: v["count"] for v in f["values"] if v["count"]}
              for f in found["facets"]}
    assert counts["agency"] == agencies and counts["access"] == access
    if words == "zzzunmatched":
        assert found["results"] == [] and total == 0


def test_empty_query_lists_everything_by_title(ds: Any, sample_build: Path) -> None:
    found = search(ds, "q=")
    count = len(public_ids(sample_build, "select id from datasets"))
    assert found["total"] == count
    titles = [r["title"].lower() for r in found["results"]]
    assert titles == sorted(titles)


@pytest.mark.parametrize("text", ['"', 'AND(', 'NEAR(town', '* OR', "'); drop table x; --",
                                  'town"', '((', '"town" AND', 'NOT', '^', 'ct-town:x'])
def test_search_input_never_breaks_the_query(ds: Any, text: str) -> None:
    from urllib.parse import quote
    found = search(ds, "q=" + quote(text))
    assert isinstance(found["results"], list)
    assert get(ds, "/search?q=" + quote(text)).status_code == 200


def test_fts_query_quotes_every_term() -> None:
    assert fts_query("town") == '"town"*'
    assert fts_query('ct-town AND("x') == '"ct town" "AND x"*'
    assert fts_query("race ethnicity", prefix=False) == '"race" "ethnicity"'
    assert fts_query('" ( ) *') is None
    assert fts_query(None) is None


def test_facets_filter_and_count(ds: Any) -> None:
    everything = search(ds, "")
    dcf = search(ds, "agency=dcf")
    assert dcf["total"] > 0 and {r["agency_id"] for r in dcf["results"]} == {"dcf"}
    agency = next(f for f in dcf["facets"] if f["name"] == "agency")
    # a facet's own filter does not narrow its counts: other agencies stay offered
    assert sum(v["count"] for v in agency["values"]) == everything["total"]
    assert [v["value"] for v in agency["values"] if v["selected"]] == ["dcf"]
    both = search(ds, "agency=dcf&agency=dph")
    assert both["total"] == dcf["total"] + search(ds, "agency=dph")["total"]
    with_api = search(ds, "api=1")
    assert with_api["total"] > 0 and all(r["api"] == 1 for r in with_api["results"])
    open_town = search(ds, "q=town&access=public&standard=ct-town")
    assert 0 < open_town["total"] < search(ds, "q=town")["total"]
    assert all(r["access_level"] == "public" for r in open_town["results"])
    names = {f["name"] for f in everything["facets"]}
    assert names == {"agency", "theme", "access", "classification", "frequency", "standard",
                     "api"}
    theme = next(f for f in everything["facets"] if f["name"] == "theme")["values"][0]
    assert search(ds, f"theme={theme['value']}")["total"] == theme["count"]


def test_facets_are_labelled_checkboxes(ds: Any) -> None:
    html = get(ds, "/search?q=town&agency=dcf").text
    for checkbox in re.findall(r'<input type="checkbox" id="([^"]+)"', html):
        assert f'<label for="{checkbox}">' in html
    assert re.search(r'<input type="checkbox" id="[^"]+" name="agency" value="dcf" checked>',
                     html)
    assert "Remove filter Agency: Department of Children and Families" in html


def test_hidden_dataset_is_404_for_anonymous_and_200_for_staff(
        ds: Any, staff: dict[str, str]) -> None:
    for path in (f"/datasets/{HIDDEN_DATASET}", f"/datasets/{HIDDEN_DATASET}.json"):
        response = get(ds, path)
        assert response.status_code == 404
        # the sign-in link comes back to the address asked for; nothing else names it
        assert HIDDEN_DATASET not in re.sub(r'"/-/login\?next=[^"]*"', "", response.text)
    page = get(ds, f"/datasets/{HIDDEN_DATASET}", staff)
    assert page.status_code == 200
    assert "CT-KIDS" in page.text and "hidden: staff only" in page.text
    assert get(ds, f"/datasets/{HIDDEN_DATASET}.json", staff).json()["dataset"]["id"] == \
        HIDDEN_DATASET
    assert HIDDEN_DATASET not in {r["id"] for r in search(ds, "q=")["results"]}
    assert HIDDEN_DATASET in {r["id"] for r in search(ds, "q=", staff)["results"]}


def test_listed_dataset_shows_the_notice_not_the_details(ds: Any, staff: dict[str, str]) -> None:
    html = get(ds, f"/datasets/{LISTED_DATASET}").text
    assert "The details of this dataset are not public" in html
    assert "Non-public" in html and "Rights and conditions" in html
    assert "Data dictionary" not in html and "ct-dictionary" not in html
    data = get(ds, f"/datasets/{LISTED_DATASET}.json").json()
    assert data["summary_only"] is True and data["fields"] == []
    staff_html = get(ds, f"/datasets/{LISTED_DATASET}", staff).text
    assert "The details of this dataset are not public" not in staff_html
    assert "ct-dictionary" in staff_html


def test_pii_and_other_flags_only_for_staff(ds: Any, staff: dict[str, str]) -> None:
    staff_listed = get(ds, f"/datasets/{LISTED_DATASET}", staff).text
    assert '<span class="flag flag-pii">PII</span>' in staff_listed
    public_page = get(ds, f"/datasets/{PUBLIC_DATASET}").text
    staff_page = get(ds, f"/datasets/{PUBLIC_DATASET}", staff).text
    assert "flag-demo" in staff_page and "Flags (staff)" in staff_page
    for marker in ("flag-pii", "flag-demo", "flag-internal", "Flags (staff)", "Custodian"):
        assert marker not in public_page, marker


def test_public_pages_never_open_the_inventory(ds: Any, staff: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = ds.get_database

    def spy(name: str | None = None, **kw: Any) -> Any:
        opened.append(name or "")
        return real(name, **kw)

    monkeypatch.setattr(ds, "get_database", spy)
    paths = [*PAGES, "/search.json?q=town", f"/datasets/{LISTED_DATASET}",
             f"/datasets/{HIDDEN_DATASET}", "/agencies/dcf.json"]
    for path in paths:
        get(ds, path)
    assert "public" in opened and "inventory" not in opened
    opened.clear()
    get(ds, "/search?q=town", staff)
    assert "inventory" in opened and "public" not in opened


def test_related_agreements(ds: Any, staff: dict[str, str]) -> None:
    public = get(ds, f"/datasets/{LISTED_DATASET}.json").json()["agreements"]
    private = get(ds, f"/datasets/{LISTED_DATASET}.json", staff).json()["agreements"]
    assert {a["id"] for a in public} < {a["id"] for a in private}
    assert all(a["public"] for a in public)
    assert "Not in the public register" in get(ds, f"/datasets/{LISTED_DATASET}", staff).text


def test_report_a_problem_link_reaches_the_contact(ds: Any) -> None:
    html = get(ds, f"/datasets/{PUBLIC_DATASET}").text
    link = re.search(r'<a class="ct-button-link" href="(mailto:[^"]+)"', html)
    assert link and link.group(1).startswith("mailto:dcf.ore@ct.gov?subject=")


def test_agency_access_plan_rows(ds: Any) -> None:
    data = get(ds, "/agencies/dcf.json").json()
    states = {p["dataset_id"]: p["state"] for p in data["access_plan"]}
    assert states["dcf-entries-to-care-by-town"] == "released"
    assert sum(data["plan_counts"].values()) == len(data["access_plan"])


def test_plan_state() -> None:
    today = dt.date(2026, 7, 1)
    assert plan_state({"status": "planned", "target_release": "2026-06-30"}, today) == "overdue"
    assert plan_state({"status": "planned", "target_release": "2026-07-01"}, today) == "planned"
    assert plan_state({"status": "planned", "target_release": None}, today) == "planned"
    assert plan_state({"status": "released", "released_on": "2025-01-01"}, today) == "released"
    assert plan_state({"status": "not-planned"}, today) == "not-planned"


def test_suppression_rule_summary() -> None:
    rule = suppression_rule({"min_count": 6, "suppress_zero": True, "complementary": True,
                             "min_denominator": None, "rounding": None, "symbol": "*"})
    assert rule.startswith("Counts from 1 to 5 are suppressed; zeros are suppressed too")
    assert "“*”" in rule


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "<img src=x onerror=alert(1)>",
    '<a href="https://x.org" onclick="alert(1)">x</a>',
    "![x](https://x.org/a.png\" onerror=\"alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<iframe src=https://x.org></iframe>",
])
def test_markdown_is_sanitised(text: str) -> None:
    html = to_html(text)
    assert "<script" not in html and "<iframe" not in html and "<img" not in html
    assert 'href="javascript' not in html.lower()
    assert not re.search(r"<[^>]+\son\w+=", html)
    assert 'href="data:' not in html


def test_markdown_renders_and_marks_links() -> None:
    html = to_html("# Heading\n\n* one\n* **two**\n\n[site](https://portal.ct.gov)")
    assert "<h3>Heading</h3>" in html and "<li><strong>two</strong></li>" in html
    assert '<a href="https://portal.ct.gov" rel="nofollow noopener">site</a>' in html
    assert to_html(None) == "" and to_html("") == ""


def test_markdown_filter_in_templates(ds: Any) -> None:
    async def go() -> str:
        await ds.invoke_startup()
        template = ds.jinja_env.from_string("{{ text|markdown }}")
        return await template.render_async(text="*hi* <script>x</script>")  # type: ignore
    html = asyncio.run(go())
    assert "<em>hi</em>" in html and "<script>" not in html


def test_descriptions_render_as_markdown(ds: Any) -> None:
    html = get(ds, "/datasets/dmhas-bed-availability-api").text
    assert re.search(r'<a href="https://www.ctaddictionservices.com/" '
                     r'rel="nofollow noopener">CT Addiction Services</a>', html)


@pytest.mark.parametrize("name", CANNED)
def test_canned_queries_are_staff_only(ds: Any, staff: dict[str, str], name: str) -> None:
    response = get(ds, f"/inventory/{name}.json?_shape=objects", staff)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["ok"] is True
    assert get(ds, f"/inventory/{name}", staff).status_code == 200
    assert get(ds, f"/inventory/{name}").status_code == 403
    assert get(ds, f"/inventory/{name}.json").status_code == 403


def test_canned_queries_find_what_they_say(ds: Any, staff: dict[str, str]) -> None:
    def rows(name: str) -> list[dict[str, Any]]:
        body = get(ds, f"/inventory/{name}.json?_shape=objects", staff).json()
        return body["rows"]  # type: ignore[no-any-return]
    race = rows("race_ethnicity_fields")
    assert PUBLIC_DATASET in {r["dataset_id"] for r in race}
    not_open = rows("high_value_not_open")
    assert not_open and all(r["access_level"] != "public" for r in not_open)


# A small judged query set: what a reader would type, and the dataset a person judging
# the catalog expects among the first three results. Ranking changes (query shape,
# weights, snippets) must keep every one (docs/performance-serving.md).
JUDGED = [
    ("foster care placements", "dcf-out-of-home-placements"),
    ("flood zones", "deep-flood-zones"),
    ("sea level", "deep-sea-level-rise-2050"),
    ("methadone", "dmhas-otp-census-by-program"),
    ("lead poisoning", "dph-childhood-lead-by-town"),
    ("snap food", "dss-snap-recipients-by-town"),
    ("chronic absenteeism", "sde-chronic-absenteeism-by-district"),
    ("parcels", "opm-statewide-parcels"),
    ("traffic fatalities", "dot-nhtsa-fars-connecticut"),
    ("brownfield", "decd-brownfield-inventory"),
    ("husky medicaid", "dss-husky-enrollment-by-town"),
    ("overdose emergency", "dph-overdose-ed-visits-by-town"),
    ("careline", "dcf-careline-reports-by-town"),
    ("teachers", "sde-educator-workforce-by-district"),
    ("address geocoding", "opm-address-points"),
    ("energy efficiency", "deep-energize-ct-participation-by-town"),
    ("tax credit", "decd-tax-credit-applications"),
    ("school enrollment race", "sde-enrollment-by-district"),
]


@pytest.mark.parametrize(("query", "expected"), JUDGED)
def test_judged_queries_rank_the_expected_dataset_in_the_top_three(
        ds: Any, query: str, expected: str) -> None:
    found = search(ds, "q=" + query.replace(" ", "+"))
    top = [r["id"] for r in found["results"][:3]]
    assert expected in top, (query, top)
    hit = next(r for r in found["results"] if r["id"] == expected)
    assert "<mark>" in hit["snippet_html"], hit["snippet_html"]


def test_concurrent_searches_on_a_fresh_server_build_the_facet_index_once(
        ds: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stampede: 24 different searches arriving together at a server that has not
    built this build's facet index yet compute it once and all answer."""
    import importlib

    module = importlib.import_module("catalog.site.pages.search")
    module.INDEXES.clear()
    built: list[str] = []
    real = module._facet_index

    async def counted(reader: Any, key: Any) -> Any:
        built.append(reader.name)
        return await real(reader, key)

    monkeypatch.setattr(module, "_facet_index", counted)
    words = ["town", "race", "care", "traffic", "lead", "school", "health", "data"]

    async def go() -> list[Any]:
        return await asyncio.gather(*(ds.client.get(f"/search.json?q={w}&page={i}")
                                      for i in range(1, 4) for w in words))

    responses = asyncio.run(go())
    assert [r.status_code for r in responses] == [200] * 24
    assert built == ["public"]


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_the_dataset_page_opens_with_getting_the_data_in_words(
        ds: Any, staff: dict[str, str], who: str) -> None:
    """"Get the data" comes before the data dictionary; codes read as words (no ISO
    repeating intervals, no raw access or status codes as text, no repository paths)."""
    page = get(ds, f"/datasets/{PUBLIC_DATASET}", staff if who == "staff" else None).text
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.index("Get the data") < main.index("Data dictionary")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", main, flags=re.S))
    shown = ("R/P1", "every P1", "P1Y", "landing-page") + (
        ("inventory/dcf/",) if who == "anonymous" else ())
    for raw in shown:
        assert raw not in text, f"{who}: '{raw}' shown as text"


def test_a_staff_page_asks_the_public_to_sign_in_once_and_comes_back(ds: Any) -> None:
    response = get(ds, "/staff/problems?severity=info")
    assert response.status_code == 403
    main = response.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<h1>Sign in to see this page</h1>" in main
    assert main.count("for state staff") == 1, main  # said once, not twice
    assert 'class="ct-button-link" href="/-/login?next=/staff/problems%3Fseverity%3Dinfo"' \
        in main
