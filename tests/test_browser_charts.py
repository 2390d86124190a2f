"""Every chart the site draws (catalog.site.charts), measured in Debian's Chromium against a
real `datasette serve` at 1366 and 390 px, with data that stresses them: a dataset title of
181 characters with a 56-character word, a day of 5,001 requests, catalog-wide use over 70
times the most used dataset's. No label is clipped, off its chart or the screen, or over
another; the axes are round and just above the largest value; text keeps 12 px on a phone;
each chart's figures are a real table, reached with the keyboard. Screenshots:
test-artifacts/charts-*."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO
from .test_browser import ARTIFACTS, datasette, shot, sign_in

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
MIN_TEXT_PX = 12
LONG = "DCF-CT-KIDS-LINK-INTERAGENCY-PLACEMENT-STABILITY-EXTRACT"
LONG_TITLE = (f"Entries to Out-of-Home Care by Town, Age Group, Race and Ethnicity, Removal "
              f"Reason and Placement Setting, from the {LONG} (Monthly)")
BUSY_DAY_HITS = 5_001
assert len(LONG_TITLE) == 181 and len(LONG) == 56  # as docs/usage.md says
# the pages that draw charts: (path, signed in)
CHART_PAGES = [("/usage", False), ("/access-plans", False), ("/usage", True),
               ("/scorecards", True), ("/requests", True)]


def _lengthen_title(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^title: .*$", f"title: {title}", text, count=1)
    assert n == 1, path
    path.write_text(text, encoding="utf-8")


def fill_store(url: str, public_db: Path, today: dt.date) -> dict[str, int]:
    """30 days of use: each public dataset a few requests a day, the long-titled one most;
    catalog-wide searches and SQL far above them, 5,001 requests in all on the busiest day.
    Returns the figures the charts must show."""
    from catalog.dbapi import sqlite3
    from catalog.usage.store import Key, Store, Tally

    conn = sqlite3.connect(public_db)
    try:
        ids = [r[0] for r in conn.execute(
            "select id from datasets where visibility = 'public' order by id")]
    finally:
        conn.close()
    counts: dict[Key, Tally] = {}
    busy = today - dt.timedelta(days=10)
    for back in range(30):
        day = today - dt.timedelta(days=back)
        spent = 0
        for i, dataset_id in enumerate(ids):
            hits = 3 if dataset_id == "dcf-entries-to-care-by-town" else 1 + (i + back) % 2
            counts[Key(day, dataset_id, "page", "human")] = Tally(hits, hits)
            counts[Key(day, dataset_id, "json", "human")] = Tally(1)
            spent += hits + 1
        wide = (BUSY_DAY_HITS - spent - 40) if day == busy else 120 + back
        counts[Key(day, "*", "search", "human")] = Tally(wide)
        counts[Key(day, "*", "sql", "human")] = Tally(40 if day == busy else 7)
    store = Store(url)
    try:
        store.migrate()
        store.add_counts(counts)
    finally:
        store.close()
    daily = {}
    for key, tally in counts.items():
        daily[key.day] = daily.get(key.day, 0) + tally.hits
    assert max(daily.values()) == BUSY_DAY_HITS
    wide_total = sum(t.hits for k, t in counts.items() if k.dataset_id == "*")
    top = max(sum(t.hits for k, t in counts.items() if k.dataset_id == d) for d in ids)
    return {"busiest_day": BUSY_DAY_HITS, "catalog_wide": wide_total, "top_dataset": top}


@pytest.fixture(scope="module")
def stressed(auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[str, dict[str, int]]]:
    """A clone of this repository (its git history gives the scorecards' trend) with one
    dataset and one data request given very long titles, built, and served with a usage
    store full of traffic (tracking off: browsing adds nothing)."""
    from catalog.build import build
    from catalog.project import Project
    from catalog.site.config import Site

    folder = tmp_path_factory.mktemp("charts")
    root = folder / "project"
    subprocess.run(["git", "clone", "-q", "--local", str(REPO), str(root)], check=True)
    _lengthen_title(root / "inventory/dcf/dcf-entries-to-care-by-town.yml", LONG_TITLE)
    _lengthen_title(root / "inventory/_requests/req-2026-031-legislature-entries-by-town.yml",
                    f"Entries to care by town, age and {LONG} for the Committee on Children")
    outcome = build(Project(root), root / "build")
    assert outcome.report.ok and outcome.result, [p.as_line() for p in outcome.report.errors]
    store = f"sqlite:///{folder / 'usage.db'}"
    figures = fill_store(store, root / "build" / "public.db",
                         dt.datetime.now(dt.timezone.utc).date())
    env = {**auth_env, "CATALOG_USAGE_URL": store, "CATALOG_USAGE_TRACKING": "off"}
    with datasette(Site(Project(root), root / "build"), env, folder) as base:
        yield base, figures



# Every chart on the page, as Chromium lays it out: its text boxes, bars, ticks and columns,
# and the table alternative that follows it.
MEASURE = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  const TEXT = '.ct-chart-title, .ct-bar-label, .ct-bar-value, .ct-col-tick > span, ' +
               '.ct-col-labels > span';
  return [...document.querySelectorAll('.ct-bars, .ct-columns-chart')].map(chart => {
    const alt = chart.nextElementSibling;
    const link = alt && alt.querySelector('a');
    return {
      id: chart.id, role: chart.getAttribute('role'), name: chart.getAttribute('aria-label'),
      box: box(chart), svgText: chart.querySelectorAll('svg text').length,
      texts: [...chart.querySelectorAll(TEXT)].map(e => ({
        text: e.textContent.trim(), box: box(e), sw: e.scrollWidth, cw: e.clientWidth,
        px: parseFloat(getComputedStyle(e).fontSize)})),
      bars: [...chart.querySelectorAll('.ct-bar-row')].map(row => ({
        label: row.querySelector('.ct-bar-label').textContent.trim(),
        value: row.querySelector('.ct-bar-value').textContent.trim(),
        bar: row.querySelector('.ct-bar').getBoundingClientRect().width,
        track: row.querySelector('.ct-bar-track').getBoundingClientRect().width})),
      ticks: [...chart.querySelectorAll('.ct-col-tick > span')].map(e => e.textContent.trim()),
      cols: [...chart.querySelectorAll('.ct-col')].map(e => ({
        title: e.getAttribute('title'), h: e.getBoundingClientRect().height})),
      plot: (chart.querySelector('.ct-col-plot') || chart).getBoundingClientRect().height,
      alt: !alt || !alt.classList.contains('ct-chart-alt') ? null : {
        tag: alt.tagName, href: link ? link.getAttribute('href') : null},
    };
  });
}"""

# The outermost elements that reach past the right edge of the screen
WIDE = """(vw) => [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > vw + 1
               && !(e.parentElement && e.parentElement.getBoundingClientRect().right > vw + 1))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
                        + ' ' + e.textContent.trim().slice(0, 30))"""

# The rows of the table a chart's alternative leads to: [header cell, other cells...]
TABLE_ROWS = """(id) => {
  const target = document.getElementById(id);
  const table = target && target.closest('table');
  if (!table) return null;
  return [...table.tBodies].flatMap(b => [...b.rows]).map(
    tr => [...tr.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim()));
}"""


def _number(text: str) -> float:
    found = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    assert found, text
    return float(found.group().replace(",", ""))


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (min(a["r"], b["r"]) - max(a["l"], b["l"]) > 1
            and min(a["b"], b["b"]) - max(a["t"], b["t"]) > 1)


def is_round(step: float) -> bool:
    """1, 2, 2.5 or 5 times a power of ten."""
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5))


