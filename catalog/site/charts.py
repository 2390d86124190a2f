"""Server-rendered SVG charts for the site (usage, scorecards, access plans, requests):
no script, no CDN. Every text is escaped; each chart has a title and a description for
screen readers, and each page shows the same numbers as a table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

BAR = "#1f4e8c"
GRID = "#c9d3e0"
TEXT = "#1b1b1b"


def _number(value: float) -> str:
    return f"{value:,.0f}"


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _open(chart_id: str, width: int, height: int, title: str, description: str,
          css_class: str = "ct-usage-chart") -> str:
    cid = escape(chart_id, quote=True)
    return (f'<svg class="{escape(css_class, quote=True)}" role="img" '
            f'viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" '
            f'aria-labelledby="{cid}-title {cid}-desc">'
            f'<title id="{cid}-title">{escape(title)}</title>'
            f'<desc id="{cid}-desc">{escape(description)}</desc>')


def column_chart(points: Sequence[tuple[str, int]], *, chart_id: str, title: str,
                 description: str, width: int = 720, height: int = 240) -> Markup:
    """Vertical bars over time: ``(label, value)`` in order; labels at both ends and
    the middle, a grid line at the maximum and its half."""
    left, right, top, bottom = 56, 12, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((v for _, v in points), default=0))
    parts = [_open(chart_id, width, height, title, description)]
    for fraction in (0.0, 0.5, 1.0) if peak % 2 == 0 else (0.0, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="{TEXT}">{_number(peak * fraction)}</text>')
    n = max(len(points), 1)
    step = plot_w / n
    bar = max(step * 0.8, 1.0)
    for i, (label, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + i * step + (step - bar) / 2
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                     f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)}: '
                     f'{_number(value)}</title></rect>')
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        if 0 <= i < len(points):
            x = left + i * step + step / 2
            anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
            x = left if anchor == "start" else width - right if anchor == "end" else x
            parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" '
                         f'font-size="12" fill="{TEXT}">{escape(points[i][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(items: Sequence[tuple[str, float | None]], *, chart_id: str, title: str,
              description: str, width: int = 720, label_width: int = 280,
              maximum: float | None = None, value_text: Callable[[float | None], str] | None = None,
              css_class: str = "ct-usage-chart") -> Markup:
    """Horizontal bars, one per ``(label, value)`` in the order given. ``maximum`` fixes
    the full length (e.g. 1.0 for shares); ``value_text`` formats the figure shown."""
    row, gap = 22, 8
    height = max(len(items), 1) * (row + gap) + gap
    plot = width - label_width - 80
    peak = maximum or max((v or 0 for _, v in items), default=0) or 1
    show = value_text or (lambda v: "–" if v is None else _number(v))
    parts = [_open(chart_id, width, height, title, description, css_class)]
    for i, (label, value) in enumerate(items):
        y = gap + i * (row + gap)
        length = plot * min(max((value or 0) / peak, 0.0), 1.0)
        text = label if len(label) <= 48 else label[:47] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="{TEXT}">{escape(text)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" '
            f'height="{row}" fill="{BAR}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + row * 0.7:.1f}" '
            f'font-size="13" fill="{TEXT}">{escape(show(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(points: Sequence[tuple[str, float | None]], *, chart_id: str, title: str,
              description: str, width: int = 180, height: int = 40) -> Markup:
    """A small line of shares (0 to 1) over time, ``(label, value)`` in order; a point
    without a value breaks the line. The figures are in the table beside it."""
    pad = 4
    n = len(points)
    step = (width - 2 * pad) / max(n - 1, 1)
    parts = [_open(chart_id, width, height, title, description, "ct-spark")]
    parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" '
                 f'y2="{height - pad}" stroke="{GRID}" stroke-width="1"/>')
    run: list[str] = []
    for i, (label, value) in enumerate(points):
        if value is None:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
                             f'points="{" ".join(run)}"/>')
            run = []
            continue
        x = pad + i * step
        y = pad + (height - 2 * pad) * (1 - min(max(value, 0.0), 1.0))
        run.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{BAR}">'
                     f'<title>{escape(label)}: {value * 100:.0f}%</title></circle>')
    if len(run) > 1:
        parts.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
                     f'points="{" ".join(run)}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
