"""Changes between two versions of a record, by property, and the same in words.

A record is flat (property path → value, see :mod:`catalog.history.records`), so a diff
is the paths whose values differ. Paths name compiled columns (``access_level``,
``fields/<name>/pii``); :data:`PROPERTIES` gives each its label for people and its
JSON pointer in the descriptor, so that a change can be reported on the line that
holds it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SHORT = 60  # longer text values are summarised ("Description changed"), not quoted


@dataclass(frozen=True)
class Change:
    path: str
    old: Any = None  # None: absent before
    new: Any = None  # None: absent after

    def to_dict(self) -> dict[str, Any]:
        return {"property": self.path, "label": label(self.path), "old": self.old,
                "new": self.new}


def to_json(changes: Iterable[Change]) -> str | None:
    """``[{property, label, old, new}, ...]`` as stored in ``dataset_changes``."""
    listed = [c.to_dict() for c in changes]
    return json.dumps(listed, ensure_ascii=False, default=str) if listed else None


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """Every path whose value differs, in the after record's order, then removed paths."""
    a, b = before or {}, after or {}
    out = [Change(k, a.get(k), v) for k, v in b.items() if a.get(k) != v]
    out += [Change(k, v, None) for k, v in a.items() if k not in b]
    return out


# path → (label, JSON pointer in the descriptor); fields/<name>/<col> and the like use
# FIELD, DISTRIBUTION and PLAN below (their pointers need the item's position)
PROPERTIES: dict[str, tuple[str, str]] = {
    "id": ("Id", "/id"), "identifier": ("Identifier", "/identifier"),
    "agency_id": ("Agency", "/agency"), "title": ("Title", "/title"),
    "description": ("Description", "/description"), "asset_type": ("Asset type", "/asset_type"),
    "access_level": ("Access level", "/access/level"),
    "visibility": ("Visibility", "/access/visibility"),
    "high_value": ("High-value designation", "/high_value/value"),
    "high_value_reason": ("Why it is high-value", "/high_value/reason"),
    "keywords": ("Keywords", "/keywords"), "themes": ("Themes", "/themes"),
    "steward_name": ("Steward", "/steward/name"),
    "steward_title": ("Steward's title", "/steward/title"),
    "steward_email": ("Steward's email", "/steward/email"),
    "custodian_name": ("Custodian", "/custodian/name"),
    "custodian_email": ("Custodian's email", "/custodian/email"),
    "contact_name": ("Contact", "/contact/name"),
    "contact_email": ("Contact email", "/contact/email"),
    "classification": ("Classification", "/classification/level"),
    "classification_assessed_on": ("Date of the classification assessment",
                                   "/classification/assessed_on"),
    "classification_assessed_by": ("Classification assessed by",
                                   "/classification/assessed_by"),
    "rights": ("Rights and conditions", "/access/rights"), "api": ("API", "/access/api"),
    "bulk_download": ("Bulk download", "/access/bulk_download"),
    "state_owned": ("State-owned", "/access/state_owned"), "owner": ("Owner", "/access/owner"),
    "license": ("License", "/license"), "landing_page": ("Landing page", "/landing_page"),
    "update_frequency": ("Update frequency", "/lifecycle/update_frequency"),
    "temporal_start": ("Coverage starts", "/lifecycle/temporal/start"),
    "temporal_end": ("Coverage ends", "/lifecycle/temporal/end"),
    "spatial": ("Spatial coverage", "/lifecycle/spatial"),
    "granularity": ("Geographic granularity", "/disclosure/granularity"),
    "suppression_policy": ("Suppression policy", "/disclosure/suppression_policy"),
    "aggregates_confidential": ("Aggregates of confidential records",
                                "/disclosure/aggregates_confidential"),
    "source_system": ("Source system", "/lifecycle/source_system"),
    "retention": ("Retention", "/lifecycle/retention"),
    "issued": ("First issued", "/lifecycle/issued"),
    "modified": ("Last modified", "/lifecycle/modified"),
    "last_reviewed": ("Last reviewed", "/lifecycle/last_reviewed"),
    "personal_data_purpose": ("Personal data: purpose", "/personal_data/purpose"),
    "personal_data_legal_authority": ("Personal data: legal authority",
                                      "/personal_data/legal_authority"),
    "personal_data_access_procedure": ("Personal data: access procedure",
                                       "/personal_data/access_procedure"),
    "personal_data_contact_name": ("Personal data: contact", "/personal_data/contact/name"),
    "personal_data_contact_email": ("Personal data: contact email",
                                    "/personal_data/contact/email"),
    "personal_data_consent": ("Personal data: consent", "/personal_data/consent"),
    "predictive_used": ("Used in predictive analytics", "/predictive_analytics/used"),
    "predictive_description": ("Predictive analytics: description",
                               "/predictive_analytics/description"),
    "predictive_decision": ("Predictive analytics: decision",
                            "/predictive_analytics/decision"),
    "predictive_reviewed_by": ("Predictive analytics: reviewed by",
                               "/predictive_analytics/reviewed_by"),
    "predictive_reviewed_on": ("Predictive analytics: reviewed on",
                               "/predictive_analytics/reviewed_on"),
    "predictive_assessment_complete": ("Predictive analytics: assessment complete",
                                       "/predictive_analytics/assessment"),
    "odap_status": ("Open Data Access Plan status", "/open_data_plan/status"),
    "quality_notes": ("Quality notes", "/quality/notes"),
    "known_bias": ("Known bias", "/quality/known_bias"),
    "limitations": ("Limitations", "/quality/limitations"),
    "sample": ("Sample file", "/sample"), "extensions_json": ("Imported extensions",
                                                               "/extensions"),
}
FIELD: dict[str, tuple[str, str]] = {
    "title": ("title", "title"), "type": ("type", "type"), "format": ("format", "format"),
    "description": ("description", "description"), "standard": ("standard", "standard"),
    "pii": ("PII flag", "pii"), "demographic": ("demographic flag", "demographic"),
    "internal": ("internal flag", "internal"), "is_count": ("count flag", "count"),
    "unit": ("unit", "unit"), "constraints_json": ("constraints", "constraints"),
    "example": ("example", "example"),
}
DISTRIBUTION: dict[str, tuple[str, str]] = {
    k: (k.replace("_", " "), k) for k in (
        "title", "kind", "url", "media_type", "format", "description", "conforms_to",
        "described_by", "described_by_type")}