def check_text(chart: dict[str, Any], viewport: float, where: str) -> list[str]:
    """No label clipped, outside its chart or the screen, over another, or small."""
    bad = []
    c = chart["box"]
    if c["l"] < -1 or c["r"] > viewport + 1:
        bad.append(f"{where}: the chart runs off the screen ({c['l']:.0f}–{c['r']:.0f})")
    if chart["svgText"]:
        bad.append(f"{where}: SVG text (it shrinks with the picture)")
    texts = chart["texts"]
    for t in texts:
        b, label = t["box"], t["text"][:50]
        if t["sw"] > t["cw"] + 1:
            bad.append(f"{where}: '{label}' is cut off ({t['sw']} > {t['cw']} px)")
        if b["l"] < c["l"] - 1 or b["r"] > c["r"] + 1 or b["t"] < c["t"] - 1 \
                or b["b"] > c["b"] + 1:
            bad.append(f"{where}: '{label}' is outside its chart")
        if b["l"] < -1 or b["r"] > viewport + 1:
            bad.append(f"{where}: '{label}' is off the screen")
        if t["px"] < MIN_TEXT_PX:
            bad.append(f"{where}: '{label}' is {t['px']} px")
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if _overlap(a["box"], b["box"]):
                bad.append(f"{where}: '{a['text'][:40]}' overlaps '{b['text'][:40]}'")
    return bad


