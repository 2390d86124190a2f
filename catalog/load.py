"""Load stage: YAML bytes → plain Python data + the position of any JSON pointer.

PyYAML's C parser composes the node tree (fast, marks on every node); this module turns
nodes into dicts/lists/scalars itself so that it can

* keep dates as the strings the steward wrote (no implicit timestamp resolver), and read
  only ``true``/``false`` as booleans (YAML 1.2 core schema: ``no`` stays the string "no"),
* reject duplicate keys, aliases (billion-laughs bombs), custom tags and absurd nesting,
* keep the node tree, whose marks give the ``(line, column)`` of any value or key when a
  problem needs it (looked up then, not recorded for every value in advance).

Nothing here raises on bad input: problems are returned as data.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import problems as P
from .problems import Problem

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40

Position = tuple[int, int]


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Loader(yaml.CSafeLoader):  # type: ignore[misc]
    """C-accelerated safe loader with YAML 1.2-like implicit typing.

    ``resolve`` is PyYAML's, less what descriptors never use (path resolvers, the
    timestamp and YAML 1.1 boolean resolvers), which makes it about three times faster:
    it is called once for every scalar."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _RESOLVED.get(value)  # keys and short values repeat from file to file
            if tag is None:
                tag = _STR_TAG
                for candidate, regexp in _IMPLICIT.get(value[:1], ()):
                    if regexp.match(value):
                        tag = candidate
                        break
                if len(value) < 64:
                    if len(_RESOLVED) > 100_000:
                        _RESOLVED.clear()
                    _RESOLVED[value] = tag
            return tag  # type: ignore[no-any-return]
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# an empty plain scalar resolves like PyYAML's: through the resolvers listed under None
_IMPLICIT = {**_Loader.yaml_implicit_resolvers, "": _Loader.yaml_implicit_resolvers.get(None, [])}
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVED: dict[str, str] = {}

_SCALAR = yaml.constructor.SafeConstructor()
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str": lambda n: n.value,
    "tag:yaml.org,2002:int": _SCALAR.construct_yaml_int,
    "tag:yaml.org,2002:float": _SCALAR.construct_yaml_float,
    "tag:yaml.org,2002:bool": lambda n: n.value.lower() == "true",
    "tag:yaml.org,2002:null": lambda n: None,
}


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def join(pointer: str, token: str | int) -> str:
    return f"{pointer}/{escape(str(token))}"


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


@dataclass
class Document:
    """One loaded YAML file."""

    path: Path
    rel: str
    data: Any = None
    root: yaml.Node | None = field(default=None, repr=False)  # marks for every position
    sha256: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == P.Severity.ERROR for p in self.problems)

    def locate(self, pointer: str, *, key: bool = False) -> Position | tuple[None, None]:
        """Position of ``pointer``; of its key when ``key``; else of the nearest ancestor."""
        node = self.root
        if node is None:
            return (None, None)
        key_node = None
        for token in pointer.split("/")[1:] if pointer else ():
            token = unescape(token)
            found = None
            if isinstance(node, yaml.MappingNode):
                found = next(((k, v) for k, v in node.value
                              if isinstance(k, yaml.ScalarNode) and k.value == token), None)
            elif isinstance(node, yaml.SequenceNode) and token.isdigit() \
                    and int(token) < len(node.value):
                found = (None, node.value[int(token)])
            if found is None:
                key_node = None
                break
            key_node, node = found
        mark = (key_node if key and key_node is not None else node).start_mark
        return (mark.line + 1, mark.column + 1)

    def problem(self, code: str, message: str, pointer: str = "", *, key: bool = False,
                **kw: Any) -> Problem:
        line, column = self.locate(pointer, key=key)
        return Problem.make(code, message, file=self.rel, line=line, column=column,
                            pointer=pointer, **kw)


_HINTS = (
    ("'\\t'", "indent with spaces: YAML does not allow tab characters for indentation"),
    ("found unexpected end of stream", "a quoted string is not closed"),
    ("while scanning a quoted scalar", "a quoted string is not closed"),
    ("mapping values are not allowed", "a value containing ': ' must be quoted"),
    ("could not find expected ':'", "each line of a mapping needs 'key: value'"),
    ("did not find expected key", "check the indentation of this line and the one above"),
    ("special characters are not allowed", "remove control characters from the file"),
    ("found undefined alias", "anchors and aliases are not allowed in descriptors"),
)


