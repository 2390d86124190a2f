"""Content negotiation on the HTML URLs of the catalog and its datasets.

The routes whose row names RDF formats (catalog.site.routes: ``/`` and
``/datasets/<id>``) answer ``Accept: text/turtle`` (or ``application/ld+json``,
``application/rdf+xml``, ``application/n-triples`` for the catalog) with the same RDF as
their explicit URLs (``/catalog.ttl``, ``/datasets/<id>.ttl``…), sent with
``Content-Location`` and ``Vary: Accept``. HTML wins ties and wildcards, so browsers and
plain ``curl`` get pages.
"""

from __future__ import annotations

from ..interop import RDF_MEDIA_TYPES as MEDIA_TYPES
from .routes import ROUTES

HTML = ("text/html", "application/xhtml+xml")


def _accepted(accept: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        out[media.lower()] = max(q, out.get(media.lower(), 0.0))
    return out


def choose(accept: str, offered: tuple[str, ...]) -> str | None:
    """The suffix of the RDF format ``accept`` prefers to HTML, or None for HTML."""
    if not accept:
        return None
    accepted = _accepted(accept)
    html = max([accepted.get(h, 0.0) for h in HTML] + [accepted.get("text/*", 0.0),
                                                      accepted.get("*/*", 0.0)])
    best, best_q = None, 0.0
    for suffix in offered:
        q = accepted.get(MEDIA_TYPES[suffix], 0.0)
        if q > best_q:
            best, best_q = suffix, q
    return best if best and best_q > html else None


def variant(path: str, accept: str) -> str:
    """What the answer at ``path`` depends on in ``accept`` (for ETags and caches)."""
    formats = ROUTES.rdf(path)  # the routes that negotiate (catalog.site.routes)
    if not formats:
        return ""
    return choose(accept, formats) or "html"


def alternate_url(path: str, suffix: str) -> str:
    """The explicit URL of ``path`` in format ``suffix``."""
    if path == "/":
        return f"/catalog.{suffix}"
    return f"{path.rstrip('/')}.{suffix}"
