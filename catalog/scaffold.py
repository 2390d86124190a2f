"""``catalog new``: commented starting points for a dataset descriptor (and its agency)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .model.common import ID_PATTERN
from .problems import CatalogError
from .project import AGENCY_FILE, Project

DATASET_TEMPLATE = """\
# yaml-language-server: $schema=../../docs/schema/dataset.schema.json
# A high-value data inventory entry (Public Act 18-175). Reference: docs/descriptor.md
# Check it with: catalog validate {rel}
id: {dataset_id}                 # must equal the file name
title: {title}
description: >-
  What the data records, for whom, and why it is collected. Markdown is allowed.
agency: {agency}
asset_type: tabular              # tabular | geospatial | database | api | document
keywords: [replace-me]
themes: []                       # State Data Plan focal points: standards/vocabularies.yml
high_value:
  value: true
  reason: Why this is a high-value asset (who relies on it, for what).
steward:                         # the person accountable for the data's quality
  name: Data Steward
  email: steward@ct.gov
access:
  level: non-public              # public | restricted public | non-public
  visibility: hidden             # public | listed (existence only) | hidden (staff only)
  rights: The statute or policy that limits access.
  api: false
  bulk_download: false
  state_owned: true
classification:                  # levels: standards/classification.yml
  level: confidential
  assessed_on: {today}
  assessed_by: Data Steward
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
name: Department of Replace Me
abbreviation: {upper}
data_officer:                    # Conn. Gen. Stat. §4-67p agency data officer
  name: Agency Data Officer
  email: data.officer@ct.gov
"""


def _check_id(value: str, what: str) -> None:
    if not re.match(ID_PATTERN, value):
        raise CatalogError(f"{what} '{value}' is not a valid id",
                           hint="use lower-case letters, digits and '-', e.g. dph-lead-screening")


def scaffold(project: Project, agency: str, dataset_id: str, *, title: str | None = None,
             force: bool = False, today: dt.date | None = None) -> list[Path]:
    _check_id(agency, "agency")
    _check_id(dataset_id, "dataset id")
    folder = project.inventory_dir / agency
    target = folder / f"{dataset_id}.yml"
    if target.exists() and not force:
        raise CatalogError(f"{project.rel(target)} already exists", hint="use --force to overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    created = []
    agency_file = folder / f"{AGENCY_FILE}.yml"
    if not agency_file.exists():
        agency_file.write_text(AGENCY_TEMPLATE.format(agency=agency, upper=agency.upper()),
                               encoding="utf-8")
        created.append(agency_file)
    day = (today or dt.date.today()).isoformat()
    target.write_text(DATASET_TEMPLATE.format(
        dataset_id=dataset_id, agency=agency, title=title or "Replace with the dataset title",
        today=day, rel=project.rel(target)), encoding="utf-8")
    created.append(target)
    return created
