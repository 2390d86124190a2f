"""Descriptor text → safe HTML: CommonMark (raw HTML disabled) rendered by markdown-it-py,
then sanitised by nh3 with a small allow-list, so nothing a descriptor says can run
script in a reader's browser."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset({
    "a", "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
})
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
_HEADING = re.compile(r"<(/?)h([1-6])>")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return md.enable(["table", "strikethrough"])


def sanitize(html: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes."""
    return nh3.clean(html, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
                     url_schemes=set(URL_SCHEMES), link_rel=LINK_REL)


def to_html(text: str | None) -> str:
    """Markdown → sanitised HTML ('' for empty text). Headings are shifted down two levels
    (h1 → h3 … h4 and below → h6), so a descriptor's '# Title' never competes with the
    page's own h1 and h2."""
    if not text:
        return ""
    html = _HEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + 2)}>", _parser().render(text))
    return sanitize(html)
