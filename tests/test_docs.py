"""docs/errors.md documents every registered problem code, once, under its stage."""

from __future__ import annotations

import re

from catalog.problems import CODES

from .conftest import REPO

ERRORS_MD = REPO / "docs" / "errors.md"


def _sections() -> dict[str, tuple[str, str]]:
    """code → (stage heading, section text) for each '### code' section."""
    sections: dict[str, tuple[str, str]] = {}
    stage, code, body = "", "", []
    for line in ERRORS_MD.read_text(encoding="utf-8").splitlines() + ["## end"]:
        if line.startswith(("## ", "### ")) and code:
            assert code not in sections, f"{code} is documented twice"
            sections[code] = (stage, "\n".join(body))
            code, body = "", []
        if line.startswith("## "):
            stage = line[3:].split(":")[0].strip()
        elif line.startswith("### "):
            code = line[4:].strip()
        elif code:
            body.append(line)
    return sections


def test_every_code_is_documented() -> None:
    headings = re.findall(r"^### (.+?)\s*$", ERRORS_MD.read_text(encoding="utf-8"), re.M)
    assert len(headings) == len(set(headings)), "a code is documented twice"
    assert set(headings) == set(CODES)


def test_sections_state_severity_and_stage() -> None:
    for code, (stage, body) in _sections().items():
        assert f"**Severity:** {CODES[code].severity.value}" in body, code
        assert stage == CODES[code].stage, f"{code} is under '{stage}', not '{CODES[code].stage}'"
        assert "```" in body, f"{code} has no example"
        assert "**Fix:**" in body, f"{code} does not say how to fix it"


def test_policy_sections_cite_their_source() -> None:
    for code, (stage, body) in _sections().items():
        if stage in ("policy", "agreements"):
            assert "**Source:**" in body, code