def check_scale(chart: dict[str, Any], where: str) -> list[str]:
    """Columns: round ticks from 0 to at or above the largest value, at most 1.5 times it;
    heights to scale. Bars: to scale, the longest over half its track (nothing
    flattened), shares against 100%."""
    bad = []
    if chart["cols"]:
        values = [_number(c["title"].rsplit(":", 1)[1]) for c in chart["cols"]]
        ticks = [_number(t) for t in chart["ticks"]]
        peak, top = max(values), ticks[-1]
        steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
        if ticks[0] != 0 or len(steps) != 1 or not is_round(steps.pop()):
            bad.append(f"{where}: ticks not round and even: {chart['ticks']}")
        if top < peak or (peak > 1 and top > 1.5 * peak):  # 5,001 → 6,000, not 10,000
            bad.append(f"{where}: axis to {top:,.0f} for a largest value of {peak:,.0f}")
        for col, v in zip(chart["cols"], values, strict=True):
            if abs(col["h"] - v / top * chart["plot"]) > 1.5:
                bad.append(f"{where}: column '{col['title']}' is not to scale")
    bars = chart["bars"]
    if bars:
        shares = all(b["value"].endswith("%") or b["value"] == "–" for b in bars)
        values = [0.0 if b["value"] == "–" else _number(b["value"]) for b in bars]
        peak = 100.0 if shares else max(values)
        longest = max(b["bar"] / b["track"] for b in bars)
        if max(b["track"] for b in bars) - min(b["track"] for b in bars) > 1:
            bad.append(f"{where}: the bars' tracks differ in length (bars not comparable)")
        if not shares and peak > 0 and longest <= 0.5:
            bad.append(f"{where}: the longest bar is {longest:.0%} of its track (flattened)")
        for b, v in zip(bars, values, strict=True):
            share = v / peak if shares or not peak else v / peak * longest
            if abs(b["bar"] - max(share * b["track"], 1)) > 2:
                bad.append(f"{where}: bar '{b['label'][:40]}' ({b['value']}) not to scale")
    return bad


def check_alternative(page: Any, chart: dict[str, Any], where: str) -> list[str]:
    """A real table with the chart's numbers, opened from the keyboard."""
    from playwright.sync_api import expect

    alt = chart["alt"]
    if not alt:
        return [f"{where}: no table alternative after the chart"]
    if alt["href"]:
        assert alt["href"].startswith("#"), alt
        target = alt["href"][1:]
        control = page.locator(f"#{chart['id']} + .ct-chart-alt a")
    else:
        target = f"{chart['id']}-table"
        control = page.locator(f"#{chart['id']} + .ct-chart-alt > summary")
    control.focus()
    if not control.evaluate("e => document.activeElement === e"):
        return [f"{where}: the table alternative cannot take the keyboard's focus"]
    page.keyboard.press("Enter")
    table = page.locator(f"#{target}").locator("xpath=ancestor-or-self::table")
    expect(table).to_be_visible()
    rows = page.evaluate(TABLE_ROWS, target)
    if not rows:
        return [f"{where}: {alt} leads to no table"]
    bad = []
    if chart["cols"]:
        shown = [_number(c["title"].rsplit(":", 1)[1]) for c in chart["cols"]]
        listed = [_number(r[-1]) for r in rows]
        if shown != listed:
            bad.append(f"{where}: the table's figures differ from the chart's")
    for b in chart["bars"]:
        if not any(r[0] == b["label"] and any(b["value"] in cell for cell in r[1:])
                   for r in rows):
            bad.append(f"{where}: no table row '{b['label'][:40]}' with {b['value']}")
    return bad


def measure_charts(browser: Any, base: str, width: int,
                   pages: list[tuple[str, bool]]) -> list[str]:
    """Every check above on every chart of ``pages`` at ``width``; a screenshot of each."""
    bad: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        signed_in = False
        for path, staff in sorted(pages, key=lambda p: p[1]):
            if staff and not signed_in:
                sign_in(page, base, "admin")
                signed_in = True
            page.goto(base + path)
            charts = page.evaluate(MEASURE)
            if not charts:
                bad.append(f"{path}: no chart")
            viewport = page.evaluate("document.documentElement.clientWidth")
            if page.evaluate("document.documentElement.scrollWidth") > viewport + 1:
                bad.append(f"{width}px {path}: the page scrolls sideways: "
                           + ", ".join(page.evaluate(WIDE, viewport)))
            for chart in charts:
                where = f"{width}px {path} #{chart['id']}"
                if chart["role"] != "img" or not chart["name"]:
                    bad.append(f"{where}: not a named image for screen readers")
                bad += check_text(chart, viewport, where)
                bad += check_scale(chart, where)
            name = f"charts-{width}-{'staff' if staff else 'public'}-{path.strip('/')}"
            shot(page, name)
            if not (ARTIFACTS / f"{name}.png").is_file():
                bad.append(f"{width}px {path}: no screenshot")
            for chart in charts:
                bad += check_alternative(page, chart, f"{width}px {path} #{chart['id']}")
    finally:
        context.close()
    return bad


