"""Exports served live by the site at their conventional URLs (/data.json,
/catalog.{jsonld,ttl,rdf,nt}, /datasets/<id>.{jsonld,ttl,rdf}, /sitemap.xml, …).

Each is computed once per build of public.db (the database is immutable while served)
and kept in memory as the bytes sent (:class:`Encoded`: UTF-8, and gzip-compressed once
for readers that accept it; data.json is 13 MB at 10,000 datasets, about 1 MB
compressed, and is neither encoded nor compressed again for a request), with strong
validators (an ETag that is a digest of the bytes, Last-Modified the build's time); a new
build (new file) computes afresh. Only public.db is ever read.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from ..interop import EXPORTS, Format
from ..interop.source import PublicCatalog, read
from ..problems import CatalogError

BY_FILENAME: dict[str, Format] = {f.filename: f for f in EXPORTS.values()}
DATASET_SUFFIXES = ("jsonld", "ttl", "rdf")


def _stamp(db: Path) -> tuple[int, int]:
    st = os.stat(db)
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=2)
def _read_catalog(db: str, stamp: tuple[int, int]) -> PublicCatalog:
    return read(Path(db))


_READING = threading.Lock()


def _catalog(db: str, stamp: tuple[int, int]) -> PublicCatalog:
    # exports are computed in threads, several at once after a build: the first reads
    # the catalog, the others wait for it rather than reading it again
    with _READING:
        return _read_catalog(db, stamp)


def catalog(db: Path) -> PublicCatalog:
    """The public catalog of the build at ``db`` (read once per build)."""
    return _catalog(str(db), _stamp(db))


def _export_bytes(name: str, db: str, stamp: tuple[int, int]) -> bytes:
    """The export ``name`` of the public database at ``db``, as UTF-8."""
    return EXPORTS[name].load()(_catalog(db, stamp)).encode("utf-8")


@dataclass(frozen=True)
class Encoded:
    """An export as sent: its bytes, the same gzip-compressed, and their validators."""

    identity: bytes
    gzip: bytes
    etag: str  # strong: a digest of the identity bytes; the gzip variant's ends in -gz
    last_modified: str  # an HTTP date: when the database was written

    @classmethod
    def of(cls, body: bytes, modified_ns: int) -> Encoded:
        digest = hashlib.sha256(body).hexdigest()[:32]
        # mtime=0: the same bytes compress to the same bytes, whichever process does it
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"',
                   formatdate(modified_ns / 1e9, usegmt=True))

    def variant(self, accept_encoding: str) -> tuple[bytes, str, str | None]:
        """(body, ETag, Content-Encoding) for a request's ``Accept-Encoding``."""
        if accepts_gzip(accept_encoding):
            return self.gzip, self.etag[:-1] + '-gz"', "gzip"
        return self.identity, self.etag, None


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip (``gzip`` or ``*``, q > 0)."""
    star = named = None
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding.strip() in ("gzip", "x-gzip"):
            named = q > 0
        elif coding.strip() == "*":
            star = q > 0
    return bool(named if named is not None else star)


@lru_cache(maxsize=2 * len(EXPORTS))  # every export of a build, and of the one before
def _encoded(name: str, db: str, stamp: tuple[int, int]) -> Encoded:
    return Encoded.of(_export_bytes(name, db, stamp), stamp[0])


def encoded(name: str, db: Path) -> Encoded:
    """The export ``name`` of the public database at ``db``, as :class:`Encoded`."""
    return _encoded(name, str(db), _stamp(db))


@lru_cache(maxsize=64)
def _dataset_package(db: str, stamp: tuple[int, int], dataset_id: str) -> str | None:
    from ..interop.datapackage import dataset_package

    try:
        package = dataset_package(_catalog(db, stamp), dataset_id)
    except CatalogError:
        return None
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def dataset_package(db: Path, dataset_id: str) -> str | None:
    """One public dataset's Data Package, or None when it has none."""
    return _dataset_package(str(db), _stamp(db), dataset_id)