def _syntax_hint(message: str, text: str, mark: yaml.Mark | None) -> str:
    if mark is not None:
        lines = text.splitlines()
        if mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
            return "indent with spaces: YAML does not allow tab characters for indentation"
    for needle, hint in _HINTS:
        if needle in message:
            return hint
    return "check the YAML syntax around this position"


_FLOW_LIMIT = 1000  # libyaml's composer recurses in C: deep flow nesting would crash it
_BRACKETS = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """Cheap upper bound of the nesting depth, checked before libyaml sees the text.

    Flow nesting is bounded by the running count of '[' / '{'. Block nesting needs a
    strictly greater column at each level, so it is bounded by the indentation plus the
    compact indicators ('- ', '? ', ': ') of a line: only lines longer than the limit
    can reach it.
    """
    if text.count("[") + text.count("{") >= _FLOW_LIMIT:
        depth = 0
        for match in _BRACKETS.finditer(text):
            depth += 1 if match.group() in "[{" else -1
            if depth >= _FLOW_LIMIT:
                return True
    if len(text) < _FLOW_LIMIT:
        return False
    for line in text.splitlines():
        if len(line) >= _FLOW_LIMIT:
            body = line.lstrip(" ")
            bound = len(line) - len(body) + sum(body.count(t) for t in ("- ", "? ", ": "))
            if bound >= _FLOW_LIMIT:
                return True
    return False


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.seen: set[int] = set()
        self.alias_reported = False

    def build(self, node: yaml.Node, parent: str, token: str | int | None, depth: int) -> Any:
        """Plain data from ``node``, the value at ``token`` in ``parent`` (JSON pointers,
        joined only when a problem or a child needs them)."""
        doc = self.doc
        if id(node) in self.seen:
            if not self.alias_reported:  # one report per file: a bomb has thousands
                self.alias_reported = True
                line = node.start_mark.line + 1
                pointer = _pointer(parent, token)
                # an alias has no node of its own: it is placed at its key, or at the
                # sequence that holds it
                at, col = doc.locate(pointer, key=True) if isinstance(token, str) \
                    else doc.locate(parent)
                doc.problems.append(Problem.make(
                    P.YAML_ALIAS,
                    f"the value at {pointer or '/'} is an alias of the anchor on line {line}",
                    file=doc.rel, line=at, column=col, pointer=pointer,
                    hint="write the value out in full; anchors and aliases are not allowed "
                    "(they can expand exponentially)"))
            return None
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            doc.problems.append(doc.problem(
                P.YAML_TOO_DEEP, f"nesting deeper than {MAX_DEPTH} levels",
                _pointer(parent, token),
                hint="descriptors are shallow; check for runaway brackets"))
            return None
        if isinstance(node, yaml.ScalarNode):
            construct = _SCALAR_TAGS.get(node.tag)
            if construct is None:
                doc.problems.append(doc.problem(
                    P.YAML_TAG, f"tag {node.tag!r} is not allowed", _pointer(parent, token),
                    hint="remove the '!' tag; descriptors hold plain values only"))
                return None
            try:
                return construct(node)
            except (ValueError, yaml.YAMLError):
                return node.value
        pointer = _pointer(parent, token)
        if node.tag != (_SEQ_TAG if isinstance(node, yaml.SequenceNode) else _MAP_TAG):
            doc.problems.append(doc.problem(P.YAML_TAG, f"tag {node.tag!r} is not allowed",
                                            pointer, hint="remove the '!' tag"))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, pointer, i, depth + 1) for i, item in enumerate(node.value)]
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _KEY_TAGS:
                doc.problems.append(Problem.make(
                    P.YAML_KEY_NOT_STRING, "mapping key is not a plain string",
                    file=doc.rel, line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1, pointer=pointer,
                    hint="keys are property names such as 'title'"))
                continue
            key = key_node.value
            if key in result:
                first = next(k for k, _ in node.value
                             if isinstance(k, yaml.ScalarNode) and k.value == key)
                doc.problems.append(Problem.make(
                    P.YAML_DUPLICATE_KEY, f"key {key!r} appears twice in this mapping",
                    file=doc.rel, line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1, pointer=join(pointer, key),
                    hint=f"the first {key!r} is on line {first.start_mark.line + 1}; "
                    "keep one of them"))
                continue
            result[key] = self.build(value_node, pointer, key, depth + 1)
        return result


_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
             "tag:yaml.org,2002:float")


def _pointer(parent: str, token: str | int | None) -> str:
    return parent if token is None else join(parent, token)


