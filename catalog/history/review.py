"""``catalog diff``: what a change does to the inventory, by property, with risk flags.

Two snapshots (git revisions, or a revision and the working tree) are compared file by
file through their blob ids, so only the files that differ are read. Datasets are
matched by id (a descriptor moved to another file is a change, not a removal and an
addition) and compared as history compares them (:mod:`catalog.history.records`);
agencies, agreements, requests and the catalog file by their model, property by
property; standards element by element, level by level, policy by policy and term by
term. Risk flags (:mod:`catalog.history.risk`) become problems on the changed lines,
so the annotation formats of ``catalog validate`` (GitHub, SARIF) show them too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..load import Document, load_bytes
from ..model import Agency, Agreement, CatalogInfo, DataRequest
from ..model.check import check
from ..problems import CatalogError, Problem, Report
from ..project import Project, kind_of
from ..standards import Standards
from . import risk
from .changes import Change, diff, phrases, pointer
from .git import Repo, Unavailable
from .records import Version, read_dataset
from .snapshot import Snapshot, of_commit, of_worktree, standards_key

MODELS: dict[str, type[BaseModel]] = {"agency": Agency, "agreement": Agreement,
                                      "request": DataRequest, "catalog": CatalogInfo}
MAIN_BRANCHES = ("origin/main", "main", "origin/master", "master")
KIND_ORDER = ("dataset", "agency", "agreement", "request", "catalog", "standard",
              "classification-level", "suppression-policy", "vocabulary")
NOUNS = {"dataset": "Datasets", "agency": "Agencies", "agreement": "Agreements",
         "request": "Data requests", "catalog": "The catalog", "standard": "Standards",
         "classification-level": "Classification levels",
         "suppression-policy": "Suppression policies", "vocabulary": "Vocabularies"}


@dataclass
class Entity:
    """One record added, removed or changed between the snapshots."""

    kind: str
    id: str
    status: str  # added | removed | changed | unreadable
    file: str
    title: str = ""
    changes: list[Change] = field(default_factory=list)
    flags: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "status": self.status, "file": self.file,
                "title": self.title, "changes": [c.to_dict() for c in self.changes],
                "risks": [p.to_dict() for p in self.flags]}


@dataclass
class Review:
    base: Snapshot
    head: Snapshot
    entities: list[Entity]

    @property
    def report(self) -> Report:
        report = Report()
        for e in self.entities:
            report.extend(e.flags)
        return report

    @property
    def risky(self) -> bool:
        return any(e.flags for e in self.entities)


# -- choosing the snapshots ----------------------------------------------------------------


def _repo(project: Project) -> Repo:
    repo = Repo.open(project.root, shallow=True)
    if isinstance(repo, Unavailable):
        raise CatalogError(f"catalog diff compares git revisions: {repo.reason}",
                           hint="run it inside the inventory's git repository")
    return repo


def main_branch(repo: Repo) -> str:
    """The branch changes are merged into: origin's default branch, else main/master."""
    out = repo.run("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD",
                   check=False).strip()
    for name in ([out] if out else []) + list(MAIN_BRANCHES):
        if repo.rev(name):
            return name
    raise CatalogError("no main branch to compare with (origin/HEAD, main or master)",
                       hint="name the revision to compare with: catalog diff REVISION")


def snapshots(project: Project, base: str | None, head: str | None
              ) -> tuple[Snapshot, Snapshot]:
    repo = _repo(project)
    if base is None:
        branch = main_branch(repo)
        tip = repo.rev("HEAD")
        found = repo.merge_base(branch, "HEAD") if tip else None
        if found is None:
            raise CatalogError(f"no merge base of {branch} and HEAD",
                               hint="a shallow clone may lack it (fetch-depth: 0 in "
                               "actions/checkout), or name the revision: catalog diff REV")
        a = of_commit(repo, found, f"{found[:10]} (merge base with {branch})")
    else:
        a = _commit(repo, base)
    return a, (of_worktree(project.root) if head is None else _commit(repo, head))


def _commit(repo: Repo, name: str) -> Snapshot:
    sha = repo.rev(name)
    if sha is None:
        raise CatalogError(f"unknown revision '{name}'",
                           hint="give a branch, tag or commit id (git log --oneline)")
    return of_commit(repo, sha, name if name.startswith(sha[:7]) else f"{name} ({sha[:10]})")


# -- comparing -----------------------------------------------------------------------------


def review(project: Project, base: str | None = None, head: str | None = None) -> Review:
    """Compare two revisions (default: the merge base with the main branch, and the
    working tree)."""
    a, b = snapshots(project, base, head)
    return compare(a, b)


