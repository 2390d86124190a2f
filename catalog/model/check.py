"""Model validation: pydantic errors → problems with positions and did-you-mean hints."""

from __future__ import annotations

import difflib
import types
import typing
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, create_model

from .. import problems as P
from ..load import Document, join
from ..problems import Problem

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    "string_type": "a text string", "int_type": "a whole number", "int_parsing": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)", "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "int_from_float": "a whole number", "none_required": "nothing",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    text = str(value)
    return f"the text {text[:40]!r}" + ("…" if len(text) > 40 else "")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """BaseModel classes reachable through Optional/list/dict/Annotated wrappers."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _enum_choices(annotation: Any) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    choices: list[str] = []
    if origin in (typing.Union, types.UnionType, typing.Annotated) or origin is None:
        for arg in typing.get_args(annotation):
            choices.extend(_enum_choices(arg))
    return choices


def _field_map(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def _model_at(model: type[BaseModel], path: list[str | int]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        info = _field_map(current).get(part)
        if info is None:
            return None
        nested = _models_in(info.annotation)
        current = nested[0] if nested else None
    return current


def _data_path(data: Any, loc: tuple[Any, ...]) -> list[str | int]:
    """Keep the parts of a pydantic ``loc`` that are real keys/indexes of the data
    (drops union-member and validator labels such as 'list[str]')."""
    path: list[str | int] = []
    cursor = data
    for part in loc:
        if isinstance(cursor, dict) and isinstance(part, str) and part in cursor:
            path.append(part)
            cursor = cursor[part]
        elif isinstance(cursor, list) and isinstance(part, int) and 0 <= part < len(cursor):
            path.append(part)
            cursor = cursor[part]
        # other parts are pydantic labels (union members, validators): skip
    return path


def _pointer(path: list[str | int]) -> str:
    pointer = ""
    for part in path:
        pointer = join(pointer, part)
    return pointer


def _label(path: list[str | int]) -> str:
    return ".".join(str(p) for p in path) or "the file"


def check(doc: Document, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Validate ``doc.data`` against ``model``; every error becomes a Problem."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, to_problems(doc, model, exc)


def check_partial(doc: Document, model: type[M]
                  ) -> tuple[M | None, list[Problem], frozenset[str]]:
    """As :func:`check`; when the file is a mapping with errors, also a *partial*
    model built from the top-level properties that are valid, with the names of the
    others (invalid, unknown or missing: ``broken``). Rules that read only valid
    properties still run on it, so one run reports every layer's problems."""
    try:
        return model.model_validate(doc.data), [], frozenset()
    except ValidationError as exc:
        problems = to_problems(doc, model, exc)
        if not isinstance(doc.data, dict):
            return None, problems, frozenset()
        broken = {str(loc[0]) for loc in (e["loc"] for e in exc.errors()) if loc}
        good = {k: v for k, v in doc.data.items() if k not in broken}
        try:
            partial = _partial_model(model).model_validate(good)
        except ValidationError:
            return None, problems, frozenset()
        return partial, problems, frozenset(broken)  # type: ignore[return-value]


_PARTIAL: dict[type[BaseModel], type[BaseModel]] = {}


def _partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with every required top-level property optional (None when absent)."""
    if model not in _PARTIAL:
        optional: dict[str, Any] = {
            name: (info.annotation | None, Field(None, alias=info.alias))  # type: ignore[operator]
            for name, info in model.model_fields.items() if info.is_required()}
        _PARTIAL[model] = create_model(f"Partial{model.__name__}", __base__=model,
                                       **optional)
    return _PARTIAL[model]


def to_problems(doc: Document, model: type[BaseModel], exc: ValidationError) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = tuple(err["loc"])
        if kind == "missing":
            path = _data_path(doc.data, loc[:-1]) + [loc[-1]]
        else:
            path = _data_path(doc.data, loc)
        pointer = _pointer(path)
        if pointer in seen:  # a union reports each member: one problem per place
            continue
        seen.add(pointer)
        name = str(path[-1]) if path else ""
        parent = _model_at(model, path[:-1])
        if kind == "missing":
            siblings = _siblings(doc.data, path[:-1])
            close = difflib.get_close_matches(name, siblings, n=1, cutoff=0.75)
            hint = (f"is '{close[0]}' a misspelling of '{name}'?" if close
                    else f"add '{name}:' " + (f"under {_label(path[:-1])}" if path[:-1]
                                              else "at the top level"))
            out.append(doc.problem(P.MISSING_PROPERTY, f"'{name}' is required in "
                                   f"{_label(path[:-1])}", _pointer(path[:-1]), hint=hint))
        elif kind == "extra_forbidden":
            known = list(_field_map(parent)) if parent else []
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close
                    else "allowed here: " + ", ".join(sorted(known)[:12])
                    + ("…" if len(known) > 12 else ""))
            out.append(doc.problem(P.UNKNOWN_PROPERTY, f"unknown property '{name}' in "
                                   f"{_label(path[:-1])}", pointer, key=True, hint=hint))
        elif kind in _TYPE_NAMES:
            out.append(doc.problem(P.INVALID_TYPE, f"{_label(path)} must be {_TYPE_NAMES[kind]}, "
                                   f"not {_describe(err.get('input'))}", pointer,
                                   hint=_type_hint(kind, err.get("input"))))
        else:
            info = _field_map(parent).get(name) if parent else None
            choices = _enum_choices(info.annotation) if info else []
            message = f"{_label(path)}: {err['msg']}"
            hint = ""
            if choices:
                value = str(err.get("input"))
                close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
                hint = (f"did you mean '{close[0]}'? " if close else "") + \
                    "allowed: " + ", ".join(choices)
            elif "pattern" in kind:
                hint = _pattern_hint(name)
            out.append(doc.problem(P.INVALID_VALUE, message, pointer, hint=hint))
    return out


def _siblings(data: Any, path: list[str | int]) -> list[str]:
    cursor = data
    for part in path:
        try:
            cursor = cursor[part]
        except (KeyError, IndexError, TypeError):
            return []
    return [k for k in cursor] if isinstance(cursor, dict) else []


def _type_hint(kind: str, value: Any) -> str:
    if kind.startswith("date"):
        return "write dates as YYYY-MM-DD, e.g. 2025-07-01"
    if kind == "bool_type":
        return "write true or false (yes/no are text in this catalog)"
    if kind == "string_type" and isinstance(value, (int, float, bool)):
        return "quote the value to make it text, e.g. \"06106\""
    if kind in ("list_type",):
        return "write a list: one '- item' per line, or [a, b]"
    if kind in ("model_type", "dict_type"):
        return "write a mapping of 'key: value' lines indented under this key"
    return ""


def _pattern_hint(name: str) -> str:
    ids = ("id", "agency", "level", "standard", "license", "granularity")
    if name in ids or name.endswith("_id"):
        return "identifiers use lower-case letters, digits and '-', e.g. dcf-placements"
    if "url" in name or name in ("landing_page", "conforms_to", "website"):
        return "write a full URL starting with https://"
    if name == "email":
        return "write an address like name@ct.gov"
    return ""
