"""Server-rendered charts for the site (usage, scorecards, access plans, requests), in HTML
and CSS rather than SVG: their text is the page's text, so labels wrap instead of being
clipped and never shrink below the page's minimum size on a phone. No script, no CDN.

Each chart is a ``role="img"`` element named by its title and description (its bars are
decoration for screen readers), followed by its figures as a table: a link to a table the
page already shows, or a folded table of its own. Every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape


def _number(value: float) -> str:
    return f"{value:,.0f}"


def nice_step(span: float, ticks: int = 4) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten that cuts ``span`` into at most
    ``ticks`` intervals."""
    if span <= 0:
        return 1
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw - 1e-9:
            return m * power
    return 10 * power


def axis(peak: float, ticks: int = 4) -> list[float]:
    """Gridline values from 0 to just above ``peak`` (5,001 → 0, 2,000, 4,000, 6,000)."""
    if peak <= 0:
        return [0, 1]
    step = nice_step(peak, ticks)
    if step < 1 and float(peak).is_integer():
        step = 1
    top = math.ceil(peak / step - 1e-9) * step
    return [round(i * step, 10) for i in range(int(round(top / step)) + 1)]


def nice_ceiling(value: float) -> float:
    """The top of the axis for ``value``."""
    return axis(value)[-1]


def _alternative(chart_id: str, title: str, rows: Sequence[tuple[str, str]], head: str,
                 table_href: str | None) -> str:
    if table_href:
        return (f'<p class="ct-chart-alt"><a href="{escape(table_href)}">The figures of '
                f'“{escape(title)}” as a table</a></p>')
    body = "".join(f'<tr><th scope="row">{escape(label)}</th><td class="num">{escape(value)}'
                   "</td></tr>" for label, value in rows)
    return (f'<details class="ct-chart-alt"><summary>The figures as a table</summary>'
            f'<div class="ct-table-wrap"><table class="ct-table ct-counts" '
            f'id="{escape(chart_id)}-table"><caption>{escape(title)}</caption><thead><tr>'
            f'<th scope="col">{escape(head)}</th><th scope="col" class="num">Value</th></tr>'
            f"</thead><tbody>{body}</tbody></table></div></details>")


def bar_chart(items: Sequence[tuple[str, float | None]], *, chart_id: str, title: str,
              description: str, maximum: float | None = None,
              value_text: Callable[[float | None], str] | None = None,
              css_class: str = "ct-chart", head: str = "Item",
              table_href: str | None = None, targets: Sequence[float | None] | None = None
              ) -> Markup:
    """Horizontal bars, one per ``(label, value)`` in the order given; labels wrap.
    ``maximum`` fixes the full length (1.0 for shares), else the axis is rounded up from
    the largest value; ``targets`` (per item) draw a target mark."""
    show = value_text or (lambda v: "–" if v is None else _number(v))
    peak = maximum or nice_ceiling(max((v or 0 for _, v in items), default=0)) or 1
    cid = escape(chart_id)
    parts = [f'<div class="ct-bars {escape(css_class)}" id="{cid}" role="img" '
             f'aria-label="{escape(title)}. {escape(description)}">'
             f'<p class="ct-chart-title" aria-hidden="true">{escape(title)}</p>']
    for i, (label, value) in enumerate(items):
        share = min(max((value or 0) / peak, 0.0), 1.0) * 100
        target = targets[i] if targets and i < len(targets) else None
        mark = (f'<span class="ct-bar-target" style="left: {min(target / peak, 1) * 100:.1f}%">'
                "</span>" if target is not None else "")
        parts.append(
            f'<div class="ct-bar-row"><span class="ct-bar-label">{escape(label)}</span>'
            f'<span class="ct-bar-track"><span class="ct-bar" style="width: {share:.1f}%">'
            f'</span>{mark}</span><span class="ct-bar-value">{escape(show(value))}</span></div>')
    parts.append("</div>")
    rows = [(label, show(value)) for label, value in items]
    parts.append(_alternative(chart_id, title, rows, head, table_href))
    return Markup("".join(parts))


def column_chart(points: Sequence[tuple[str, int]], *, chart_id: str, title: str,
                 description: str, table_href: str | None = None, head: str = "Day"
                 ) -> Markup:
    """Vertical bars over time, ``(label, value)`` in order: gridlines at round values
    just above the largest (never twice it), dates at both ends and the middle."""
    peak = max((v for _, v in points), default=0)
    ticks = axis(peak)
    top = ticks[-1] or 1
    cid = escape(chart_id)
    parts = [f'<div class="ct-columns-chart" id="{cid}" role="img" '
             f'aria-label="{escape(title)}. {escape(description)}">'
             f'<p class="ct-chart-title" aria-hidden="true">{escape(title)}</p>'
             '<div class="ct-col-plot"><div class="ct-col-grid">']
    for t in ticks:
        parts.append(f'<span class="ct-col-tick" style="bottom: {t / top * 100:.1f}%">'
                     f'<span>{_number(t)}</span></span>')
    parts.append('</div><div class="ct-col-bars">')
    for label, value in points:
        parts.append(f'<span class="ct-col" style="height: {value / top * 100:.2f}%" '
                     f'title="{escape(label)}: {_number(value)}"></span>')
    parts.append('</div></div><div class="ct-col-labels">')
    if points:
        shown = sorted({0, len(points) // 2, len(points) - 1})
        for i in shown:
            parts.append(f'<span>{escape(points[i][0])}</span>')
    parts.append("</div></div>")
    rows = [(label, _number(value)) for label, value in points]
    parts.append(_alternative(chart_id, title, rows, head, table_href))
    return Markup("".join(parts))


def sparkline(points: Sequence[dict[str, object]], *, label: str, width: int = 96,
              height: int = 24) -> Markup:
    """A score's trend over past releases (``points``: ``value`` 0–1 and ``as_of``, oldest
    first) as a small line, named for screen readers with every point; a note without
    any earlier release."""
    values = [(str(p.get("as_of")), float(v)) for p in points
              if isinstance(v := p.get("value"), (int, float))]
    if len(values) < 2:
        return Markup('<span class="ct-muted ct-trend-none">No earlier release</span>')
    step = (width - 4) / (len(values) - 1)
    coords = " ".join(f"{2 + i * step:.1f},{height - 2 - v * (height - 4):.1f}"
                      for i, (_, v) in enumerate(values))
    said = "; ".join(f"{day}: {v * 100:.0f}%" for day, v in values)
    last = coords.split(" ")[-1].split(",")
    return Markup(
        f'<svg class="ct-sparkline" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(label)}: {escape(said)}">'
        f'<polyline points="{coords}" fill="none" stroke="#1d4a7e" stroke-width="2"/>'
        f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5" fill="#1d4a7e"/></svg>')
