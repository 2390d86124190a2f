"""Read an import source: a local file or an http(s) URL, as bytes, then as text.

Portals and the spreadsheets their exports pass through write text in several
encodings: UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text",
Socrata's "for Excel" exports), and Windows-1252 when a CSV was saved again by Excel on
Windows. :func:`decode` reads all of them; anything but UTF-8 is reported.
"""

from __future__ import annotations

import codecs
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..problems import CatalogError

MAX_BYTES = 200 * 1024 * 1024
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class Fetched:
    """The bytes of a source and where they came from."""

    name: str  # the path or URL as given
    raw: bytes
    content_type: str = ""

    @property
    def is_url(self) -> bool:
        return is_url(self.name)


def is_url(text: str) -> bool:
    return bool(re.match(r"^https?://", text))


def read(source: str | Path, *, timeout: float = 60, accept: str = "*/*") -> Fetched:
    """The bytes of a local file or an http(s) URL (one CatalogError when unusable)."""
    text = str(source)
    content_type = ""
    if is_url(text):
        request = urllib.request.Request(text, headers={
            "Accept": accept, "User-Agent": "ct-data-catalog import"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw = response.read(MAX_BYTES + 1)
                content_type = response.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CatalogError(f"cannot fetch {text}: {reason}",
                               hint="check the URL, or download the file and import it") from None
    else:
        path = Path(text)
        if not path.is_file():
            raise CatalogError(f"{text} does not exist",
                               hint="give a file or an http(s) URL")
        try:
            with path.open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CatalogError(f"cannot read {text}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise CatalogError(f"{text} is larger than {MAX_BYTES // (1024 * 1024)} MB",
                           hint="a catalog export is metadata; is this the right file?")
    return Fetched(text, raw, content_type)


def _charset(content_type: str) -> str | None:
    m = re.search(r"charset=([\w.-]+)", content_type, re.I)
    return m.group(1).lower() if m else None


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 text without a byte-order mark (every other byte NUL in ASCII text)."""
    sample = raw[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.9 and even < half * 0.1:
        return "utf-16-le"
    if even > half * 0.9 and odd < half * 0.1:
        return "utf-16-be"
    return None


def decode(fetched: Fetched) -> tuple[str, str]:
    """The text of ``fetched`` and the encoding it was read in.

    Byte-order marks decide first, then a charset the server declared, then UTF-8;
    text that is not valid UTF-8 is read as Windows-1252 (Latin-1 where Windows-1252
    leaves a byte undefined), the encoding of spreadsheets saved on Windows."""
    raw = fetched.raw
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding.replace("-sig", " with BOM")
            except UnicodeDecodeError as exc:
                raise CatalogError(f"{fetched.name} starts with a {encoding} byte-order mark "
                                   f"but is not {encoding} (byte {exc.start})") from None
    candidates = [c for c in (_charset(fetched.content_type), _utf16_without_bom(raw), "utf-8")
                  if c]
    for encoding in dict.fromkeys(candidates):
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    try:  # UTF-8 that encodes surrogates (WTF-8): the importer repairs them per value
        return raw.decode("utf-8", "surrogatepass"), "utf-8 with encoded surrogates"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"