@lru_cache(maxsize=128)
def _dataset_rdf(db: str, stamp: tuple[int, int], dataset_id: str, suffix: str
                 ) -> bytes | None:
    from ..interop import rdf

    try:
        doc = rdf.dataset_document(_catalog(db, stamp), dataset_id)
    except CatalogError:
        return None
    return rdf.serialise(doc, suffix).encode("utf-8")


def dataset_rdf(db: Path, dataset_id: str, suffix: str) -> bytes | None:
    """One dataset (public or listed) as DCAT-US 3.0 in ``suffix`` (jsonld, ttl, rdf)."""
    return _dataset_rdf(str(db), _stamp(db), dataset_id, suffix)


@lru_cache(maxsize=256)
def _schema_org(db: str, stamp: tuple[int, int], dataset_id: str) -> str | None:
    from ..interop import schemaorg

    cat = _catalog(db, stamp)
    row = next((d for d in cat.datasets if d["id"] == dataset_id), None)
    return schemaorg.script(schemaorg.dataset(cat, row)) if row else None


def schema_org(db: Path, dataset_id: str) -> str | None:
    """The schema.org Dataset markup of a dataset the public may see, as script text."""
    return _schema_org(str(db), _stamp(db), dataset_id)


def catalog_alternates() -> list[dict[str, str]]:
    """``<link rel="alternate">`` targets of the home page: every catalog export."""
    return [{"type": f.media_type, "href": f"/{f.filename}", "title": f.description}
            for f in EXPORTS.values()]


def dataset_alternates(dataset_id: str) -> list[dict[str, str]]:
    """``<link rel="alternate">`` targets of a dataset page."""
    from ..interop import RDF_MEDIA_TYPES

    names = {"jsonld": "DCAT-US 3.0 JSON-LD", "ttl": "DCAT-US 3.0 Turtle",
             "rdf": "DCAT-US 3.0 RDF/XML"}
    return [{"type": RDF_MEDIA_TYPES[s], "href": f"/datasets/{dataset_id}.{s}",
             "title": names[s]} for s in DATASET_SUFFIXES] + [
        {"type": "application/json", "href": f"/datasets/{dataset_id}.json",
         "title": "Catalog record (JSON)"}]


# -- discovery ------------------------------------------------------------------------------

def _lastmod(value: object) -> str | None:
    text = str(value or "")[:10]
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=4)
def _sitemap(db: str, stamp: tuple[int, int], base: str) -> bytes:
    cat = _catalog(db, stamp)
    built = _lastmod(cat.meta.get("built_at"))
    entries: list[tuple[str, str | None]] = [
        (f"{base}/", built), (f"{base}/search", built), (f"{base}/agencies", built),
        (f"{base}/standards", built)]
    entries += [(f"{base}/datasets/{d['id']}", _lastmod(d["modified"]) or built)
                for d in cat.datasets]
    entries += [(f"{base}/agencies/{a}", built) for a in sorted(cat.agencies)]
    entries += [(f"{base}/standards/{s}", built) for s in sorted(cat.standards)]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for loc, lastmod in entries:
        mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{escape(loc)}</loc>{mod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def base_url(db: Path, request_base: str) -> str:
    """The catalog's configured base URL, else the one the request came to."""
    return catalog(db).base_url or request_base.rstrip("/")


def sitemap(db: Path, request_base: str) -> bytes:
    """sitemap.xml: the public pages (home, search, each public or listed dataset, each
    agency and standard)."""
    return _sitemap(str(db), _stamp(db), base_url(db, request_base))


def robots(db: Path, request_base: str) -> bytes:
    """robots.txt: crawl the public pages; the staff database and Datasette's internal
    routes are not for crawlers."""
    base = base_url(db, request_base)
    return ("User-agent: *\nDisallow: /inventory\nDisallow: /-/\nDisallow: /_memory\n"
            f"Allow: /\n\nSitemap: {base}/sitemap.xml\n").encode("utf-8")
