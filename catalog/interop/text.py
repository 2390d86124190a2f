"""Bad text in imported metadata, repaired value by value.

Real portals publish text that cannot be written as UTF-8 or read back from YAML: lone
surrogates (a JSON ``\\ud83d`` escape without its pair), control characters pasted from
word processors, and mojibake (UTF-8 decoded as Windows-1252 somewhere upstream,
``Café`` shown as ``CafÃ©``). :func:`repair` fixes each string of an entry and says what
it changed, so that the importer can report it per dataset instead of failing the
whole catalog.

Mojibake is undone with ftfy's ``fix_encoding`` (only encoding errors; quotes, dashes
and ligatures are left as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import ftfy

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0 controls except tab, line feed and carriage return; DEL; C1 controls
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ASCII = re.compile(r"^[\x20-\x7e\t\n\r]*$")

SURROGATES, CONTROLS, MOJIBAKE = "lone surrogates", "control characters", "mojibake"


@dataclass
class Repairs:
    """What :func:`repair` changed: JSON pointers (relative to the value) per kind."""

    found: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, pointer: str) -> None:
        self.found.setdefault(kind, []).append(pointer or "/")

    def __bool__(self) -> bool:
        return bool(self.found)

    def describe(self) -> str:
        parts = []
        for kind, pointers in self.found.items():
            shown = ", ".join(pointers[:3]) + (f" and {len(pointers) - 3} more"
                                               if len(pointers) > 3 else "")
            parts.append(f"{kind} in {shown}")
        return "; ".join(parts)


def repair_text(text: str, pointer: str, repairs: Repairs) -> str:
    """``text`` with mojibake undone, lone surrogates replaced by U+FFFD and control
    characters removed."""
    if _ASCII.match(text):
        return text
    out = text
    if _SURROGATE.search(out):
        out = _SURROGATE.sub(REPLACEMENT, out)
        repairs.add(SURROGATES, pointer)
    fixed = ftfy.fix_encoding(out)
    if fixed != out:
        out = fixed
        repairs.add(MOJIBAKE, pointer)
    if _CONTROL.search(out):
        out = _CONTROL.sub("", out)
        repairs.add(CONTROLS, pointer)
    return out


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def repair(value: Any, repairs: Repairs, pointer: str = "") -> Any:
    """``value`` (parsed JSON) with every string and key repaired."""
    if isinstance(value, str):
        return repair_text(value, pointer, repairs)
    if isinstance(value, list):
        return [repair(v, repairs, f"{pointer}/{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = repair_text(k, pointer, repairs) if isinstance(k, str) else k
            out[key] = repair(v, repairs, f"{pointer}/{_escape(str(key))}")
        return out
    return value
