"""The data-flow picture as server-rendered SVG: parties on an ellipse (agencies filled
blue, outside parties amber), one arrow per flow from provider to recipient, styled by
the agreement's status, numbered to match the key table the page prints beside it.

No JavaScript and no external assets. Every text is escaped. The SVG is ``role="img"``
with a title and a description; the page carries the same flows as a table.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from .flows import Flow, Node, degree

BOX_W = 164
PAD = 18
LINE = 17
BOW = 0.5
STYLES = {  # status group → (stroke, dash, width, legend)
    "in-force": ("#1d4a7e", "", 2.5, "In force (approved, active)"),
    "proposed": ("#8a4b00", "7 5", 2.2, "Proposed (draft, under review)"),
    "ended": ("#5b6472", "2 4", 2.0, "Ended (expired, terminated)"),
}
GROUP = {"approved": "in-force", "active": "in-force", "draft": "proposed",
         "under-review": "proposed", "expired": "ended", "terminated": "ended"}
NODE_FILL = {True: ("#e6eefb", "#1d4a7e"), False: ("#fff3dd", "#a86300")}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _lines(label: str) -> list[str]:
    lines = textwrap.wrap(label, 22) or [""]
    if len(lines) > 3:
        lines = [*lines[:2], textwrap.shorten(" ".join(lines[2:]), 22, placeholder="…")]
    return lines


def _order(nodes: Sequence[Node], flows: Sequence[Flow]) -> list[Node]:
    """Connected parties next to each other: walk each component from its busiest node."""
    deg = degree(flows)
    index = {n.key: i for i, n in enumerate(nodes)}
    links: dict[str, set[str]] = defaultdict(set)
    for f in flows:
        links[f.source].add(f.target)
        links[f.target].add(f.source)
    rank = sorted(nodes, key=lambda n: (-deg.get(n.key, 0), index[n.key]))
    by_key = {n.key: n for n in nodes}
    out: list[Node] = []
    seen: set[str] = set()
    for start in rank:
        if start.key in seen:
            continue
        queue = [start.key]
        seen.add(start.key)
        while queue:
            key = queue.pop(0)
            out.append(by_key[key])
            for nxt in sorted(links[key] - seen, key=lambda k: (-deg.get(k, 0), index[k])):
                seen.add(nxt)
                queue.append(nxt)
    return out


def _clip(cx: float, cy: float, tx: float, ty: float, hw: float, hh: float
          ) -> tuple[float, float]:
    """Where the ray from a box's centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return cx + dx * t, cy + dy * t