def compare(a: Snapshot, b: Snapshot) -> Review:
    changed = sorted(r for r in {*a.files, *b.files} if a.files.get(r) != b.files.get(r))
    kinds = {r: k for r in changed if (k := kind_of(r)) is not None}
    old, new = a.read(kinds), b.read(kinds)
    std_a = a.standards()
    std_b = std_a if standards_key(a.files) == standards_key(b.files) else b.standards()
    entities = _datasets(old, new, kinds, std_a, std_b)
    entities += _registers(old, new, kinds)
    if std_b is not std_a:
        entities += _standards(std_a, std_b, b)
    entities.sort(key=lambda e: (KIND_ORDER.index(e.kind), e.id))
    return Review(a, b, entities)


def _datasets(old: Mapping[str, bytes], new: Mapping[str, bytes],
              kinds: Mapping[str, tuple[str, str]], std_a: Standards, std_b: Standards
              ) -> list[Entity]:
    def versions(side: Mapping[str, bytes], std: Standards
                 ) -> tuple[dict[str, tuple[str, Version]], list[str]]:
        found: dict[str, tuple[str, Version]] = {}
        unreadable = []
        for rel, raw in sorted(side.items()):
            if kinds[rel][0] != "dataset":
                continue
            version = read_dataset(raw, rel, std)
            if version is None:
                unreadable.append(rel)
            else:
                found.setdefault(version.facts.id, (rel, version))
        return found, unreadable

    before, _ = versions(old, std_a)
    after, broken = versions(new, std_b)
    levels = {"before": {k: v.rank for k, v in std_a.levels.items()},
              "after": {k: v.rank for k, v in std_b.levels.items()}}

    def rank(side: str, level: str | None) -> int | None:
        return levels[side].get(level or "")

    out = [Entity("dataset", rel.rsplit("/", 1)[-1].rsplit(".", 1)[0], "unreadable", rel)
           for rel in broken]
    for dataset_id in sorted({*before, *after}):
        b_rel, b = before.get(dataset_id, ("", None))
        a_rel, v = after.get(dataset_id, ("", None))
        if v is None and b_rel and b_rel in new:
            continue  # unreadable now: reported above
        status = "added" if b is None else "removed" if v is None else "changed"
        changes = diff(b.staff if b else None, v.staff if v else None)
        if status == "changed" and not changes:
            continue
        shown = v or b
        entity = Entity("dataset", dataset_id, status, a_rel or b_rel,
                        str(shown.staff.get("title", "")) if shown else "",
                        [] if status != "changed" else changes)
        if v is not None:
            positions = _positions(v)
            for f in risk.dataset_flags(b.staff if b else None, v.staff, rank):
                entity.flags.append(v.doc.problem(
                    f.code, f"{dataset_id}: {f.message}", pointer(f.path, positions),
                    hint=f.hint))
        out.append(entity)
    return out


def _positions(v: Version) -> dict[str, int]:
    fields = v.model.schema_.fields if v.model.schema_ else []
    found = {f"fields/{f.name}": i for i, f in enumerate(fields)}
    found.update({f"distributions/{d.id}": i for i, d in enumerate(v.model.distributions)})
    return found


def flatten_model(model: BaseModel) -> dict[str, Any]:
    """A model as written, flat: JSON-pointer-like path (without the leading /) → value."""
    out: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}/{k}" if path else str(k))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                walk(v, f"{path}/{i}")
        elif value not in (None, [], {}):
            out[path] = value

    walk(model.model_dump(mode="json", by_alias=True, exclude_none=True), "")
    return out


def _registers(old: Mapping[str, bytes], new: Mapping[str, bytes],
               kinds: Mapping[str, tuple[str, str]]) -> list[Entity]:
    def parsed(side: Mapping[str, bytes]) -> dict[tuple[str, str], tuple[str, Any, Document]]:
        found: dict[tuple[str, str], tuple[str, Any, Document]] = {}
        for rel, raw in sorted(side.items()):
            kind = kinds[rel][0]
            if kind not in MODELS:
                continue
            doc = load_bytes(raw, Path(rel), rel)
            model, _ = check(doc, MODELS[kind]) if doc.data is not None else (None, [])
            key = getattr(model, "id", kind) if model is not None else f"?{rel}"
            found.setdefault((kind, key), (rel, model, doc))
        return found

    before, after = parsed(old), parsed(new)
    out = []
    for kind, key in sorted({*before, *after}):
        b_rel, b, _ = before.get((kind, key), ("", None, None))
        a_rel, a, doc = after.get((kind, key), ("", None, None))
        if key.startswith("?"):
            if a_rel:
                out.append(Entity(kind, a_rel.rsplit("/", 1)[-1].rsplit(".", 1)[0],
                                  "unreadable", a_rel))
            continue
        rb = flatten_model(b) if b is not None else None
        ra = flatten_model(a) if a is not None else None
        status = "added" if rb is None else "removed" if ra is None else "changed"
        changes = diff(rb, ra)
        if status == "changed" and not changes:
            continue
        title = str(getattr(a or b, "title", None) or getattr(a or b, "name", "") or "")
        entity = Entity(kind, key, status, a_rel or b_rel, title,
                        changes if status == "changed" else [])
        if kind == "agreement" and doc is not None:
            entity.flags = [doc.problem(f.code, f"{key}: {f.message}", f.path, hint=f.hint)
                            for f in risk.agreement_flags(rb, ra)]
        out.append(entity)
    return out


