"""``catalog new``: commented starting points for a dataset descriptor (and its agency)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path

from .model.common import ID_PATTERN
from .problems import CatalogError
from .project import AGENCY_FILE, Project

# Every value a steward must replace: the validator reports each one left in
# (scaffold-placeholder), so an unedited scaffold can never be published.
PLACEHOLDERS = {
    "title": "Replace with the dataset title",
    "description": "What the data records, for whom, and why it is collected. Markdown is "
                   "allowed.",
    "keyword": "replace-me",
    "reason": "Why this is a high-value asset (who relies on it, for what).",
    "steward": "Name of the data steward",
    "steward_email": "steward@ct.gov",
    "rights": "The statute or policy that limits access.",
    "agency_name": "Department of Replace Me",
    "officer": "Name of the agency data officer",
    "officer_email": "data.officer@ct.gov",
}

DATASET_TEMPLATE = """\
# yaml-language-server: $schema=../../docs/schema/dataset.schema.json
# A high-value data inventory entry (Public Act 18-175). Reference: docs/descriptor.md
# Check it with: catalog validate {rel}
id: {dataset_id}                 # must equal the file name
title: {title}
description: >-
  {description}
agency: {agency}
asset_type: tabular              # tabular | geospatial | database | api | document
keywords: [{keyword}]
themes: []                       # State Data Plan focal points: standards/vocabularies.yml
high_value:
  value: true
  reason: {reason}
steward:                         # the person accountable for the data's quality
  name: {steward}
  email: {steward_email}
access:
  level: non-public              # public | restricted public | non-public
  visibility: hidden             # public | listed (existence only) | hidden (staff only)
  rights: {rights}
  api: false
  bulk_download: false
  state_owned: true
classification:                  # levels: standards/classification.yml
  level: confidential
  assessed_on: {today}
  assessed_by: {steward}
schema:                          # a Frictionless Table Schema; one entry per column
  fields:
    - name: town
      type: string
      description: Connecticut town of residence.
      standard: ct-town          # common element: standards/elements/ct-town.yml
      demographic: false
      pii: false
lifecycle:
  update_frequency: R/P1M        # ISO 8601: standards/vocabularies.yml frequencies
  last_reviewed: {today}
"""

AGENCY_TEMPLATE = """\
# yaml-language-server: $schema=../../docs/schema/agency.schema.json
id: {agency}                     # must equal the folder name
name: {agency_name}
abbreviation: {upper}
data_officer:                    # Conn. Gen. Stat. §4-67p agency data officer
  name: {officer}
  email: {officer_email}
"""


def _check_id(value: str, what: str) -> None:
    if not re.match(ID_PATTERN, value):
        raise CatalogError(f"{what} '{value}' is not a valid id",
                           hint="use lower-case letters, digits and '-', e.g. dph-lead-screening")


def scaffold(project: Project, agency: str, dataset_id: str, *, title: str | None = None,
             force: bool = False, new_agency: bool = False,
             today: dt.date | None = None) -> list[Path]:
    """A commented descriptor at ``inventory/<agency>/<dataset_id>.yml``; the agency's
    ``_agency.yml`` too when ``new_agency`` (an unknown agency is an error otherwise:
    a typo must not create an agency)."""
    _check_id(agency, "agency")
    _check_id(dataset_id, "dataset id")
    folder = project.inventory_dir / agency
    agency_file = folder / f"{AGENCY_FILE}.yml"
    if not agency_file.exists() and not new_agency:
        known = sorted(p.parent.name for p in project.inventory_dir.glob(f"*/{AGENCY_FILE}.yml"))
        close = difflib.get_close_matches(agency, known, n=1)
        raise CatalogError(f"agency '{agency}' does not exist (no inventory/{agency}/"
                           f"{AGENCY_FILE}.yml)",
                           hint=(f"did you mean '{close[0]}'? " if close else "")
                           + "pass --new-agency to create it" + (
                               "; agencies: " + ", ".join(known) if known else ""))
    target = folder / f"{dataset_id}.yml"
    if target.exists() and not force:
        raise CatalogError(f"{project.rel(target)} already exists", hint="use --force to overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    created = []
    if not agency_file.exists():
        agency_file.write_text(AGENCY_TEMPLATE.format(agency=agency, upper=agency.upper(),
                                                      **PLACEHOLDERS), encoding="utf-8")
        created.append(agency_file)
    day = (today or dt.date.today()).isoformat()
    values = {**PLACEHOLDERS, "title": title or PLACEHOLDERS["title"]}
    target.write_text(DATASET_TEMPLATE.format(
        dataset_id=dataset_id, agency=agency, today=day, rel=project.rel(target), **values),
        encoding="utf-8")
    created.append(target)
    return created