PLAN: dict[str, tuple[str, str]] = {
    k: (k.replace("_", " "), k) for k in (
        "status", "priority", "target_release", "released_on", "released_url", "notes")}
GROUPS = {"fields": ("Field", FIELD, "/schema/fields"),
          "distributions": ("Distribution", DISTRIBUTION, "/distributions")}


def label(path: str) -> str:
    """A property path for people: ``fields/ssn/pii`` → ``Field ssn: PII flag``."""
    parts = path.split("/")
    if parts[0] in GROUPS and len(parts) >= 2:
        noun, columns, _ = GROUPS[parts[0]]
        if len(parts) == 2:
            return f"{noun} {parts[1]}"
        return f"{noun} {parts[1]}: {columns.get(parts[2], (parts[2], ''))[0]}"
    if parts[0] == "access_plan" and len(parts) == 2:
        return f"Open Data Access Plan: {PLAN.get(parts[1], (parts[1], ''))[0]}"
    known = PROPERTIES.get(path)
    return known[0] if known else path.replace("_", " ").replace("/", ": ").capitalize()


def pointer(path: str, positions: Mapping[str, int] | None = None) -> str:
    """The JSON pointer of ``path`` in a dataset descriptor; ``positions`` gives the
    index of each field and distribution (``fields/<name>`` → its position)."""
    parts = path.split("/")
    if parts[0] in GROUPS and len(parts) >= 2:
        _, columns, base = GROUPS[parts[0]]
        index = (positions or {}).get("/".join(parts[:2]))
        if index is None:
            return base
        where = f"{base}/{index}"
        return f"{where}/{columns[parts[2]][1]}" if len(parts) > 2 and parts[2] in columns \
            else where
    if parts[0] == "access_plan":
        return "/open_data_plan" + (f"/{PLAN[parts[1]][1]}" if len(parts) > 1
                                    and parts[1] in PLAN else "")
    known = PROPERTIES.get(path)
    return known[1] if known else "/" + path