def _element_record(std: Standards, element_id: str) -> dict[str, Any]:
    element = std.elements[element_id]
    record = flatten_model(element)
    record = {k: v for k, v in record.items()
              if not k.startswith(("values/", "values_from/"))}
    for v in std.values.get(element_id) or []:
        record[f"values/{v.code}"] = v.label
    return record


def _doc(std: Standards, rel: str) -> Document | None:
    return next((d for d in std.documents if d.rel == rel), None)


def _standards(std_a: Standards, std_b: Standards, b: Snapshot) -> list[Entity]:
    out: list[Entity] = []
    for element_id in sorted({*std_a.elements, *std_b.elements}):
        ra = _element_record(std_a, element_id) if element_id in std_a.elements else None
        rb = _element_record(std_b, element_id) if element_id in std_b.elements else None
        changes = diff(ra, rb)
        if not changes:
            continue
        status = "added" if ra is None else "removed" if rb is None else "changed"
        doc = std_b.element_docs.get(element_id) or std_a.element_docs.get(element_id)
        entity = Entity("standard", element_id, status,
                        doc.rel if doc else f"standards/elements/{element_id}.yml",
                        str((rb or ra or {}).get("title", "")),
                        changes if status == "changed" else [])
        values = [c for c in changes if c.path.startswith("values/")]
        if status == "changed" and values and doc is not None:
            where = "/values" if "values" in (doc.data or {}) else "/values_from"
            entity.flags = [doc.problem(f.code, f.message, where, key=True, hint=f.hint)
                            for f in risk.values_flags(element_id, values,
                                                       users(b, element_id))]
        out.append(entity)
    classification = _doc(std_b, "standards/classification.yml")
    for kind, rel, side_a, side_b in (
            ("classification-level", "standards/classification.yml", std_a.levels,
             std_b.levels),
            ("suppression-policy", "standards/suppression.yml", std_a.policies,
             std_b.policies)):
        for key in sorted({*side_a, *side_b}):
            ra = flatten_model(side_a[key]) if key in side_a else None
            rb = flatten_model(side_b[key]) if key in side_b else None
            changes = diff(ra, rb)
            if not changes:
                continue
            status = "added" if ra is None else "removed" if rb is None else "changed"
            out.append(Entity(kind, key, status, rel, str((rb or ra or {}).get("title", "")),
                              changes if status == "changed" else []))
    if classification is not None:
        order = list(std_b.levels)
        for f in risk.level_flags({k: v.rank for k, v in std_a.levels.items()},
                                  {k: v.rank for k, v in std_b.levels.items()}):
            level = f.path.rsplit("/", 1)[-1]
            entity = next(e for e in out if e.kind == "classification-level" and e.id == level)
            entity.flags.append(classification.problem(
                f.code, f.message, f"/levels/{order.index(level)}/rank", hint=f.hint))
    for vocab in ("themes", "frequencies", "licenses", "granularities", "asset_types"):
        ra, rb = _vocabulary(std_a, vocab), _vocabulary(std_b, vocab)
        changes = diff(ra, rb)
        if changes:
            out.append(Entity("vocabulary", vocab, "changed", "standards/vocabularies.yml",
                              vocab, changes))
    return out


def _vocabulary(std: Standards, name: str) -> dict[str, Any]:
    if std.vocabularies is None:
        return {}
    out: dict[str, Any] = {}
    for term in getattr(std.vocabularies, name):
        for k, v in flatten_model(term).items():
            out[f"{term.id}/{k}"] = v
    return out