def _decode(raw: bytes, doc: Document) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        doc.problems.append(Problem.make(
            P.FILE_NOT_UTF8, f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8",
            file=doc.rel, line=line, column=column,
            hint="save the file as UTF-8 (most editors: 'Save with encoding')"))
        return None
    return text.removeprefix("\ufeff")


def load_bytes(raw: bytes, path: Path, rel: str) -> Document:
    """Parse one YAML document; problems are collected on the returned Document."""
    doc = Document(path=path, rel=rel, sha256=hashlib.sha256(raw).hexdigest())
    if len(raw) > MAX_BYTES:
        doc.problems.append(Problem.make(
            P.FILE_TOO_LARGE, f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}",
            file=rel, hint="descriptors hold metadata, not data: move data to a sample file"))
        return doc
    text = _decode(raw, doc)
    if text is None:
        return doc
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        doc.problems.append(Problem.make(
            P.FILE_EMPTY, "file has no content", file=rel, line=1, column=1,
            hint="start from 'catalog new AGENCY ID' or delete the file"))
        return doc
    if _too_deep(text):
        doc.problems.append(Problem.make(
            P.YAML_TOO_DEEP, f"nesting may exceed {_FLOW_LIMIT} levels", file=rel,
            hint="descriptors are shallow; check for runaway brackets"))
        return doc
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        hint = _syntax_hint(message, text, mark)
        if exc.context == "while scanning a quoted scalar" and exc.context_mark:
            # libyaml notices where the text ends; the steward needs where the quote opened
            mark = exc.context_mark
            message = "this quoted string is never closed"
            hint = "end the value with the same quote character, or remove the opening one"
        doc.problems.append(Problem.make(
            P.YAML_SYNTAX, message or "invalid YAML", file=rel,
            line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
            hint=hint))
        return doc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ...)
        position = min(int(exc.position), len(text))
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        what = "a null byte (U+0000)" if char == 0 else f"the control character U+{char:04X}"
        doc.problems.append(Problem.make(
            P.YAML_SYNTAX, f"{what}: YAML allows no control characters", file=rel,
            line=text.count("\n", 0, position) + 1,
            column=position - (text.rfind("\n", 0, position) + 1) + 1,
            hint="remove it (a file saved as UTF-16, or binary data pasted in, has them)"))
        return doc
    except yaml.YAMLError as exc:  # e.g. several documents in one stream
        doc.problems.append(Problem.make(P.YAML_SYNTAX, str(exc).splitlines()[0], file=rel,
                                         hint="a descriptor is a single YAML document"))
        return doc
    except RecursionError:
        doc.problems.append(Problem.make(P.YAML_TOO_DEEP, "nesting is too deep to read",
                                         file=rel, hint="check for runaway brackets"))
        return doc
    if node is None:
        doc.problems.append(Problem.make(P.FILE_EMPTY, "file has no content", file=rel,
                                         line=1, column=1))
        return doc
    doc.root = node
    data = _Builder(doc).build(node, "", None, 0)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        doc.problems.append(doc.problem(
            P.YAML_NOT_MAPPING, f"the file holds {kind}, not a mapping of properties", "",
            hint="a descriptor starts with 'id: ...' at the left margin"))
        return doc
    doc.data = data
    return doc


def _too_large(path: Path, rel: str, size: int) -> Document:
    """A file over the size limit: hashed in blocks, never held in memory."""
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    doc = Document(path=path, rel=rel, sha256=sha)
    doc.problems.append(Problem.make(
        P.FILE_TOO_LARGE, f"file is {size:,} bytes; the limit is {MAX_BYTES:,}", file=rel,
        hint="descriptors hold metadata, not data: move data to a sample file"))
    return doc


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a special file"


def load_file(path: Path, rel: str) -> Document:
    """Read and parse one file (one over the size limit, or one that is not a regular
    file, is refused unread)."""
    try:
        kind = os.stat(path).st_mode
        if not stat.S_ISREG(kind):  # opening a FIFO would wait for a writer forever
            doc = Document(path=path, rel=rel)
            doc.problems.append(Problem.make(
                P.FILE_NOT_REGULAR, f"not a regular file ({_kind(kind)}); skipped", file=rel,
                hint="replace it with an ordinary YAML file, or remove it"))
            return doc
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES:
                return _too_large(path, rel, size)
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        doc = Document(path=path, rel=rel)
        doc.problems.append(Problem.make(P.FILE_UNREADABLE, exc.strerror or str(exc), file=rel,
                                         hint="check the file's permissions"))
        return doc
    if len(raw) > MAX_BYTES:  # grew since it was measured
        return _too_large(path, rel, len(raw))
    return load_bytes(raw, path, rel)