def test_the_usage_charts_read_on_a_phone(browser: Any,
                                          stressed: tuple[str, dict[str, int]]) -> None:
    """The default suite's chart measurement: the usage page at 390 px."""
    base, _ = stressed
    bad = measure_charts(browser, base, 390, [("/usage", False)])
    assert not bad, "\n".join(bad)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_reads_at_both_widths(browser: Any, stressed: tuple[str, dict[str, int]],
                                          width: int) -> None:
    base, _ = stressed
    bad = measure_charts(browser, base, width, CHART_PAGES)
    assert not bad, "\n".join(bad)


def test_catalog_wide_use_is_shown_apart(browser: Any,
                                         stressed: tuple[str, dict[str, int]]) -> None:
    """Searches and SQL (over 70 times the most used dataset's) have their own figure and
    chart: the datasets' bars are not flattened under them."""
    from catalog.usage.report import CATALOG_WIDE_TITLE

    base, figures = stressed
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(base + "/usage")
        charts = {c["id"]: c for c in page.evaluate(MEASURE)}
        stats = page.get_by_label("Use in this period").inner_text()
    finally:
        context.close()
    wide = figures["catalog_wide"]
    assert wide > 70 * figures["top_dataset"]  # as docs/usage.md says
    assert f"{wide:,}\ncatalog-wide" in stats, stats
    datasets = charts["chart-datasets"]["bars"]
    assert CATALOG_WIDE_TITLE not in [b["label"] for b in datasets]
    assert datasets[0]["label"] == LONG_TITLE
    assert datasets[0]["value"] == f"{figures['top_dataset']:,}"
    assert datasets[0]["bar"] > 0.5 * datasets[0]["track"]
    catalog_channels = charts["chart-catalog-channels"]["bars"]
    assert sum(_number(b["value"]) for b in catalog_channels) == wide
    for_datasets = sum(_number(b["value"]) for b in charts["chart-channels"]["bars"])
    total = sum(_number(c["title"].rsplit(":", 1)[1]) for c in charts["chart-trend"]["cols"])
    assert for_datasets == total - wide
    assert max(b["bar"] / b["track"] for b in charts["chart-channels"]["bars"]) > 0.5


RATED = """() => [...document.querySelectorAll('.ct-rag, td[class*="ct-cell-"]')].map(e => ({
  rating: ([...e.classList].find(c => /^ct-(rag|cell)-(green|amber|red|none)$/.test(c)) || '')
          .split('-').pop(),
  text: e.textContent.replace(/\\s+/g, ' ').trim(), cell: e.tagName === 'TD'}))"""
WRAPS = """() => [...document.querySelectorAll('main .ct-table-wrap')].map(w => {
  const cue = document.getElementById(w.getAttribute('aria-describedby') || '');
  return {caption: (w.querySelector('caption') || w).textContent.trim().slice(0, 50),
          wide: w.scrollWidth > w.clientWidth + 1, tabindex: w.getAttribute('tabindex'),
          cue: cue ? cue.checkVisibility() : null};
})"""


@pytest.mark.parametrize("width", [1366, pytest.param(390, marks=pytest.mark.slow)])
def test_scorecards_are_never_cut_off_silently_and_rate_in_words(
        browser: Any, stressed: tuple[str, dict[str, int]], width: int) -> None:
    """Every table of the scorecards fits, or says it scrolls sideways and takes the
    keyboard to scroll; every rating is in words, the colour only adds to it."""
    from catalog.governance.scorecard import RATINGS

    base, _ = stressed
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, base, "admin")
        page.goto(base + "/scorecards")
        page.wait_for_load_state("load")
        for summary in page.locator("main details > summary").all():
            summary.click()  # the folded tables too
        page.wait_for_timeout(100)
        wraps, rated = page.evaluate(WRAPS), page.evaluate(RATED)
        scrolls = page.evaluate("document.documentElement.scrollWidth"
                                " > document.documentElement.clientWidth + 1")
        shot(page, f"charts-{width}-staff-scorecards-tables")
    finally:
        context.close()
    assert not scrolls, "the page scrolls sideways"
    assert wraps
    for w in wraps:
        assert w["tabindex"] == "0", w
        if w["wide"]:
            assert w["cue"], f"{width}px: '{w['caption']}' is cut off without a cue"
        else:
            assert not w["cue"], f"{width}px: '{w['caption']}' fits, yet cues scrolling"
    if width == 1366:  # the statewide and the agencies' tables fit a desktop
        assert not any(w["wide"] for w in wraps[:2]), wraps
    cells = [r for r in rated if r["cell"]]
    assert len(cells) > 50 and {r["rating"] for r in rated} >= {"green", "amber", "red"}
    for r in rated:
        assert RATINGS[r["rating"]].lower() in r["text"].lower(), r