def users(snapshot: Snapshot, element_id: str) -> list[str]:
    """``dataset.field`` of every field following ``element_id`` in the snapshot (the
    files are searched as bytes first; only those mentioning it are read as models)."""
    pattern = re.compile(rb"standard:\s*['\"]?" + re.escape(element_id.encode())
                         + rb"['\"]?\s*(?:#.*)?$", re.M)
    rels = [r for r in snapshot.files if (k := kind_of(r)) and k[0] == "dataset"]
    found: list[str] = []
    std = snapshot.standards()
    for rel, raw in sorted(snapshot.read(rels).items()):
        if not pattern.search(raw):
            continue
        version = read_dataset(raw, rel, std)
        if version is None or version.model.schema_ is None:
            continue
        found.extend(f"{version.facts.id}.{f.name}" for f in version.model.schema_.fields
                     if f.standard == element_id)
    return found


# -- output --------------------------------------------------------------------------------


def _counts(entities: Iterable[Entity]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for e in entities:
        by_status = counts.setdefault(e.kind, {})
        by_status[e.status] = by_status.get(e.status, 0) + 1
    return counts


def _summary(r: Review) -> str:
    parts = []
    for kind, by_status in _counts(r.entities).items():
        noun = NOUNS[kind].lower()
        parts.append(f"{noun}: " + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())))
    flags = len(r.report)
    text = "; ".join(parts) if parts else "no change to the inventory"
    return f"{text}; {flags} risk flag{'s' if flags != 1 else ''}"


def _lines(e: Entity) -> list[str]:
    if e.status == "added":
        return ["added" + (f": {e.title}" if e.title else "")]
    if e.status == "removed":
        return ["removed"]
    if e.status == "unreadable":
        return ["cannot be read: run `catalog validate` for the problems"]
    if e.kind == "dataset":
        return phrases(e.changes)
    return [_register_phrase(c) for c in e.changes]


def _register_phrase(c: Change) -> str:
    what = c.path.replace("/", " › ")
    old, new = json.dumps(c.old, ensure_ascii=False), json.dumps(c.new, ensure_ascii=False)
    if c.old is None:
        return f"{what} set to {_clip(new)}"
    if c.new is None:
        return f"{what} removed (was {_clip(old)})"
    return f"{what} changed from {_clip(old)} to {_clip(new)}"


def _clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def text(r: Review) -> str:
    out = [f"catalog diff: {r.base.label} → {r.head.label}"]
    for e in r.entities:
        out.append(f"{e.kind} {e.id} ({e.file}): {e.status}")
        out.extend(f"  {line}" for line in _lines(e) if e.status == "changed")
        out.extend(f"  ! {p.code}: {p.message}" + (f" (hint: {p.hint})" if p.hint else "")
                   for p in e.flags)
    out.append(_summary(r))
    return "\n".join(out)


def to_dict(r: Review) -> dict[str, Any]:
    return {
        "base": {"label": r.base.label, "commit": r.base.commit},
        "head": {"label": r.head.label, "commit": r.head.commit},
        "risky": r.risky, "summary": _counts(r.entities),
        "entities": [e.to_dict() for e in r.entities],
        "risks": [p.to_dict() for p in r.report.sorted()],
    }


def md(value: str) -> str:
    """Text safe inside a Markdown table cell or list item (no markup, no HTML)."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", value.replace("\n", " "))


def markdown(r: Review) -> str:
    """A summary to post on a pull request."""
    flags = r.report.sorted()
    out = [f"### Inventory changes: {md(r.base.label)} → {md(r.head.label)}", ""]
    if flags:
        out += [f"**{len(flags)} risk flag{'s' if len(flags) != 1 else ''} need a second "
                "look.**", "", "| Risk | Where | What |", "|---|---|---|"]
        for p in flags:
            where = p.file + (f":{p.line}" if p.line else "")
            out.append(f"| `{p.code}` | `{where}` | {md(p.message)} |")
        out.append("")
    else:
        out += ["No risk flags.", ""]
    if not r.entities:
        out.append("No change to the inventory.")
    for kind in KIND_ORDER:
        group = [e for e in r.entities if e.kind == kind]
        if not group:
            continue
        counts = ", ".join(f"{n} {s}" for s, n in sorted(_counts(group)[kind].items()))
        out += [f"#### {NOUNS[kind]} ({counts})", ""]
        for e in group:
            head = f"- **{md(e.id)}**" + (f" {md(e.title)}" if e.title else "") + \
                f" — {e.status} (`{e.file}`)"
            out.append(head + (" ⚠" if e.flags else ""))
            if e.status == "changed":
                out.extend(f"  - {md(line)}" for line in _lines(e))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
