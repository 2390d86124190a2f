"""Small server-rendered SVG charts: no JavaScript, no CDN, readable by screen readers
(each chart has a title and description, and pages show the numbers as a table too)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BAR = "#1f4e8c"
TRACK = "#e6ebf2"
TEXT = "#1b1b1b"


def bar_chart(items: list[tuple[str, float | None, str]], *, title: str, description: str,
              maximum: float = 1.0, width: int = 640, label_width: int = 240) -> Markup:
    """Horizontal bars: ``(label, value or None, value text)`` for each row."""
    row, gap = 22, 8
    height = len(items) * (row + gap) + gap
    plot = width - label_width - 70
    parts = [
        f'<svg class="ct-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="t d">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for i, (label, value, text) in enumerate(items):
        y = gap + i * (row + gap)
        length = 0.0 if value is None or maximum <= 0 else max(0.0, min(value / maximum, 1.0))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{plot}" height="{row}" fill="{TRACK}"/>'
            f'<rect x="{label_width}" y="{y}" width="{plot * length:.1f}" height="{row}" '
            f'fill="{BAR}"/>'
            f'<text x="{label_width + plot + 8}" y="{y + row * 0.7:.1f}" font-size="13" '
            f'fill="{TEXT}">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
