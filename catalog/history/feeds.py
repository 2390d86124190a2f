"""Atom (RFC 4287) feeds of new and changed public datasets, written with the standard
library's ElementTree (every text escaped by it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def atom(rows: Iterable[dict[str, Any]], *, title: str, base_url: str, feed_path: str,
         page_path: str, updated: str) -> bytes:
    """One entry per change: ``rows`` have dataset_id, commit_sha, committed_at, kind,
    summary, title, description and agency_name."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _el(feed, "id", f"{base_url}{feed_path}")
    _el(feed, "title", title)
    _el(feed, "updated", updated)
    _el(feed, "link", rel="self", href=f"{base_url}{feed_path}",
        type="application/atom+xml")
    _el(feed, "link", rel="alternate", href=f"{base_url}{page_path}", type="text/html")
    author = _el(feed, "author")
    _el(author, "name", title.split(":")[0])
    _el(feed, "generator", "catalog")
    for r in rows:
        entry = _el(feed, "entry")
        page = f"{base_url}/datasets/{r['dataset_id']}"
        _el(entry, "id", f"{page}/history#{r['commit_sha']}")
        what = "New dataset" if r["kind"] == "added" else "Changed"
        _el(entry, "title", f"{what}: {r['title']}")
        _el(entry, "updated", r["committed_at"])
        _el(entry, "link", rel="alternate", href=page, type="text/html")
        _el(entry, "category", term=r["kind"])
        if r.get("agency_name"):
            _el(_el(entry, "author"), "name", r["agency_name"])
        _el(entry, "summary", r["summary"] if r["kind"] != "added"
            else f"{r['summary']}. {r['description']}", type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