def show(value: Any) -> str | None:
    """A value as it reads in a sentence (None when too long to quote); a date as people
    write it (2026-11-04 → Nov 4, 2026)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if len(text) == 10:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return f"{day:%b} {day.day}, {day:%Y}"
    if len(text) > SHORT or "\n" in text:
        return None
    return f"“{text}”"


def _scalar(what: str, c: Change) -> str:
    old, new = show(c.old), show(c.new)
    if c.old is None:
        return f"{what} set" + (f" to {new}" if new else "")
    if c.new is None:
        return f"{what} removed" + (f" (was {old})" if old else "")
    if old and new:
        return f"{what} changed from {old} to {new}"
    return f"{what} changed"


def phrases(changes: Iterable[Change]) -> list[str]:
    """The changes in words, one phrase per property or per field / distribution (the
    items a dataset shows once its whole record is public are counted, not listed)."""
    changes = list(changes)
    out: list[str] = []
    tail: list[str] = []
    if any(c.path == "visibility" and c.new == "public" for c in changes):
        revealed = {g: {c.path.split("/")[1] for c in changes if c.path.startswith(g + "/")
                        and c.path.count("/") == 1 and c.old is None}
                    for g in GROUPS}
        changes = [c for c in changes
                   if not any(c.path.split("/")[:2] == [g, n] for g, names in revealed.items()
                              for n in names)]
        for kind, names in revealed.items():
            if names:
                noun = "field" if kind == "fields" else "distribution"
                what = "Data dictionary" if kind == "fields" else "Distributions"
                tail.append(f"{what} shown ({len(names)} {noun}{'s' * (len(names) != 1)})")
    items: dict[str, list[Change]] = {}
    order: list[str] = []
    for c in changes:
        parts = c.path.split("/")
        if parts[0] in GROUPS and len(parts) >= 2:
            key = "/".join(parts[:2])
            if key not in items:
                items[key] = []
                order.append(key)
            items[key].append(c)
        else:
            order.append(c.path)
            items[c.path] = [c]
    for key in order:
        group = items[key]
        parts = key.split("/")
        if parts[0] not in GROUPS:
            out.append(_scalar(label(key), group[0]))
            continue
        noun = GROUPS[parts[0]][0]
        marker = next((c for c in group if c.path == key), None)
        flags = [word for column, word in (("pii", "PII"), ("demographic", "demographic"))
                 if any(c.path == f"{key}/{column}" and c.new for c in group)]
        if marker is not None and marker.old is None:
            out.append(f"{noun} {parts[1]} added" + (f" ({', '.join(flags)})" if flags else ""))
        elif marker is not None and marker.new is None:
            out.append(f"{noun} {parts[1]} removed")
        else:
            out.extend(_scalar(label(c.path), c) for c in group)
    return out + tail


def summary(kind: str, changes: list[Change], *, limit: int = 4) -> str:
    """One sentence for an event: what happened, in at most ``limit`` phrases."""
    if kind == "added":
        return "Added to the catalog"
    if kind == "removed":
        return "Removed from the inventory"
    if kind == "published":
        return "Full record published"
    said = phrases(changes)
    if not said:
        return "No change to what is shown"
    text = "; ".join(said[:limit])
    more = len(said) - limit
    return text + (f"; and {more} more change{'s' if more > 1 else ''}" if more > 0 else "")
