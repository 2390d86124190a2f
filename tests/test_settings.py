"""One settings table: every environment variable the catalog reads is in
catalog/settings.py and documented, with its default, in docs/settings.md."""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

from catalog.settings import SETTINGS, value

from .conftest import REPO

NAME = re.compile(r"\b((?:CATALOG|DATASETTE)_[A-Z][A-Z_]*[A-Z])\b")
TEST_ONLY = {"CATALOG_FAULT_SEED"}  # read by the fault-injection tests, not the catalog
DOC = REPO / "docs" / "settings.md"


def _rows() -> dict[str, tuple[str, str]]:
    """variable → (default, what) from the table of docs/settings.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


# string literals (docstrings and f-strings included) and comments
TEXT = {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _strings(path: Path) -> Iterator[str]:
    """The text of a module's strings and comments (not its names: constants such as
    CATALOG_FILE are no settings)."""
    with path.open("rb") as fh:
        for token in tokenize.tokenize(fh.readline):
            if token.type in TEXT:
                yield token.string


def test_every_variable_the_code_names_is_a_setting() -> None:
    """Every variable name in the code's strings and comments (what it reads, and what
    its messages and docstrings tell people to set)."""
    sources = [*(REPO / "catalog").rglob("*.py"), *(REPO / "plugins").glob("*.py")]
    named = {m for p in sources for text in _strings(p) for m in NAME.findall(text)}
    assert named - set(SETTINGS) == set()
    assert {"CATALOG_USAGE_URL", "CATALOG_SSO_HEADER", "DATASETTE_SECRET"} <= named


def test_every_setting_is_documented_with_its_default() -> None:
    rows = _rows()
    assert set(rows) == set(SETTINGS)
    for name, setting in SETTINGS.items():
        default, what = rows[name]
        assert what, name
        if setting.default:
            assert default == f"`{setting.default}`", name
        if setting.secret:
            assert "secret" in what, f"{name} is a secret: say so"


def test_the_docs_name_only_settings() -> None:
    named = {m for p in (REPO / "docs").rglob("*.md")
             for m in NAME.findall(p.read_text(encoding="utf-8"))}
    named |= set(NAME.findall((REPO / "README.md").read_text(encoding="utf-8")))
    assert named - set(SETTINGS) - TEST_ONLY == set()


def test_a_blank_or_unset_variable_means_the_default() -> None:
    assert value("CATALOG_USAGE_FLUSH_SECONDS", {}) == "10"
    assert value("CATALOG_USAGE_FLUSH_SECONDS", {"CATALOG_USAGE_FLUSH_SECONDS": " "}) == "10"
    assert value("CATALOG_USAGE_FLUSH_SECONDS", {"CATALOG_USAGE_FLUSH_SECONDS": "2"}) == "2"
    assert value("CATALOG_SSO_HEADER", {}) == ""


READS = re.compile(r"\b(?:environ|env|getenv)\b(?:\.get)?\s*[\(\[]\s*[\"'](?:CATALOG|DATASETTE)_")


def test_settings_are_read_only_through_the_table() -> None:
    """No module reads a setting from the environment itself: each goes through
    catalog.settings.value (and so has its documented default)."""
    sources = [*(REPO / "catalog").rglob("*.py"), *(REPO / "plugins").glob("*.py")]
    readers = [p.relative_to(REPO).as_posix() for p in sources
               if p.name != "settings.py" and READS.search(p.read_text(encoding="utf-8"))]
    assert readers == []


def test_the_sso_settings_are_read_once_per_process() -> None:
    from catalog.site.access import Sso, sso

    assert sso() is sso()
    env = {"CATALOG_SSO_HEADER": "X-Remote-User", "CATALOG_SSO_SECRET": "s" * 32}
    assert sso(env) == Sso("x-remote-user", "s" * 32, "")
    assert sso({**env, "CATALOG_SSO_SECRET": "short"}).problem
