"""The shared half of every importer: entries in DCAT-US 1.1 shape → descriptor files.

Each source format (``catalog/interop/import_*.py``) turns its records into
:class:`Entry` objects: a dict shaped like a data.json dataset, plus the source's own
leftovers. :func:`plan` maps them onto descriptors and says, per entry, what it repaired,
kept aside or skipped, as :class:`~catalog.problems.Problem` values with registered codes
(``stage: import``). It reads the project (vocabularies, existing files) and writes
nothing; :mod:`catalog.interop.sync` writes.

Nothing is dropped silently: data.json properties the descriptor has no place for are
kept verbatim under ``extensions.datajson`` (the data.json export writes them back), and
what only the source format knows under ``extensions.<format>``. Bad text (lone
surrogates, control characters, mojibake) is repaired per entry and reported; one bad
entry never stops the others.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from .. import problems as P
from ..load import Document, load_bytes, load_file
from ..model import Agency, Dataset
from ..model.check import check
from ..model.common import ID_PATTERN, DateText, Email, Url
from ..problems import CatalogError, Problem, Severity
from ..project import AGENCY_FILE, Project, discover
from ..standards import load_standards
from .licenses import LicenseIndex
from .text import Repairs, repair

WARNING, INFO = Severity.WARNING, Severity.INFO
MAX_ID = 80
ACCESS_LEVELS = ("public", "restricted public", "non-public")
(SOURCE_FORMAT, TEXT_REPAIRED, PUBLISHER_UNMAPPED, AGENCY_EXISTS, AGENCY_NAME_DIFFERS,
 IDENTIFIER_EXISTS, DATASET_SKIPPED, NOT_A_DATASET, VALUE_REPAIRED, VALUE_KEPT,
 KEYWORD_DROPPED, DISTRIBUTION_KEPT, MISSING_CONTACT, PROPERTIES_KEPT, LICENSE_MAPPED,
 DESCRIPTOR_INVALID) = (
    P.SOURCE_FORMAT, P.TEXT_REPAIRED, P.PUBLISHER_UNMAPPED, P.AGENCY_EXISTS,
    P.AGENCY_NAME_DIFFERS, P.IDENTIFIER_EXISTS, P.DATASET_SKIPPED, P.NOT_A_DATASET,
    P.VALUE_REPAIRED, P.VALUE_KEPT, P.KEYWORD_DROPPED, P.DISTRIBUTION_KEPT,
    P.MISSING_CONTACT, P.PROPERTIES_KEPT, P.LICENSE_MAPPED, P.DESCRIPTOR_INVALID)

DATASET_PROPERTIES = {
    "@type", "identifier", "title", "description", "keyword", "modified", "publisher",
    "contactPoint", "accessLevel", "rights", "license", "spatial", "temporal", "issued",
    "accrualPeriodicity", "landingPage", "distribution",
}
DISTRIBUTION_PROPERTIES = {
    "@type", "downloadURL", "accessURL", "mediaType", "format", "title", "description",
    "conformsTo", "describedBy", "describedByType",
}
# @type values that carry no information (the exporter writes them back).
IMPLIED_TYPES = {"dataset": "dcat:Dataset", "distribution": "dcat:Distribution",
                 "publisher": "org:Organization", "contactPoint": "vcard:Contact"}

MEDIA_IDS = {
    "text/csv": "csv", "application/csv": "csv", "application/json": "json",
    "application/xml": "xml", "text/xml": "xml", "application/rdf+xml": "rdf",
    "text/html": "html", "application/pdf": "pdf", "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/zip": "zip", "application/gzip": "gz", "text/plain": "txt",
    "application/rss+xml": "rss", "application/geo+json": "geojson",
    "application/vnd.geo+json": "geojson", "application/vnd.google-earth.kml+xml": "kml",
    "application/x-shapefile": "shapefile",
}
KIND_TITLES = {"download": "Download", "api": "API", "landing-page": "Web page"}
STOPWORDS = {"of", "the", "and", "for", "on", "in", "at", "to", "a", "an"}

_DATE_TEXT: TypeAdapter[str] = TypeAdapter(DateText)
_URL: TypeAdapter[str] = TypeAdapter(Url)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_ID = re.compile(ID_PATTERN)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Entry:
    """One record of the source, shaped like a data.json dataset (``data``), with what
    only the source format knows (``ext``, kept under ``extensions.<format>``)."""

    index: int
    data: Any
    pointer: str  # JSON pointer (or row) of the record in the source
    line: int | None = None  # line in the source, for CSV
    ext: dict[str, Any] = field(default_factory=dict)
    skip: tuple[str, str] | None = None  # (code, why) when the record is not imported


@dataclass
class Parsed:
    """What a source format's reader found."""

    format: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class PlannedFile:
    path: Path  # relative to the project root
    text: str
    kind: str  # "agency" | "dataset"
    data: dict[str, Any] = field(default_factory=dict)
    dataset_index: int | None = None
    identifier: str | None = None
    comments: dict[str, list[str]] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    source: str
    format: str = "datajson"
    datasets_in_source: int = 0
    files: list[PlannedFile] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    agencies: dict[str, str] = field(default_factory=dict)  # publisher name → agency id
    unmapped: list[str] = field(default_factory=list)  # publishers given a derived id
    # filled by catalog.interop.sync
    written: list[Path] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    conflicts: list[Path] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # identifiers
    dry_run: bool = False

    @property
    def datasets(self) -> list[PlannedFile]:
        return [f for f in self.files if f.kind == "dataset"]

    def codes(self, index: int | None = None) -> list[str]:
        """The codes of the problems about entry ``index`` (all when None)."""
        return [p.code for p in self.problems if index is None or entry_index(p) == index]

    def summary(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        warnings = sum(1 for n in self.problems if n.severity == WARNING)
        infos = len(self.problems) - warnings
        new_agencies = sum(1 for f in self.files if f.kind == "agency")
        return (f"{self.datasets_in_source} entries in the source: {len(self.datasets)} "
                f"imported, {len(self.skipped)} skipped; {len(set(self.agencies.values()))} "
                f"agencies ({new_agencies} new); {verb} {len(self.written)} files: "
                f"{len(self.created)} new, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged; {len(self.conflicts)} with conflicts, "
                f"{len(self.gone)} gone from the source; {warnings} warning(s), "
                f"{infos} note(s)")


_INDEX = re.compile(r"/(\d+)(?:/|$)")


def entry_index(problem: Problem) -> int | None:
    """The index of the source entry a problem is about (from its pointer)."""
    m = _INDEX.search(problem.pointer.rsplit("#", 1)[-1]) if problem.pointer else None
    return int(m.group(1)) if m else None


# -- the agency map -----------------------------------------------------------------------

def parse_agency_map(values: Iterable[str]) -> dict[str, str]:
    """``NAME=ID`` pairs and YAML files of ``{publisher name: agency id}``, merged."""
    out: dict[str, str] = {}
    for value in values:
        path = Path(value)
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise CatalogError(f"cannot read the agency map {value}: {exc}") from None
            if not isinstance(data, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
                raise CatalogError(f"the agency map {value} is not a mapping of publisher "
                                   "names to agency ids",
                                   hint="write lines like 'General Services Administration: gsa'")
            pairs = list(data.items())
        elif "=" in value:
            name, _, agency = value.rpartition("=")
            pairs = [(name.strip(), agency.strip())]
        else:
            raise CatalogError(f"--agency-map {value!r} is neither a file nor NAME=ID",
                               hint="e.g. --agency-map 'Department of Public Health=dph'")
        for name, agency in pairs:
            if not name or not _ID.match(agency):
                raise CatalogError(f"agency id {agency!r} for {name!r} is not a valid id",
                                   hint="lower-case letters, digits and '-', at most 80 characters")
            out[name] = agency
    return out


# -- small helpers -------------------------------------------------------------------------

def slugify(text: str, limit: int = MAX_ID) -> str:
    """Lower-case ASCII letters, digits and '-', at most ``limit`` characters, cut at a
    word boundary when possible."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[limit // 2:] else slug[:limit]
    return slug.strip("-")


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… (kept within the id length limit)."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[:MAX_ID - len(suffix)].rstrip("-") + suffix
    return candidate


def abbreviate(name: str, agency_id: str) -> str:
    if "-" not in agency_id and len(agency_id) <= 10:
        return agency_id.upper()
    words = re.findall(r"[A-Za-z0-9]+", name)
    significant = [w for w in words if w.lower() not in STOPWORDS] or words
    if len(significant) == 1:
        return significant[0][:10].upper()
    return "".join(w[0] for w in significant).upper() or agency_id.upper()


def _valid(adapter: TypeAdapter[str], value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


_JSON_TYPES = {dict: "an object", list: "a list", bool: "a boolean", type(None): "null",
               int: "a number", float: "a number"}


def _describe(value: Any) -> str:
    """A short, safe rendering of a source value for notes."""
    if isinstance(value, str):
        return repr(value[:60] + ("…" if len(value) > 60 else ""))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return _JSON_TYPES.get(type(value), "a value")


# -- writing YAML -------------------------------------------------------------------------

class _PlainDumper(yaml.CSafeDumper):  # type: ignore[misc]
    """Safe dumper without anchors and aliases (the loader rejects them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Dumper(_PlainDumper):
    """... that also writes multi-line text as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _comment(text: str) -> str:
    """One comment line, whatever the text holds (source values can contain line breaks)."""
    return f"# {' '.join(text.split())}".rstrip()


def _dump(data: Mapping[str, Any], comments: Mapping[str, list[str]], header: list[str],
          dumper: type[yaml.SafeDumper]) -> str:
    """The mapping as YAML, each top-level key preceded by its comment lines (one dump:
    a top-level key is the only line of a block mapping that starts in column 1)."""
    text = yaml.dump(dict(data), Dumper=dumper, sort_keys=False, allow_unicode=True,
                     width=96, default_flow_style=False)
    lines = [_comment(h) for h in header]
    keys = iter(data)
    pending = next(keys, None)
    for line in text.rstrip("\n").split("\n"):
        if pending is not None and line[:1] not in (" ", "-", "") and \
                not line.startswith(("'", '"')) and line.split(":", 1)[0].strip("'\"") == \
                str(pending):
            lines.extend(_comment(c) for c in comments.get(pending, []))
            pending = next(keys, None)
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_checked(data: Mapping[str, Any], comments: Mapping[str, list[str]],
                   header: list[str], path: Path) -> tuple[str, Document]:
    """YAML text that the project's loader reads back as exactly ``data``, and that
    reading (``path`` is relative to the project root)."""
    text = _dump(data, comments, header, _Dumper)
    doc = load_bytes(text.encode("utf-8"), path, path.as_posix())
    if doc.data != data:  # a value the literal style cannot carry: quote everything
        text = _dump(data, comments, header, _PlainDumper)
        doc = load_bytes(text.encode("utf-8"), path, path.as_posix())
    return text, doc


# -- planning -------------------------------------------------------------------------------

@dataclass
class _Existing:
    """What the project already holds."""

    agency_names: dict[str, str] = field(default_factory=dict)  # folder → agency name
    dataset_ids: dict[str, str] = field(default_factory=dict)  # id → folder
    by_identifier: dict[str, tuple[str, str]] = field(default_factory=dict)  # → (folder, id)


def _existing(project: Project) -> _Existing:
    found = _Existing()
    if not project.inventory_dir.is_dir():
        return found
    for source in discover(project).sources:
        if source.kind not in ("agency", "dataset"):
            continue
        data = load_file(source.path, source.rel).data
        data = data if isinstance(data, dict) else {}
        if source.kind == "agency":
            found.agency_names[source.folder] = str(data.get("name") or "")
            continue
        stem = source.path.stem
        found.dataset_ids[stem] = source.folder
        identifier = data.get("identifier")
        if isinstance(identifier, str):
            found.by_identifier.setdefault(identifier, (source.folder, stem))
    return found


@dataclass
class _AgencyDraft:
    id: str
    name: str
    officer: dict[str, str] | None = None


class _Planner:
    def __init__(self, project: Project, agency_map: Mapping[str, str], source: str,
                 fmt: str, today: dt.date) -> None:
        self.project = project
        self.agency_map = dict(agency_map)
        self.source = source
        self.format = fmt
        self.today = today
        self.existing = _existing(project)
        standards, _ = load_standards(project)
        vocab = standards.vocabularies
        self.licenses = LicenseIndex.of(vocab.licenses if vocab else [])
        self.frequencies = {t.id for t in (vocab.frequencies if vocab else [])}
        self.agencies: dict[str, _AgencyDraft] = {}  # publisher name → draft
        self.agency_ids: set[str] = set(self.agency_map.values())
        self.dataset_ids: set[str] = set(self.existing.dataset_ids)
        self.identifiers: set[str] = set()
        self.entries: dict[int, Entry] = {}
        self.result = ImportResult(source=source, format=fmt)

    # problems ----------------------------------------------------------------------
    def note(self, index: int | None, identifier: str | None, severity: Severity, code: str,
             message: str) -> None:
        entry = self.entries.get(index) if index is not None else None
        text = f"{identifier}: {message}" if identifier else message
        self.result.problems.append(Problem.make(
            code, text, file=self.source, pointer=entry.pointer if entry else "",
            line=entry.line if entry else None, severity=severity,
            hint=HINTS.get(code, "")))

    # agencies ----------------------------------------------------------------------
    def agency_for(self, name: str) -> _AgencyDraft:
        draft = self.agencies.get(name)
        if draft is not None:
            return draft
        mapped = self.agency_map.get(name)
        if mapped is None:
            base = slugify(name) or "agency"
            taken = {a.id for a in self.agencies.values()} | self.agency_ids
            taken |= {f for f, n in self.existing.agency_names.items() if n != name}
            agency_id = base if base not in taken else unique(base, taken)
            self.result.unmapped.append(name)
            self.note(None, None, WARNING, PUBLISHER_UNMAPPED, f"publisher {name!r} is not in "
                      f"the agency map; it becomes agency '{agency_id}'")
        else:
            agency_id = mapped
        draft = _AgencyDraft(agency_id, name)
        self.agencies[name] = draft
        self.agency_ids.add(agency_id)
        self.result.agencies[name] = agency_id
        owner = self.existing.agency_names.get(agency_id)
        if owner is None:
            owner = next((a.name for a in self.agencies.values()
                          if a.id == agency_id and a.name != name), None)
        if owner is not None and owner != name:
            self.note(None, None, WARNING, AGENCY_NAME_DIFFERS, f"publisher {name!r} goes to "
                      f"agency '{agency_id}', named {owner!r}: exports will name the "
                      f"publisher {owner!r}")
        return draft

    # datasets ----------------------------------------------------------------------
    def dataset(self, entry: Entry) -> None:
        index = entry.index
        self.entries[index] = entry
        if entry.skip:
            code, why = entry.skip
            self.result.skipped.append(index)
            ident = entry.data.get("identifier") if isinstance(entry.data, dict) else None
            self.note(index, ident if isinstance(ident, str) else None,
                      P.CODES[code].severity, code, why)
            return
        repairs = Repairs()
        raw = repair(entry.data, repairs)
        entry.ext = repair(entry.ext, repairs, "/extensions")
        if repairs:
            ident = raw.get("identifier") if isinstance(raw, dict) else None
            self.note(index, ident if isinstance(ident, str) else None, WARNING, TEXT_REPAIRED,
                      f"repaired {repairs.describe()}")
        if not isinstance(raw, dict):
            self.skip(index, None, f"the entry is {_describe(raw)}, not an object")
            return
        identifier = raw.get("identifier")
        if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
            identifier = str(identifier)
            self.note(index, identifier, WARNING, VALUE_REPAIRED,
                      "identifier is a number; written as text")
        title = raw.get("title")
        if not _text(identifier):
            self.skip(index, None, "no identifier", title if isinstance(title, str) else None)
            return
        assert isinstance(identifier, str)
        if identifier in self.identifiers:
            self.skip(index, identifier, "the identifier appears earlier in the catalog")
            return
        if not _text(title):
            self.skip(index, identifier, "no title")
            return
        level = raw.get("accessLevel")
        level_text = level.strip().lower() if isinstance(level, str) else None
        if level_text not in ACCESS_LEVELS:
            self.skip(index, identifier, f"accessLevel {_describe(level)} is not one of "
                      + ", ".join(ACCESS_LEVELS))
            return
        publisher = raw.get("publisher")
        pub_name = publisher.get("name") if isinstance(publisher, dict) else publisher
        if not _text(pub_name):
            self.skip(index, identifier, "no publisher name, so no agency to file it under")
            return
        self.identifiers.add(identifier)
        _DatasetDraft(self, index, raw, identifier, level_text, entry.ext).build()

    def skip(self, index: int, identifier: str | None, why: str,
             title: str | None = None) -> None:
        self.result.skipped.append(index)
        label = f" ({title!r})" if title else ""
        self.note(index, identifier, WARNING, DATASET_SKIPPED, f"skipped{label}: {why}")

    def dataset_id(self, index: int, agency_id: str, title: str, identifier: str) -> str:
        known = self.existing.by_identifier.get(identifier)
        if known and known[0] == agency_id:
            self.dataset_ids.add(known[1])
            return known[1]
        room = MAX_ID - len(agency_id) - 1
        slug = slugify(title, room) if room > 0 else ""
        base = f"{agency_id}-{slug}" if slug else f"{agency_id[:MAX_ID - 8].rstrip('-')}-dataset"
        dataset_id = unique(base, self.dataset_ids)
        self.dataset_ids.add(dataset_id)
        if known:
            self.note(index, identifier, WARNING, IDENTIFIER_EXISTS,
                      f"inventory/{known[0]}/{known[1]}.yml already has this identifier")
        return dataset_id

    # agency files ------------------------------------------------------------------
    def agency_files(self) -> None:
        written: set[str] = set()
        for draft in self.agencies.values():
            if draft.id in written:
                continue
            written.add(draft.id)
            if draft.id in self.existing.agency_names:
                self.note(None, None, INFO, AGENCY_EXISTS, f"agency '{draft.id}' exists: "
                          f"inventory/{draft.id}/_agency.yml is kept as it is")
                continue
            officer = draft.officer
            comments: dict[str, list[str]] = {
                "abbreviation": ["REVIEW: abbreviation derived automatically"],
                "data_officer": ["REVIEW: confirm the agency data officer"],
            }
            if officer is None:
                officer = {"name": draft.name}
                comments["data_officer"].append(
                    "REVIEW: no contact point in the source; replace with the data officer")
            data = {"id": draft.id, "name": draft.name,
                    "abbreviation": abbreviate(draft.name, draft.id), "data_officer": officer}
            header = ["yaml-language-server: $schema=../../docs/schema/agency.schema.json",
                      f"Imported on {self.today.isoformat()} from {self.source}:",
                      f"publisher {json.dumps(draft.name, ensure_ascii=False)}.",
                      "Lines marked REVIEW need confirming; delete each REVIEW comment once done."]
            rel = Path("inventory") / draft.id / f"{AGENCY_FILE}.yml"
            text, doc = render_checked(data, comments, header, rel)
            self.verify(doc, Agency, None, None)
            self.result.files.insert(0, PlannedFile(rel, text, "agency", data,
                                                    comments=comments, header=header))

    def verify(self, doc: Document, model: type[Any], index: int | None,
               identifier: str | None) -> None:
        """The generated file must load and fit the model (a guard against importer bugs
        and pathological input such as absurdly deep extension values)."""
        problems = list(doc.problems)
        if doc.data is not None:
            problems += check(doc, model)[1]
        for p in problems:
            self.note(index, identifier, WARNING, DESCRIPTOR_INVALID,
                      f"{doc.rel} will not validate: {p.code}: {p.message}")


class _DatasetDraft:
    """One source entry → one descriptor, collecting notes and REVIEW comments."""

    def __init__(self, planner: _Planner, index: int, raw: dict[str, Any], identifier: str,
                 level: str, source_ext: dict[str, Any]) -> None:
        self.p = planner
        self.source_ext = source_ext
        self.index = index
        self.raw = raw
        self.identifier = identifier
        self.level = level
        self.ext: dict[str, Any] = {}
        self.dist_ext: dict[str, Any] = {}
        self.comments: dict[str, list[str]] = {}

    def warn(self, code: str, message: str, key: str) -> None:
        self.p.note(self.index, self.identifier, WARNING, code, message)
        self.comments.setdefault(key, []).append(f"REVIEW: {message}")

    def keep(self, prop: str, value: Any, why: str, *, severity: Severity = WARNING) -> None:
        """Keep a source value the descriptor cannot hold under extensions.datajson."""
        self.ext[prop] = value
        message = f"{prop} {_describe(value)} {why}; kept under extensions.datajson"
        if severity == WARNING:
            self.warn(VALUE_KEPT, message, "extensions")
        else:
            self.p.note(self.index, self.identifier, INFO, VALUE_KEPT, message)

    # -- the mapping ------------------------------------------------------------------------
    def build(self) -> None:
        raw, p = self.raw, self.p
        title: str = raw["title"]
        publisher = raw["publisher"]
        if isinstance(publisher, str):
            pub_name = publisher
            self.p.note(self.index, self.identifier, WARNING, VALUE_REPAIRED,
                        "publisher is a string (v1.0 style); used as the publisher name")
        else:
            pub_name = publisher["name"]
            rest = {k: v for k, v in publisher.items()
                    if k != "name" and not (k == "@type" and v == IMPLIED_TYPES["publisher"])}
            if rest:
                self.ext["publisher"] = rest
        agency = p.agency_for(pub_name)
        dataset_id = p.dataset_id(self.index, agency.id, title, self.identifier)
        person, found = self.contact(pub_name)
        if agency.officer is None and found:
            agency.officer = dict(person)

        description = raw.get("description")
        if not _text(description):
            if description not in (None, ""):
                self.ext["description"] = description
            self.warn(VALUE_REPAIRED, "the source has no description; the title is used "
                      "instead", "description")
            description = title

        data: dict[str, Any] = {
            "id": dataset_id, "identifier": self.identifier, "title": title,
            "description": description, "agency": agency.id,
        }
        keywords = self.keywords()
        if keywords:
            data["keywords"] = keywords
        data["high_value"] = {"value": False}
        self.comments["high_value"] = ["REVIEW: is this a high-value asset (Public Act 18-175)?"]
        data["steward"] = person
        self.comments.setdefault("steward", []).insert(0, "REVIEW: confirm the steward")
        data["contact"] = dict(person)
        # the portal published the record and its distributions; only non-public data is
        # reduced to a listing (existence, no distribution)
        access: dict[str, Any] = {"level": self.level, "visibility":
                                  "listed" if self.level == "non-public" else "public"}
        if raw["accessLevel"] != self.level:
            self.warn(VALUE_REPAIRED, f"accessLevel {raw['accessLevel']!r} read as "
                      f"{self.level!r}", "access")
        if self.level == "non-public":
            self.comments.setdefault("access", []).append(
                "REVIEW: listed: the public catalog shows that the dataset exists, not its "
                "distributions")
        rights = raw.get("rights")
        if _text(rights):
            access["rights"] = rights
        elif rights not in (None, ""):
            self.keep("rights", rights, "is not text")
        data["access"] = access
        license_id = self.license()
        if license_id:
            data["license"] = license_id
        landing = raw.get("landingPage")
        if landing is not None:
            url = _valid(_URL, landing)
            if url:
                data["landing_page"] = url
            else:
                self.keep("landingPage", landing, "is not an http(s) URL")
        lifecycle = self.lifecycle()
        if lifecycle:
            data["lifecycle"] = lifecycle
        distributions = self.distributions(dataset_id)
        if distributions:
            data["distributions"] = distributions
        self.unmapped()
        extensions: dict[str, Any] = {}
        if self.ext:
            extensions["datajson"] = self.ext
        if self.dist_ext:
            extensions["datajson_distribution"] = self.dist_ext
        if self.source_ext:
            extensions[self.p.format] = self.source_ext
        if extensions:
            data["extensions"] = extensions
            self.comments.setdefault("extensions", []).insert(
                0, "properties with no place in the descriptor, kept as imported "
                "(the data.json export writes extensions.datajson back)")
        self.emit(data, agency.id)

    def contact(self, pub_name: str) -> tuple[dict[str, Any], bool]:
        """The contact person, and whether the source named one."""
        cp = self.raw.get("contactPoint")
        person: dict[str, Any] = {}
        if isinstance(cp, str) and cp.strip():  # v1.0: contactPoint is the name
            cp = {"fn": cp, **({"hasEmail": self.raw["mbox"]} if "mbox" in self.raw else {})}
        if isinstance(cp, dict):
            rest = {k: v for k, v in cp.items() if k not in ("fn", "hasEmail") and
                    not (k == "@type" and v == IMPLIED_TYPES["contactPoint"])}
            fn, email = cp.get("fn"), cp.get("hasEmail")
            if _text(fn):
                person["name"] = fn
            elif fn is not None:
                rest["fn"] = fn
            if email is not None:
                address = email[len("mailto:"):] if isinstance(email, str) and \
                    email.startswith("mailto:") else email
                valid = _valid(_EMAIL, address)
                if valid:
                    person["email"] = valid
                else:
                    rest["hasEmail"] = email
                    self.warn(VALUE_KEPT, f"contactPoint.hasEmail {_describe(email)} is not an "
                              "email address; kept under extensions.datajson", "steward")
            if rest:
                self.ext["contactPoint"] = rest
        elif cp is not None:
            self.ext["contactPoint"] = cp
        if "name" in person:
            return person, True
        self.warn(MISSING_CONTACT, "the source names no contact person; the publisher "
                  "stands in as steward", "steward")
        return {"name": pub_name, **person}, False

    def keywords(self) -> list[str]:
        raw = self.raw.get("keyword")
        if raw is None:
            return []
        if isinstance(raw, str):
            items: list[Any] = [k.strip() for k in raw.split(",")]
            self.warn(VALUE_REPAIRED, "keyword is a string, not a list; split at commas",
                      "keywords")
        elif isinstance(raw, list):
            items = raw
        else:
            self.keep("keyword", raw, "is not a list")
            return []
        out: list[str] = []
        blank = duplicate = 0
        odd: list[Any] = []
        for item in items:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                odd.append(item)
            elif not item.strip():
                blank += 1
            elif item in out:
                duplicate += 1
            else:
                out.append(item)
        if blank or duplicate:
            self.warn(KEYWORD_DROPPED, f"dropped {blank} empty and {duplicate} duplicate "
                      "keyword(s)", "keywords")
        if odd:
            self.keep("keyword", raw, f"has {len(odd)} entr(ies) that are not text")
        return out

    def license(self) -> str | None:
        raw = self.raw.get("license")
        if raw is None:
            return None
        term = self.p.licenses.term(raw)
        if term:
            if raw != self.p.licenses.urls.get(term):
                self.ext["license"] = raw  # the export writes the source's spelling back
                self.p.note(self.index, self.identifier, INFO, LICENSE_MAPPED,
                            f"license {_describe(raw)} is '{term}' in the licenses vocabulary")
            return term
        self.keep("license", raw, "is not in the licenses vocabulary "
                  "(standards/vocabularies.yml)")
        return None

    def date(self, prop: str) -> str | None:
        raw = self.raw.get(prop)
        if raw is None:
            return None
        value = _valid(_DATE_TEXT, raw)
        if value is None:
            self.keep(prop, raw, "is not an ISO 8601 date or date-time")
        return value

    def lifecycle(self) -> dict[str, Any]:
        raw = self.raw
        out: dict[str, Any] = {}
        freq = raw.get("accrualPeriodicity")
        if freq is not None:
            if isinstance(freq, str) and freq in self.p.frequencies:
                out["update_frequency"] = freq
            else:
                self.keep("accrualPeriodicity", freq, "is not in the frequencies vocabulary")
        temporal = raw.get("temporal")
        if temporal is not None:
            start, _, end = temporal.partition("/") if isinstance(temporal, str) else ("", "", "")
            if _ISO_DAY.match(start) and _ISO_DAY.match(end) and _valid(_DATE_TEXT, start) \
                    and _valid(_DATE_TEXT, end):
                out["temporal"] = {"start": start, "end": end}
            else:
                self.keep("temporal", temporal, "is not a start/end pair of dates",
                          severity=INFO)
        spatial = raw.get("spatial")
        if isinstance(spatial, str) and spatial.strip():
            out["spatial"] = spatial
        elif spatial is not None:
            self.keep("spatial", spatial, "is not a place name", severity=INFO)
        for prop in ("issued", "modified"):
            value = self.date(prop)
            if value:
                out[prop] = value
        return out

    def distributions(self, dataset_id: str) -> list[dict[str, Any]]:
        raw = self.raw.get("distribution")
        if raw is None:
            return []
        if isinstance(raw, dict):
            self.warn(VALUE_REPAIRED, "distribution is an object, not a list; read as a "
                      "list of one", "distributions")
            raw = [raw]
        if not isinstance(raw, list):
            self.keep("distribution", raw, "is not a list")
            return []
        out: list[dict[str, Any]] = []
        kept: list[Any] = []
        ids: set[str] = set()
        for i, entry in enumerate(raw):
            why = self._unusable(entry)
            if why:
                kept.append(entry)
                self.warn(DISTRIBUTION_KEPT, f"distribution {i} {why}; kept under "
                          "extensions.datajson", "extensions")
                continue
            out.append(self.distribution(entry, ids))
        if kept:
            self.ext["distribution"] = kept
        return out

    def _unusable(self, entry: Any) -> str | None:
        if not isinstance(entry, dict):
            return f"is {_describe(entry)}, not an object"
        url = entry.get("downloadURL", entry.get("accessURL"))
        if url is None:
            return "has neither downloadURL nor accessURL"
        if _valid(_URL, url) is None:
            return f"URL {_describe(url)} is not an http(s) URL"
        if "downloadURL" in entry and self.level == "non-public":
            return "is a download of a non-public dataset"
        return None

    def distribution(self, entry: dict[str, Any], ids: set[str]) -> dict[str, Any]:
        rest = {k: v for k, v in entry.items() if k not in DISTRIBUTION_PROPERTIES or
                (k == "@type" and v != IMPLIED_TYPES["distribution"])}
        if "downloadURL" in entry:
            kind, url = "download", entry["downloadURL"]
            if "accessURL" in entry:
                rest["accessURL"] = entry["accessURL"]
        else:
            media = entry.get("mediaType")
            kind = "landing-page" if isinstance(media, str) and \
                media.split(";")[0].strip().lower() == "text/html" else "api"
            url = entry["accessURL"]
        texts: dict[str, str] = {}
        for prop in ("mediaType", "format", "title", "description", "describedByType"):
            value = entry.get(prop)
            if _text(value):
                texts[prop] = str(value)
            elif value is not None and value != "":
                rest[prop] = value
        urls: dict[str, str] = {}
        for prop in ("conformsTo", "describedBy"):
            value = entry.get(prop)
            if value is None:
                continue
            valid = _valid(_URL, value)
            if valid:
                urls[prop] = valid
            else:
                rest[prop] = value
        media_type = texts.get("mediaType")
        short = MEDIA_IDS.get(media_type.split(";")[0].strip().lower()) if media_type else None
        base = short or slugify(texts.get("format", ""), 40) \
            or (slugify(media_type.split("/")[-1], 40) if media_type else "") or kind
        dist_id = unique(base, ids)
        ids.add(dist_id)
        title = texts.get("title") or texts.get("format") or (short.upper() if short else None) \
            or media_type or KIND_TITLES[kind]
        if "title" not in texts and "title" not in rest:
            rest["title"] = None  # the source has none: the export leaves it out again
        out: dict[str, Any] = {"id": dist_id, "title": title, "kind": kind, "url": url}
        for prop, key in (("mediaType", "media_type"), ("format", "format"),
                          ("description", "description")):
            if prop in texts:
                out[key] = texts[prop]
        if "conformsTo" in urls:
            out["conforms_to"] = urls["conformsTo"]
        if "describedBy" in urls:
            out["described_by"] = urls["describedBy"]
        if "describedByType" in texts:
            out["described_by_type"] = texts["describedByType"]
        if rest:
            self.dist_ext[dist_id] = rest
            named = sorted(k for k, v in rest.items() if v is not None)
            if named:
                self.p.note(self.index, self.identifier, INFO, PROPERTIES_KEPT,
                            f"distribution '{dist_id}': kept under "
                            f"extensions.datajson_distribution: {', '.join(named)}")
        return out

    def unmapped(self) -> None:
        keys = [k for k in self.raw if k not in DATASET_PROPERTIES or
                (k == "@type" and self.raw[k] != IMPLIED_TYPES["dataset"])]
        keys = [k for k in keys if not (k == "mbox" and isinstance(
            self.raw.get("contactPoint"), str))]
        for key in keys:
            self.ext[key] = self.raw[key]
        if keys:
            self.p.note(self.index, self.identifier, INFO, PROPERTIES_KEPT,
                        "kept under extensions.datajson: " + ", ".join(keys))

    def emit(self, data: dict[str, Any], agency_id: str) -> None:
        p = self.p
        header = ["yaml-language-server: $schema=../../docs/schema/dataset.schema.json",
                  f"Imported on {p.today.isoformat()} from {p.source}",
                  f"({p.format} entry {self.index}, identifier {self.identifier}).",
                  "Lines marked REVIEW need a steward's confirmation; delete each REVIEW "
                  "comment once done."]
        rel = Path("inventory") / agency_id / f"{data['id']}.yml"
        text, doc = render_checked(data, self.comments, header, rel)
        p.verify(doc, Dataset, self.index, self.identifier)
        p.result.files.append(PlannedFile(rel, text, "dataset", data, self.index,
                                          self.identifier, dict(self.comments), header))


def plan(parsed: Parsed, project: Project, *, source: str,
         agency_map: Mapping[str, str] | None = None,
         today: dt.date | None = None) -> ImportResult:
    """Every file an import would write (nothing is written)."""
    planner = _Planner(project, agency_map or {}, source, parsed.format,
                       today or dt.date.today())
    planner.result.problems.extend(parsed.problems)
    planner.result.datasets_in_source = len(parsed.entries)
    for entry in parsed.entries:
        planner.dataset(entry)
    planner.agency_files()
    unused = sorted(set(planner.agency_map) - set(planner.agencies))
    if unused:
        planner.note(None, None, INFO, PUBLISHER_UNMAPPED, "agency map entries for publishers "
                     "not in the source: " + ", ".join(repr(n) for n in unused))
    return planner.result


HINTS = {
    TEXT_REPAIRED: "check the repaired text, and fix it at the source so the next sync "
                   "brings no conflict",
    PUBLISHER_UNMAPPED: "map publisher names to agency ids with --agency-map",
    DATASET_SKIPPED: "fix the entry at the source, or describe the dataset by hand",
    VALUE_KEPT: "move the value into the descriptor if it belongs there",
    DISTRIBUTION_KEPT: "fix the distribution at the source, or add it by hand",
    MISSING_CONTACT: "name the steward in the descriptor",
    DESCRIPTOR_INVALID: "run `catalog validate` on the file and report the entry",
    AGENCY_NAME_DIFFERS: "rename the agency, or map the publisher to another agency",
    IDENTIFIER_EXISTS: "two descriptors now share an identifier: delete or renumber one",
}
