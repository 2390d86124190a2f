"""Words for the codes the catalog stores: what every page shows instead of a raw code
(statuses, kinds, channels, dates, column names). Templates reach them through the
``label``, ``human_date`` and ``column_title`` filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup, escape

from ..agreements.lifecycle import STATUS_LABELS

LABELS: dict[str, dict[str, str]] = {
    "request_status": {
        "received": "Received", "vetting": "Being vetted", "approved": "Approved",
        "fulfilled": "Fulfilled", "denied": "Denied", "withdrawn": "Withdrawn",
    },
    "requester_kind": {
        "public": "Member of the public", "researcher": "Researcher",
        "state-agency": "State agency", "municipality": "Municipality",
        "legislature": "Legislature", "media": "News media", "federal": "Federal agency",
        "nonprofit": "Nonprofit", "business": "Business", "other": "Other",
    },
    "party_kind": {
        "state-agency": "State agency", "federal": "Federal agency", "municipal": "Municipality",
        "university": "University", "nonprofit": "Nonprofit", "vendor": "Vendor",
        "other": "Other",
    },
    "party_role": {"provider": "provides data", "recipient": "receives data",
                   "both": "provides and receives data"},
    "distribution_kind": {"download": "Download", "api": "API", "landing-page": "Web page"},
    "channel": {
        "page": "Dataset pages", "json": "API (JSON)", "csv": "API (CSV)",
        "sql": "SQL queries", "search": "Searches", "export": "Catalog exports",
        "download": "Downloads", "api": "Portal API (imported)",
    },
    "plan_status": {"planned": "Planned", "released": "Released", "not-planned": "Not planned",
                    "overdue": "Overdue"},
    "priority": {"high": "High", "medium": "Medium", "low": "Low"},
    "severity": {"error": "Error", "warning": "Warning", "info": "Note"},
    "use_case_status": {"pending": "Waiting for review", "approved": "Published",
                        "rejected": "Rejected"},
    "agreement_status": STATUS_LABELS,
    "field_type": {
        "string": "Text", "integer": "Whole number", "number": "Number", "boolean": "Yes/no",
        "date": "Date", "datetime": "Date and time", "time": "Time", "year": "Year",
        "yearmonth": "Year and month", "duration": "Duration", "geopoint": "Map point",
        "geojson": "Map shape (GeoJSON)", "object": "Structured (JSON object)",
        "array": "List (JSON array)", "any": "Any value",
    },
    "asset_type": {"tabular": "Table", "geospatial": "Map data", "database": "Database",
                   "api": "API", "document": "Document"},
}

COLUMN_TITLES: dict[str, str] = {
    "id": "Id", "dataset_id": "Dataset", "title": "Title", "agency_id": "Agency",
    "access_level": "Access level", "classification": "Classification",
    "visibility": "Visibility", "field": "Field", "field_title": "Field title",
    "standard": "Standard", "conformance": "Conformance", "status": "Status",
    "details": "Details", "pii_field_count": "PII fields", "steward_name": "Steward",
    "steward_email": "Steward's e-mail", "has_purpose": "Purpose stated",
    "has_access_procedure": "Access procedure", "has_contact": "Contact",
    "plan_status": "Plan status", "priority": "Priority", "target_release": "Target release",
    "plan_notes": "Plan notes", "notes": "Notes", "last_reviewed": "Last reviewed",
    "agreement_id": "Agreement", "term_end": "Term ends", "renewal": "Renewal",
    "days_left": "Days left", "parties": "Parties", "modified": "Last modified",
    "high_value": "High-value", "update_frequency": "Updated", "api": "API",
    "bulk_download": "Bulk download", "source_file": "Source file", "problems": "Problems",
}

def label(code: Any, kind: str) -> str:
    """The words for ``code`` of ``kind`` (the code itself, readable, when unknown)."""
    if code is None or code == "":
        return ""
    text = str(code)
    found = LABELS.get(kind, {}).get(text)
    if found:
        return found
    return text.replace("-", " ").replace("_", " ").capitalize()


def human_date(value: Any, *, with_time: bool = False) -> Markup:
    """A date as people read it, kept on one line: ``<time datetime="2018-11-01">Nov 1,
    2018</time>``. Text that is not a date is shown as it is."""
    if value is None or value == "":
        return Markup("")
    text = str(value)
    try:
        if with_time and len(text) > 10:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            shown = f"{moment:%b} {moment.day}, {moment:%Y} at {moment:%H:%M} UTC"
            return Markup('<time class="ct-date" datetime="{}">{}</time>').format(text, shown)
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return Markup("{}").format(text)
    shown = f"{day:%b} {day.day}, {day:%Y}"
    return Markup('<time class="ct-date" datetime="{}">{}</time>').format(day.isoformat(),
                                                                       escape(shown))


def column_title(name: str) -> str:
    """A result column's heading: a known title, or the name in words."""
    return COLUMN_TITLES.get(name) or name.replace("_", " ").capitalize()