def flow_diagram(nodes: Sequence[Node], flows: Sequence[Flow], *, title: str,
                 description: str, id_prefix: str = "flows") -> Markup:
    if not nodes or not flows:
        return Markup("")
    ordered = _order(nodes, flows)
    n = len(ordered)
    labels = {node.key: _lines(node.label) for node in ordered}
    height_of = {k: 16 + LINE * len(v) + 15 for k, v in labels.items()}
    # an ellipse, wider than tall like the boxes: neighbours at the top and bottom need
    # room across, neighbours at the sides only room down
    rx, ry = max(300.0, 36.0 * n), max(170.0 if n > 2 else 0.0, 24.0 * n)
    width = max(680, int(2 * rx + BOX_W + 2 * PAD))
    start = math.pi if n == 2 else -math.pi / 2
    angles = {node.key: start + 2 * math.pi * i / n for i, node in enumerate(ordered)}
    top = min(ry * math.sin(a) - height_of[k] / 2 for k, a in angles.items())
    bottom = max(ry * math.sin(a) + height_of[k] / 2 for k, a in angles.items())
    cx, cy = width / 2, PAD - top  # the boxes' extent, not the whole ellipse
    legend_y = int(cy + bottom + PAD + 8)
    height = legend_y + 58
    pos = {k: (cx + rx * math.cos(a), cy + ry * math.sin(a)) for k, a in angles.items()}

    p = _e(id_prefix)
    parts = [
        f'<svg class="ct-chart ct-flows" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMidYMin meet" '
        f'aria-labelledby="{p}-title {p}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{p}-title">{_e(title)}</title><desc id="{p}-desc">{_e(description)}</desc>',
        "<defs>",
    ]
    for style, (color, _dash, _w, _legend) in STYLES.items():
        parts.append(
            f'<marker id="{p}-arrow-{style}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
    parts.append("</defs>")

    groups: dict[tuple[str, str], list[Flow]] = defaultdict(list)
    for f in flows:
        a, b = sorted((f.source, f.target))
        groups[(a, b)].append(f)
    badges = []
    names = {node.key: node.name for node in ordered}
    for (a, b), members in groups.items():
        (ax, ay), (bx, by) = pos[a], pos[b]
        length = math.hypot(bx - ax, by - ay) or 1.0
        nx, ny = -(by - ay) / length, (bx - ax) / length
        # bow every edge towards the centre, so that it passes inside the parties
        # between its ends instead of behind them; parallel edges fan out from there
        midx, midy = (ax + bx) / 2, (ay + by) / 2
        bowx, bowy = midx + (cx - midx) * BOW, midy + (cy - midy) * BOW
        for i, f in enumerate(members):
            offset = (i - (len(members) - 1) / 2) * 34
            mx, my = bowx + nx * offset * 2, bowy + ny * offset * 2
            (sx, sy), (tx, ty) = pos[f.source], pos[f.target]
            hw_s, hh_s = BOX_W / 2 + 4, height_of[f.source] / 2 + 4
            hw_t, hh_t = BOX_W / 2 + 4, height_of[f.target] / 2 + 4
            x0, y0 = _clip(sx, sy, mx, my, hw_s, hh_s)
            x1, y1 = _clip(tx, ty, mx, my, hw_t, hh_t)
            style = GROUP.get(f.status, "proposed")
            color, dash, stroke, _legend = STYLES[style]
            d = f"M{x0:.1f},{y0:.1f} Q{mx:.1f},{my:.1f} {x1:.1f},{y1:.1f}"
            arrow = f'url(#{p}-arrow-{style})'
            parts.append(
                f'<g class="ct-flow ct-flow-{style}"><title>{f.number}. {_e(f.title)} '
                f'({_e(f.status)}): {_e(names[f.source])} '
                f'{"↔" if f.both_ways else "→"} {_e(names[f.target])}</title>'
                f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{stroke}"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + f' marker-end="{arrow}"' + (f' marker-start="{arrow}"' if f.both_ways else "")
                + "/></g>")
            bx_, by_ = 0.25 * x0 + 0.5 * mx + 0.25 * x1, 0.25 * y0 + 0.5 * my + 0.25 * y1
            badges.append(
                f'<g class="ct-flow-number"><circle cx="{bx_:.1f}" cy="{by_:.1f}" r="11" '
                f'fill="#fff" stroke="{color}" stroke-width="1.5"/>'
                f'<text x="{bx_:.1f}" y="{by_ + 4:.1f}" text-anchor="middle" font-size="12" '
                f'font-weight="700" fill="#1b1b1b">{f.number}</text></g>')
    for node in ordered:
        x, y = pos[node.key]
        h = height_of[node.key]
        fill, edge = NODE_FILL[node.kind == "state-agency"]
        top = y - h / 2
        parts.append(
            f'<g class="ct-node"><title>{_e(node.name)} ({_e(node.kind_label)})</title>'
            f'<rect x="{x - BOX_W / 2:.1f}" y="{top:.1f}" width="{BOX_W}" height="{h}" rx="5" '
            f'fill="{fill}" stroke="{edge}" stroke-width="1.5"/>')
        for j, line in enumerate(labels[node.key]):
            parts.append(
                f'<text x="{x:.1f}" y="{top + 8 + LINE * (j + 1) - 3:.1f}" text-anchor="middle" '
                f'font-size="14" font-weight="700" fill="#0f2b4f">{_e(line)}</text>')
        parts.append(
            f'<text x="{x:.1f}" y="{top + h - 9:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#374151">{_e(node.kind_label)}</text></g>')

    parts.extend(badges)  # after the nodes: a number is never hidden behind a party
    x = PAD
    for style, (color, dash, stroke, legend) in STYLES.items():
        parts.append(
            f'<line x1="{x}" y1="{legend_y + 8}" x2="{x + 34}" y2="{legend_y + 8}" '
            f'stroke="{color}" stroke-width="{stroke}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f' marker-end="url(#{p}-arrow-{style})"/>'
            f'<text x="{x + 42}" y="{legend_y + 12}" font-size="12" fill="#1b1b1b">'
            f'{_e(legend)}</text>')
        x += 222
    x = PAD
    for agency, legend in ((True, "State agency"), (False, "Outside party")):
        fill, edge = NODE_FILL[agency]
        parts.append(
            f'<rect x="{x}" y="{legend_y + 28}" width="34" height="16" rx="3" fill="{fill}" '
            f'stroke="{edge}" stroke-width="1.5"/><text x="{x + 42}" y="{legend_y + 41}" '
            f'font-size="12" fill="#1b1b1b">{legend}</text>')
        x += 222
    parts.append("</svg>")
    return Markup("".join(parts))
