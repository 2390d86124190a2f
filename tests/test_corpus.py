"""Bad-input corpus: one minimal broken project per problem code.

Every case starts from the valid fixture project (``conftest.AGENCY`` and
``conftest.DATASET``, plus a valid agreement where needed), breaks exactly one thing,
and states the code, file and line (and sometimes the column) the validator must
report. ``test_every_code_has_a_case`` keeps the table complete as codes are added.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from catalog import load as load_module
from catalog.build import validate
from catalog.load import MAX_BYTES, load_bytes
from catalog.problems import CODES, Problem, Severity
from catalog.project import Project

from .conftest import AGENCY, DATASET, REPO, MakeProject, dedent

TODAY = dt.date(2026, 11, 23)
DS = "inventory/tst/tst-town-counts.yml"
AG = "inventory/_agreements/tst-uconn-evaluation.yml"


# -- helpers -------------------------------------------------------------------------------


def edit(old: str, new: str, text: str = DATASET) -> str:
    """``text`` with the single occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the ``nth`` line of ``text`` that contains ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s)"
    return hits[nth - 1]


DCF_AGENCY = """\
id: dcf
name: Department of Children and Families
abbreviation: DCF
data_officer:
  name: Pat Officer
  email: pat.officer@ct.gov
"""
DCF_DS = "inventory/dcf/dcf-client-visits.yml"
# A DCF client-level dataset: DCF Policy 5-4 applies to it and to agreements sharing it
DCF_DATASET = """\
id: dcf-client-visits
title: Client visits
description: One record per home visit to a client family.
agency: dcf
keywords: [visits]
themes: [healthcare-service-delivery]
high_value:
  value: false
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
access:
  level: non-public
  rights: Conn. Gen. Stat. §17a-28
classification:
  level: restricted
  assessed_on: 2026-01-15
  assessed_by: Sam Steward
personal_data:
  purpose: Case practice required by statute.
  access_procedure: Clients request their records with form DCF-2131F.
  contact:
    name: Pat Officer
    email: pat.officer@ct.gov
schema:
  fields:
    - name: client_id
      type: string
      pii: true
      description: Client identifier.
    - name: visited_on
      type: date
      description: Day of the visit.
lifecycle:
  update_frequency: R/P1D
  last_reviewed: 2026-06-01
"""

AGREEMENT = """\
id: tst-uconn-evaluation
title: Evaluation of client visits with UConn
status: active
public: true
parties:
  - agency: dcf
    role: provider
    contact: Pat Officer
  - name: University of Connecticut
    kind: university
    role: recipient
    contact: Principal Investigator
purpose: Evaluate whether town counts predict service demand.
term:
  start: 2025-01-01
  end: 2027-06-30
summary_of_terms: UConn receives extracts quarterly and publishes only aggregates.
datasets: [dcf-client-visits]
legal_authority: Conn. Gen. Stat. §17a-28
risks_and_benefits: Better service planning; re-identification risk in small towns.
racial_justice_assessment: Results are disaggregated by race and reviewed for disparity.
equity_conformance: Conforms to the Department's racial justice and equity commitments.
protections:
  risk_mitigation: Small-number suppression before any publication.
  data_security: Encrypted at rest and in transit; access limited to named staff.
  privacy: No record-level data leaves the secure enclave.
  client_data_use: Client data is used only for this evaluation.
identifiable_client_data: true
consent_plan:
  description: Clients are notified by letter and asked for informed consent.
  approved_by: Commissioner
  approved_on: 2024-12-01
approvals:
  - kind: irb
    by: DCF Institutional Review Board
    date: 2024-12-10
    reference: SharePoint IRB/2024/17
  - kind: governance
    by: Executive Team IS Governance body
    date: 2024-12-03
    reference: SharePoint ISG/2024/09
reviews:
  - office: research-evaluation
    date: 2024-11-01
    archive_ref: SharePoint ORE/reviews/2024-11
  - office: multicultural-affairs
    date: 2024-11-05
    archive_ref: SharePoint OMAIP/reviews/2024-11
  - office: racial-justice-workgroup
    date: 2024-11-12
    archive_ref: SharePoint SWRJWG/reviews/2024-11
ongoing_review:
  frequency: P1Y
  next_due: 2027-01-01
"""

SAMPLE_OK = "town,things\nHartford,12\nNew Haven,7\n"
SAMPLE_BAD = "town,things\nHartford,12\nNew Haven,seven\n"

WITH_SAMPLE = edit("license: cc0-1.0\n", "license: cc0-1.0\nsample: samples/x.csv\n")
SMALL_SAMPLES = """\
title: Test catalog
publisher:
  name: State of Connecticut
base_url: https://inventory.example.gov
sample_limit_mib: 1
"""
_BIG_SAMPLE = "town,things\n" + "Hartford,12\n" * 100_000  # 1.1 MiB
# "New Haven,7 ", then a Windows-1252 quotation mark: the file's 3rd line, 13th character
_CP1252_SAMPLE = b"town,things\nHartford,12\nNew Haven,7 \x93\n"

EXTRA_FIELD = "    - name: things\n"


def add_field(yaml_field: str, text: str = DATASET) -> str:
    """``text`` with one more field (written at the left margin) before 'things'."""
    block = "".join(f"    {line}\n" for line in dedent(yaml_field).splitlines())
    return edit(EXTRA_FIELD, block + EXTRA_FIELD, text)


def symlink(name: str, target: Callable[[Path], Path],
            content: str | None = None) -> Callable[[Path], None]:
    """A setup step: ``inventory/tst/<name>`` becomes a symlink to ``target(root)``,
    which is written with ``content`` unless that is None (a dangling link)."""

    def setup(root: Path) -> None:
        if content is not None:
            target(root).write_text(content, encoding="utf-8")
        os.symlink(target(root), root / "inventory/tst" / name)

    return setup


@dataclass
class Case:
    code: str
    files: dict[str, str | bytes | None]
    file: str
    line: int | None
    column: int | None = None
    suffix: str = ""
    hint: str | None = ""  # "" = any non-empty hint, None = no hint expected, else substring
    setup: Callable[[Path], None] | None = None
    today: dt.date = TODAY

    @property
    def id(self) -> str:
        return self.code + (f"-{self.suffix}" if self.suffix else "")


def ds(text: str) -> dict[str, str | bytes | None]:
    return {DS: text}


def dcf(text: str = DCF_DATASET) -> dict[str, str | bytes | None]:
    """The DCF agency and a DCF dataset (``text``)."""
    return {"inventory/dcf/_agency.yml": DCF_AGENCY, DCF_DS: text}


def ag(text: str = AGREEMENT) -> dict[str, str | bytes | None]:
    """An agreement between DCF and UConn sharing the DCF dataset."""
    return {AG: text, **dcf()}


# -- the corpus --------------------------------------------------------------------------------

_DEEP = "extensions:\n  deep: " + "[" * 45 + "1" + "]" * 45 + "\n"
_ALIAS = edit("steward:\n", "steward: &who\n") + "custodian: *who\n"
_DUP_KEY = edit("title: Town counts\n", "title: Town counts\ntitle: Again\n")
_NOT_UTF8 = edit("description: Counts", "description: Caf\xe9 counts").encode("utf-8") \
    .replace("Caf\xe9".encode("utf-8"), b"Caf\xe9")
_NO_CLASSIFICATION = edit(
    "classification:\n  level: public\n  assessed_on: 2025-11-30\n  assessed_by: Sam Steward\n", "")
_NO_DISTRIBUTIONS = edit(
    "distributions:\n  - id: csv\n    title: CSV download\n"
    "    url: https://data.ct.gov/api/views/abcd-1234/rows.csv\n    media_type: text/csv\n", "")
_NON_PUBLIC = edit("  level: public\n  api: true\n",
                   "  level: non-public\n  rights: Conn. Gen. Stat. §17a-28\n  api: true\n")
_PII = edit("      description: Number of things.\n",
            "      description: Number of things.\n      pii: true\n")
_PERSONAL_DATA = """\
personal_data:
  purpose: Required by statute to count things.
  access_procedure: Write to the data officer to see your own records.
  contact:
    name: Pat Officer
    email: pat.officer@ct.gov
"""
_PREDICTIVE = """\
predictive_analytics:
  used: true
  description: A model ranks towns by expected demand.
"""
_ASSESSMENT = """\
  assessment:
    legitimate_interest: {answer: "yes", explanation: Service planning.}
    amenable_to_amelioration: {answer: "yes", explanation: Services reduce demand.}
    minimally_intrusive_intervention: {answer: "yes", explanation: Outreach only.}
    structural_inequity_review: {answer: "yes", explanation: Reviewed by SWRJWG.}
    no_profiling_or_disparate_impact: {answer: "yes", explanation: Town level only.}
  reviewed_by: Office for Research and Evaluation
  reviewed_on: 2025-03-01
  decision: approved
  ongoing_review:
    frequency: P1Y
    last_done: 2026-03-01
"""

_NEW_STD = """\
id: tst-thing
title: Kind of thing
category: other
description: A kind of thing.
types: [string]
values_from:
  path: data/tst-things.csv
  code: code
  label: label
"""

_NO_STEWARD_NAME = edit("  name: Sam Steward\n", "")
_ENUM_LINE = "        enum: [Hartford, New Haven]\n"
_BAD_REGEX = edit(_ENUM_LINE, _ENUM_LINE + "        pattern: '['\n")
_TSU_AGENCY = edit("id: tst", "id: tsu", AGENCY)
_OTHER_DATASET = edit("agency: tst\n", "agency: tsu\n")

CASES: list[Case] = [
    # -- load -------------------------------------------------------------------------------
    Case("file-not-utf8", ds(_NOT_UTF8), DS, line_of(DATASET, "description:"), 17),
    Case("yaml-syntax", ds(edit("description: Counts", "description: Co\0unts")), DS,
         line_of(DATASET, "description:"), 16, suffix="null-byte"),
    Case("file-empty", ds(""), DS, 1, suffix="empty"),
    Case("file-empty", ds("# nothing here yet\n\n"), DS, 1, suffix="comments"),
    Case("file-too-large", ds(DATASET + "#" * (MAX_BYTES + 1) + "\n"), DS, None),
    Case("file-unreadable", {}, "inventory/tst/tst-gone.yml", None,
         setup=symlink("tst-gone.yml", lambda root: root / "inventory/tst/missing.yml")),
    Case("file-not-regular", {}, "inventory/tst/tst-pipe.yml", None,
         setup=lambda root: os.mkfifo(root / "inventory/tst/tst-pipe.yml")),
    Case("file-outside-root", {}, "inventory/tst/tst-elsewhere.yml", None,
         setup=symlink("tst-elsewhere.yml", lambda root: root.parent / "elsewhere.yml",
                       edit("id: tst-town-counts", "id: tst-elsewhere"))),
    Case("file-misplaced", {"inventory/stray.yml": DATASET}, "inventory/stray.yml", None,
         suffix="top-level"),
    Case("file-misplaced", {"inventory/tst/samples/x.yml": DATASET},
         "inventory/tst/samples/x.yml", None, suffix="sub-folder"),
    Case("file-misplaced", {"inventory/tst/_notes.yml": "note: hi\n"},
         "inventory/tst/_notes.yml", None, suffix="special"),
    Case("yaml-syntax", ds(edit("title: Town counts", "title: Town: counts")), DS,
         line_of(DATASET, "title:"), 12, suffix="colon"),
    Case("yaml-syntax", ds(edit("  name: Sam Steward", "\tname: Sam Steward")), DS,
         line_of(DATASET, "name: Sam Steward"), hint="tab", suffix="tab"),
    Case("yaml-duplicate-key", ds(_DUP_KEY), DS, line_of(DATASET, "title:") + 1, 1,
         hint=f"line {line_of(DATASET, 'title:')}"),
    Case("yaml-alias", ds(_ALIAS), DS, line_of(_ALIAS, "custodian: *who"), 1),
    Case("yaml-unsupported-tag", ds(edit("title: Town counts", "title: !secret Town counts")),
         DS, line_of(DATASET, "title:"), 8),
    Case("yaml-not-mapping", ds("- id: tst-town-counts\n- id: other\n"), DS, 1, 1,
         suffix="list"),
    Case("yaml-not-mapping", ds("just a sentence\n"), DS, 1, 1, suffix="scalar"),
    Case("yaml-too-deep", ds(DATASET + _DEEP), DS, line_of(DATASET + _DEEP, "deep:"),
         suffix="block"),
    Case("yaml-too-deep", ds(DATASET + "extensions:\n  deep: " + "[" * 2000 + "]" * 2000 + "\n"),
         DS, None, suffix="flow-bomb"),
    Case("yaml-key-not-string", ds(DATASET + "null: oops\n"), DS,
         line_of(DATASET, "last_reviewed") + 1, 1),
    # -- model --------------------------------------------------------------------------------
    Case("missing-property", ds(edit("title: Town counts\n", "")), DS, 1, hint="title",
         suffix="top-level"),
    Case("missing-property", ds(_NO_STEWARD_NAME), DS,
         line_of(_NO_STEWARD_NAME, "email: sam.steward"), 3, hint="name", suffix="nested"),
    Case("missing-property", ag(edit("  - name: University of Connecticut\n    kind:",
                                     "  - kind:", AGREEMENT)),
         AG, line_of(AGREEMENT, "name: University") , hint=None, suffix="party"),
    Case("unknown-property", ds(edit("title: Town counts", "titel: Town counts")), DS,
         line_of(DATASET, "title:"), 1, hint="'title'", suffix="top-level"),
    Case("unknown-property", ds(edit("  email: sam.steward", "  emial: sam.steward")), DS,
         line_of(DATASET, "email: sam.steward"), 3, hint="'email'", suffix="nested"),
    Case("invalid-type", ds(edit("      standard: ct-town\n",
                                 "      standard: ct-town\n      pii: yes\n")), DS,
         line_of(DATASET, "standard: ct-town") + 1, 12, hint="true or false", suffix="yes"),
    Case("invalid-type", ds(edit("keywords: [towns, counts]", "keywords: towns")), DS,
         line_of(DATASET, "keywords:"), hint="list", suffix="list"),
    Case("invalid-value", ds(edit("  level: public\n  api", "  level: publik\n  api")), DS,
         line_of(DATASET, "api: true") - 1, 10, hint="did you mean 'public'?", suffix="enum"),
    Case("invalid-value", ds(edit("agency: tst", "agency: TST")), DS,
         line_of(DATASET, "agency:"), hint="lower-case", suffix="pattern"),
    # -- frictionless --------------------------------------------------------------------------
    Case("table-schema-invalid", ds(edit("  fields:\n", "  primaryKey: [nothing]\n  fields:\n")),
         DS, line_of(DATASET, "  fields:")),
    Case("table-schema-invalid", ds(_BAD_REGEX), DS, line_of(_BAD_REGEX, "pattern: '['"), 18,
         suffix="bad-regex"),
    Case("table-schema-invalid", {DS: edit(_ENUM_LINE, _ENUM_LINE + "        pattern: '['\n",
                                           WITH_SAMPLE),
                                  "inventory/tst/samples/x.csv": SAMPLE_OK},
         DS, line_of(_BAD_REGEX, "pattern: '['"), 18, suffix="bad-regex-with-sample"),
    Case("sample-not-found", ds(WITH_SAMPLE), DS, line_of(WITH_SAMPLE, "sample:"), 9),
    Case("sample-invalid", {DS: WITH_SAMPLE, "inventory/tst/samples/x.csv": SAMPLE_BAD},
         "inventory/tst/samples/x.csv", 3, 2, hint=DS, suffix="type"),
    Case("sample-invalid", {DS: edit("      constraints:\n" + _ENUM_LINE, "", WITH_SAMPLE),
                            "inventory/tst/samples/x.csv": "town,things\nHartford,1\nHartfrod,2\n"},
         "inventory/tst/samples/x.csv", 3, 1, hint=DS, suffix="standard-value"),
    Case("sample-too-large", {DS: WITH_SAMPLE, "inventory/_catalog.yml": SMALL_SAMPLES,
                              "inventory/tst/samples/x.csv": _BIG_SAMPLE},
         "inventory/tst/samples/x.csv", None, hint="sample_limit_mib"),
    Case("sample-not-utf8", {DS: WITH_SAMPLE, "inventory/tst/samples/x.csv": _CP1252_SAMPLE},
         "inventory/tst/samples/x.csv", 3, 13, hint="CP1252"),
    Case("sample-null-byte", {DS: WITH_SAMPLE,
                              "inventory/tst/samples/x.csv": b"town,things\nHart\0ford,12\n"},
         "inventory/tst/samples/x.csv", 2, 5),
    # -- references ---------------------------------------------------------------------------
    Case("duplicate-id", {"inventory/tsu/_agency.yml": edit("id: tst", "id: tsu", AGENCY),
                          "inventory/tsu/tst-town-counts.yml": _OTHER_DATASET},
         "inventory/tsu/tst-town-counts.yml", 1, 5, hint="prefix", suffix="across-agencies"),
    Case("duplicate-id", {"inventory/tst/tst-z-copy.yml": DATASET},
         "inventory/tst/tst-z-copy.yml",
         1, 5, hint="prefix", suffix="same-agency"),
    Case("id-filename-mismatch", ds(edit("id: tst-town-counts", "id: tst-town-count")), DS, 1, 5,
         hint="tst-town-count.yml", suffix="dataset"),
    Case("id-filename-mismatch", {"inventory/tst/_agency.yml": edit("id: tst", "id: tsx", AGENCY)},
         "inventory/tst/_agency.yml", 1, 5, suffix="agency"),
    Case("id-filename-mismatch", ag(edit("id: tst-uconn-evaluation", "id: tst-uconn-eval",
                                         AGREEMENT)), AG, 1, 5, hint=None, suffix="agreement"),
    Case("agency-folder-mismatch", {DS: edit("agency: tst", "agency: tsu"),
                                    "inventory/tsu/_agency.yml": _TSU_AGENCY},
         DS, line_of(DATASET, "agency:"), 9, hint="inventory/tsu/"),
    Case("unknown-agency", {"inventory/tst/_agency.yml": None}, DS, line_of(DATASET, "agency:"), 9,
         suffix="dataset"),
    Case("unknown-agency", ag(edit("  - agency: dcf\n", "  - agency: dcx\n", AGREEMENT)), AG,
         line_of(AGREEMENT, "agency: dcf"), 13, hint="did you mean 'dcf'?", suffix="party"),
    Case("unknown-standard", ds(edit("standard: ct-town", "standard: ct-towns")), DS,
         line_of(DATASET, "standard: ct-town"), 17, hint="did you mean 'ct-town'?"),
    Case("unknown-dataset", ag(edit("datasets: [dcf-client-visits]",
                                    "datasets: [dcf-client-visit]", AGREEMENT)),
         AG, line_of(AGREEMENT, "datasets:"), 12, hint="did you mean 'dcf-client-visits'?"),
    Case("unknown-term", ds(edit("themes: [land-use]", "themes: [land-uses]")), DS,
         line_of(DATASET, "themes:"), 10, hint="did you mean 'land-use'?", suffix="theme"),
    Case("unknown-term", ds(edit("license: cc0-1.0", "license: cc0")), DS,
         line_of(DATASET, "license:"), 10, suffix="license"),
    Case("unknown-term", ds(edit("update_frequency: R/P1Y", "update_frequency: yearly")), DS,
         line_of(DATASET, "update_frequency:"), 21, suffix="frequency"),
    Case("unknown-term", ds(DATASET + "disclosure:\n  granularity: towns\n"), DS,
         line_of(DATASET, "last_reviewed") + 2, 16, hint="did you mean 'town'?",
         suffix="granularity"),
    Case("unknown-classification", ds(edit("  level: public\n  assessed_on",
                                           "  level: publik\n  assessed_on")), DS,
         line_of(DATASET, "assessed_on") - 1, 10, hint="did you mean 'public'?"),
    Case("unknown-suppression-policy",
         ds(DATASET + "disclosure:\n  suppression_policy: ct-small-n\n"), DS,
         line_of(DATASET, "last_reviewed") + 2, 23, hint="ct-small-n-5"),
    Case("unknown-agreement", {**ag(), DS: DATASET + "related_agreements: [tst-uconn-eval]\n"},
         DS, line_of(DATASET, "last_reviewed") + 1, 22, hint="tst-uconn-evaluation"),
    Case("standard-values-unreadable", {"standards/elements/tst-thing.yml": _NEW_STD},
         "standards/elements/tst-thing.yml", line_of(_NEW_STD, "path:"), 9, suffix="no-file"),
    Case("standard-values-unreadable", {"standards/elements/tst-thing.yml": _NEW_STD,
                                        "standards/data/tst-things.csv": "id,name\na,A\n"},
         "standards/elements/tst-thing.yml", line_of(_NEW_STD, "path:"), hint="columns: id, name",
         suffix="no-column"),
    Case("standard-values-unreadable", {"standards/elements/tst-thing.yml": _NEW_STD,
                                        "standards/data/tst-things.csv": b"code,label\n\xff,x\n"},
         "standards/elements/tst-thing.yml", line_of(_NEW_STD, "path:"), suffix="not-utf8"),
    # -- conformance -------------------------------------------------------------------------
    Case("standard-type-mismatch",
         ds(edit("    - name: town\n      type: string", "    - name: town\n      type: year")),
         DS, line_of(DATASET, "type: string"), 13, hint="type: string"),
    Case("standard-value-mismatch", ds(edit("enum: [Hartford, New Haven]",
                                            "enum: [Hartford, New Heaven]")),
         DS, line_of(DATASET, "enum:"), 15, suffix="enum"),
    Case("standard-value-mismatch", ds(add_field("""\
        - name: age
          type: integer
          standard: age-years
          demographic: true
          constraints:
            minimum: 0
            maximum: 150
        """)), DS, line_of(DATASET, "- name: things") + 6, 18, hint="maximum: 120",
         suffix="maximum"),
    Case("standard-pattern-mismatch", ds(add_field(r"""
        - name: zip
          type: string
          standard: zip-code
          constraints:
            pattern: '^\d{5}$'
        """)), DS, line_of(DATASET, "- name: things") + 4, 18, hint="pattern"),
    Case("standard-format-mismatch", ds(add_field("""\
        - name: contact
          type: string
          standard: email
        """)), DS, line_of(DATASET, "- name: things"), 7, hint="format: email"),
    Case("standard-deprecated", ds(add_field("""\
        - name: race
          type: string
          standard: race-1997
          demographic: true
          constraints:
            enum: [asian, white]
        """)), DS, line_of(DATASET, "- name: things") + 2, 17),
    # -- policy --------------------------------------------------------------------------------
    Case("missing-personal-data-policy", ds(_PII), DS, line_of(_PII, "pii: true"), 12,
         hint="personal_data"),
    Case("missing-suppression-policy",
         ds(DATASET + "disclosure:\n  aggregates_confidential: true\n"), DS,
         line_of(DATASET, "last_reviewed") + 2, 3, hint="suppression_policy"),
    Case("missing-classification", ds(_NO_CLASSIFICATION), DS,
         line_of(_NO_CLASSIFICATION, "value: true"), 3, hint="classification"),
    Case("classification-access-conflict",
         ds(edit("  level: public\n  assessed_on", "  level: confidential\n  assessed_on")),
         DS, line_of(DATASET, "level: public"), 10),
    Case("predictive-assessment-incomplete", dcf(DCF_DATASET + _PREDICTIVE), DCF_DS,
         line_of(DCF_DATASET + _PREDICTIVE, "used: true"), 3, suffix="no-assessment"),
    Case("predictive-assessment-incomplete",
         dcf(DCF_DATASET + _PREDICTIVE + edit("  decision: approved\n", "", _ASSESSMENT)),
         DCF_DS, line_of(DCF_DATASET + _PREDICTIVE, "used: true"), 3, suffix="no-decision"),
    Case("automated-decision-making",
         ds(DATASET + _PREDICTIVE + "  automated_decision_making: true\n" + _ASSESSMENT), DS,
         line_of(DATASET + _PREDICTIVE, "description: A model") + 1, 30),
    Case("non-public-download", ds(_NON_PUBLIC), DS, line_of(_NON_PUBLIC, "- id: csv"), 5,
         hint="landing-page"),
    Case("pii-in-public-dataset", ds(_PII + _PERSONAL_DATA), DS, line_of(_PII, "pii: true"), 12),
    Case("missing-rights", ds(edit("  level: public\n  api", "  level: restricted public\n  api")),
         DS, line_of(DATASET, "level: public"), 3, hint="access.rights"),
    Case("public-without-distribution", ds(_NO_DISTRIBUTIONS), DS,
         line_of(DATASET, "level: public"), 3),
    Case("hidden-public-dataset", ds(edit("  api: true", "  visibility: hidden\n  api: true")), DS,
         line_of(DATASET, "api: true"), 15, hint="visibility: public"),
    Case("missing-demographic-flag", ds(add_field("""\
        - name: sex
          type: string
          standard: sex
          constraints:
            enum: [F, M]
        """)), DS, line_of(DATASET, "- name: things") + 2, 17, hint="demographic: true"),
    # -- agreements -----------------------------------------------------------------------------
    Case("agreement-term-invalid", ag(edit("  end: 2027-06-30", "  end: 2024-06-30", AGREEMENT)),
         AG, line_of(AGREEMENT, "end: 2027"), 8, hint=None),
    Case("agreement-missing-consent-plan",
         ag(edit("consent_plan:\n  description: Clients are notified by letter and asked for "
                 "informed consent.\n  approved_by: Commissioner\n  approved_on: 2024-12-01\n",
                 "", AGREEMENT)),
         AG, line_of(AGREEMENT, "identifiable_client_data"), 27, hint="consent_plan"),
    Case("agreement-consent-not-approved",
         ag(edit("  approved_by: Commissioner\n  approved_on: 2024-12-01\n", "", AGREEMENT)),
         AG, line_of(AGREEMENT, "consent_plan:") + 1, 3, hint="approved_by"),
    Case("agreement-missing-approval", ag(edit("  - kind: irb", "  - kind: governance", AGREEMENT)),
         AG, line_of(AGREEMENT, "- kind: irb"), 3, hint="irb|commissioner"),
    Case("agreement-missing-review",
         ag(edit("  - office: multicultural-affairs\n    date: 2024-11-05\n"
                 "    archive_ref: SharePoint OMAIP/reviews/2024-11\n", "", AGREEMENT)),
         AG, line_of(AGREEMENT, "- office: research-evaluation"), 3,
         hint="multicultural-affairs"),
    Case("agreement-review-not-archived",
         ag(edit("    archive_ref: SharePoint OMAIP/reviews/2024-11\n", "", AGREEMENT)),
         AG, line_of(AGREEMENT, "- office: multicultural-affairs"), 5, hint="archive_ref",
         suffix="review"),
    Case("agreement-review-not-archived",
         ag(edit("    reference: SharePoint IRB/2024/17\n", "", AGREEMENT)),
         AG, line_of(AGREEMENT, "- kind: irb"), 5, hint="reference", suffix="approval"),
    Case("agreement-expired", ag(edit("  end: 2027-06-30", "  end: 2026-06-30", AGREEMENT)),
         AG, line_of(AGREEMENT, "status: active"), 9, hint="status: expired"),
    Case("agreement-no-state-party",
         ag(edit("  - agency: dcf\n    role: provider\n",
                 "  - name: Yale University\n    kind: university\n    role: provider\n",
                 AGREEMENT)),
         AG, line_of(AGREEMENT, "- agency: dcf"), 3, hint="agency"),
]

_NO_GOVERNANCE = edit("  - kind: governance\n    by: Executive Team IS Governance body\n"
                      "    date: 2024-12-03\n    reference: SharePoint ISG/2024/09\n", "",
                      AGREEMENT)
_NO_ONGOING = edit("ongoing_review:\n  frequency: P1Y\n  next_due: 2027-01-01\n", "", AGREEMENT)

CASES += [
    Case("agreement-missing-governance-approval", ag(_NO_GOVERNANCE), AG,
         line_of(AGREEMENT, "- kind: irb"), 3, hint="kind: governance"),
    Case("agreement-ongoing-review-missing", ag(_NO_ONGOING), AG,
         line_of(AGREEMENT, "status: active"), 9, hint="ongoing_review"),
    Case("agreement-ongoing-review-overdue",
         ag(edit("  next_due: 2027-01-01", "  next_due: 2026-01-01", AGREEMENT)), AG,
         line_of(AGREEMENT, "next_due:"), 13, hint="last_done"),
    Case("agreement-ongoing-review-overdue",
         ag(edit("  next_due: 2027-01-01", "  last_done: 2025-06-01", AGREEMENT)), AG,
         line_of(AGREEMENT, "next_due:"), 14, hint="last_done", suffix="from-last-done"),
    Case("agreement-status-mismatch", ag(edit("status: active", "status: expired", AGREEMENT)),
         AG, line_of(AGREEMENT, "status:"), 9, hint="terminated", suffix="expired-early"),
    Case("agreement-status-mismatch",
         ag(edit("  start: 2025-01-01", "  start: 2027-01-01", AGREEMENT)),
         AG, line_of(AGREEMENT, "status:"), 9, hint="status: approved", suffix="active-early"),
    Case("agreement-status-mismatch",
         ag(edit("status: active", "status: approved",
                 edit("  end: 2027-06-30", "  end: 2026-06-30", AGREEMENT))),
         AG, line_of(AGREEMENT, "status:"), 9, hint="status: expired", suffix="approved-ended"),
    Case("invalid-value", ag(edit("  frequency: P1Y", "  frequency: yearly", AGREEMENT)), AG,
         line_of(AGREEMENT, "frequency:"), 14, hint="P1Y", suffix="review-frequency"),
]

# -- loopholes: no rule is closed by its own flag (docs/policy-map.md) ---------------------------
_CONSENT = ("consent_plan:\n  description: Clients are notified by letter and asked for "
            "informed consent.\n  approved_by: Commissioner\n  approved_on: 2024-12-01\n")
_GOVERNANCE = ("  - kind: governance\n    by: Executive Team IS Governance body\n"
               "    date: 2024-12-03\n    reference: SharePoint ISG/2024/09\n")
_UCONN = ("  - name: University of Connecticut\n    kind: university\n    role: recipient\n"
          "    contact: Principal Investigator\n")
_DECLARED_FALSE = edit("identifiable_client_data: true", "identifiable_client_data: false",
                       AGREEMENT)
_FALSE_NO_CONSENT = edit(_CONSENT, "", _DECLARED_FALSE)
_FALSE_NO_GOVERNANCE = edit(_GOVERNANCE, "", _DECLARED_FALSE)
_WITH_DSS = edit(_CONSENT, "", edit(_UCONN, "  - agency: dss\n    role: recipient\n"
                                    "    contact: DSS data officer\n", AGREEMENT))
_DSS_AGENCY = edit("id: tst", "id: dss", AGENCY)
_NO_PII_DCF = edit("    - name: client_id\n      type: string\n      pii: true\n"
                   "      description: Client identifier.\n",
                   "    - name: region\n      type: string\n      description: DCF region.\n",
                   DCF_DATASET)
_DEIDENTIFIED = edit(_GOVERNANCE, "", edit("identifiable_client_data: true\n" + _CONSENT, "",
                                           AGREEMENT))
_NOT_USED_ADM = DATASET + edit("used: true", "used: false", _PREDICTIVE) + \
    "  automated_decision_making: true\n"
_REJECTED_ADM = DATASET + _PREDICTIVE + "  automated_decision_making: true\n" + \
    edit("decision: approved", "decision: rejected", _ASSESSMENT)
_ALL_NO = DCF_DATASET + _PREDICTIVE + _ASSESSMENT.replace('answer: "yes"', 'answer: "no"')
_USED_REJECTED = DCF_DATASET + _PREDICTIVE + edit("decision: approved", "decision: rejected",
                                                  _ASSESSMENT)
_USED_PENDING = DCF_DATASET + _PREDICTIVE + edit("decision: approved", "decision: pending",
                                                 _ASSESSMENT)
_NO_TOOL_REVIEW = DCF_DATASET + _PREDICTIVE + edit(
    "  ongoing_review:\n    frequency: P1Y\n    last_done: 2026-03-01\n", "", _ASSESSMENT)
_TOOL_REVIEW_LATE = DCF_DATASET + _PREDICTIVE + edit("last_done: 2026-03-01",
                                                     "last_done: 2025-03-01", _ASSESSMENT)
_PI_CONSENT = edit("  approved_by: Commissioner", "  approved_by: The study PI", AGREEMENT)
_PERSON_IRB = edit("    by: DCF Institutional Review Board", "    by: Dr. Pat Smith", AGREEMENT)
_LATE_CONSENT = edit("  approved_on: 2024-12-01", "  approved_on: 2025-02-01", AGREEMENT)
_LATE_IRB = edit("    date: 2024-12-10", "    date: 2025-03-10", AGREEMENT)
_FUTURE_IRB = edit("    date: 2024-12-10", "    date: 2029-12-10", AGREEMENT)
_X_REFERENCE = edit("    reference: SharePoint IRB/2024/17", '    reference: "x"', AGREEMENT)
_DASH_ARCHIVE = edit("    archive_ref: SharePoint ORE/reviews/2024-11", '    archive_ref: "-"',
                     AGREEMENT)
_NAME_ONLY_CONTACT = _PII + edit("    email: pat.officer@ct.gov\n", "", _PERSONAL_DATA)
_FUTURE_ASSESSMENT = edit("assessed_on: 2025-11-30", "assessed_on: 2027-01-15")
_OLD_ASSESSMENT = edit("assessed_on: 2025-11-30", "assessed_on: 2025-01-15")
_NO_LICENSE = edit("license: cc0-1.0\n", "")
_PLACEHOLDER = edit("title: Town counts", "title: Replace with the dataset title")
_WEAK_DCF = DCF_DATASET + "disclosure:\n  aggregates_confidential: true\n" \
    "  suppression_policy: ct-small-n-5\n"


def _named(name: str) -> str:
    return add_field(f"- name: {name}\n  type: string\n  description: A value.\n")


_SSN_VALUES = add_field("- name: ref\n  type: string\n  description: Reference.\n", WITH_SAMPLE)
TST_PACK = """\
id: tst-open-data
title: Testing department open data policy
source: Department of Testing, Open Data Policy (2026)
agency: tst
rules:
  - id: tst-cc-by
    clause: "§2"
    says: Open data is published under CC BY 4.0.
    when: {access.level: public}
    require: {license: [cc-by-4.0]}
"""

CASES += [
    Case("agreement-missing-consent-plan", ag(_FALSE_NO_CONSENT), AG,
         line_of(_FALSE_NO_CONSENT, "identifiable_client_data"), 27, hint="consent_plan",
         suffix="declared-false"),
    Case("agreement-missing-consent-plan", {**ag(_WITH_DSS), "inventory/dss/_agency.yml":
                                            _DSS_AGENCY},
         AG, line_of(_WITH_DSS, "identifiable_client_data"), 27, hint="other agencies",
         suffix="state-agency-external"),
    Case("agreement-missing-governance-approval", ag(_FALSE_NO_GOVERNANCE), AG,
         line_of(_FALSE_NO_GOVERNANCE, "- kind: irb"), 3, hint="kind: governance",
         suffix="declared-false"),
    Case("agreement-missing-governance-approval", {**ag(_DEIDENTIFIED), DCF_DS: _NO_PII_DCF},
         AG, line_of(_DEIDENTIFIED, "- kind: irb"), 3, hint="kind: governance",
         suffix="client-level"),
    Case("automated-decision-making", ds(_NOT_USED_ADM), DS,
         line_of(_NOT_USED_ADM, "automated_decision_making"), 30, suffix="not-used"),
    Case("automated-decision-making", ds(_REJECTED_ADM), DS,
         line_of(_REJECTED_ADM, "automated_decision_making"), 30, suffix="rejected"),
    Case("predictive-assessment-failed", dcf(_ALL_NO), DCF_DS,
         line_of(_ALL_NO, "decision: approved"), 13, hint="'yes'"),
    Case("predictive-use-not-approved", dcf(_USED_REJECTED), DCF_DS,
         line_of(_USED_REJECTED, "used: true"), 9, suffix="rejected"),
    Case("predictive-use-not-approved", dcf(_USED_PENDING), DCF_DS,
         line_of(_USED_PENDING, "used: true"), 9, suffix="pending"),
    Case("predictive-ongoing-review-missing", dcf(_NO_TOOL_REVIEW), DCF_DS,
         line_of(_NO_TOOL_REVIEW, "used: true"), 3, hint="ongoing_review"),
    Case("predictive-ongoing-review-overdue", dcf(_TOOL_REVIEW_LATE), DCF_DS,
         line_of(_TOOL_REVIEW_LATE, "frequency: P1Y"), 5, hint="last_done"),
    Case("agreement-approver-not-allowed", ag(_PI_CONSENT), AG,
         line_of(_PI_CONSENT, "approved_by:"), 16, hint="designee", suffix="consent"),
    Case("agreement-approver-not-allowed", ag(_PERSON_IRB), AG,
         line_of(_PERSON_IRB, "by: Dr. Pat Smith"), 9, hint="IRB", suffix="irb"),
    Case("agreement-approved-after-provision", ag(_LATE_CONSENT), AG,
         line_of(_LATE_CONSENT, "approved_on:"), 16, hint="before", suffix="consent"),
    Case("agreement-approved-after-provision", ag(_LATE_IRB), AG,
         line_of(_LATE_IRB, "date: 2025-03-10"), 11, hint="before", suffix="approval"),
    Case("date-in-future", ag(_FUTURE_IRB), AG, line_of(_FUTURE_IRB, "date: 2029-12-10"), 11,
         hint="YYYY-MM-DD", suffix="approval"),
    Case("date-in-future", ds(_FUTURE_ASSESSMENT), DS,
         line_of(_FUTURE_ASSESSMENT, "assessed_on:"), 16, suffix="classification"),
    Case("classification-assessment-stale", ds(_OLD_ASSESSMENT), DS,
         line_of(_OLD_ASSESSMENT, "assessed_on:"), 16, hint="assessed_on"),
    Case("agreement-review-not-archived", ag(_X_REFERENCE), AG,
         line_of(_X_REFERENCE, 'reference: "x"'), 16, hint="SharePoint", suffix="not-a-reference"),
    Case("agreement-review-not-archived", ag(_DASH_ARCHIVE), AG,
         line_of(_DASH_ARCHIVE, 'archive_ref: "-"'), 18, hint="SharePoint", suffix="dash"),
    Case("contact-details-missing", ds(_NAME_ONLY_CONTACT), DS,
         line_of(_NAME_ONLY_CONTACT, "name: Pat Officer"), 5, hint="email"),
    Case("likely-pii-unmarked", ds(_named("ssn")), DS, line_of(_named("ssn"), "name: ssn"), 13,
         hint="waivers", suffix="ssn"),
    Case("likely-pii-unmarked", ds(_named("date_of_birth")), DS,
         line_of(_named("date_of_birth"), "name: date_of_birth"), 13, suffix="date-of-birth"),
    Case("likely-pii-unmarked", ds(_named("first_name")), DS,
         line_of(_named("first_name"), "name: first_name"), 13, suffix="first-name"),
    Case("likely-pii-unmarked", ds(_named("home_address")), DS,
         line_of(_named("home_address"), "name: home_address"), 13, suffix="home-address"),
    Case("likely-pii-unmarked",
         ds(add_field("- name: location\n  type: string\n  standard: street-address\n"
                      "  description: Where.\n")), DS,
         line_of(DATASET, "- name: things"), 13, suffix="standard"),
    Case("likely-pii-unmarked", {DS: _SSN_VALUES, "inventory/tst/samples/x.csv":
                                 "town,ref,things\nHartford,123-45-6789,12\n"
                                 "New Haven,987-65-4321,7\n"},
         DS, line_of(_SSN_VALUES, "name: ref"), 13, suffix="sample-values"),
    Case("missing-license", ds(_NO_LICENSE), DS, line_of(DATASET, "level: public"), 10,
         hint="cc0-1.0"),
    Case("scaffold-placeholder", ds(_PLACEHOLDER), DS, line_of(DATASET, "title:"), 8,
         suffix="dataset"),
    Case("scaffold-placeholder",
         {"inventory/tst/_agency.yml": edit("name: Department of Testing",
                                            "name: Department of Replace Me", AGENCY)},
         "inventory/tst/_agency.yml", 2, 7, suffix="agency"),
    Case("suppression-policy-too-weak", dcf(_WEAK_DCF), DCF_DS,
         line_of(_WEAK_DCF, "suppression_policy:"), 23, hint="dcf-client-small-n"),
    Case("agency-pack-rule", {"standards/packs/tst-open-data.yml": TST_PACK}, DS,
         line_of(DATASET, "license:"), 10, hint="cc-by-4.0"),
    Case("policy-pack-missing", {"standards/packs/dcf-5-4.yml": None},
         "standards/packs/dcf-5-4.yml", None, hint="dcf-5-4.yml"),
]


# -- small-N suppression: a published aggregate with a count column ----------------------------
SUPPRESSED = """\
id: tst-region-counts
title: Region counts
description: Counts by region, published under the statewide small-N policy.
agency: tst
keywords: [regions]
high_value:
  value: false
steward:
  name: Sam Steward
  email: sam.steward@ct.gov
access:
  level: public
disclosure:
  aggregates_confidential: true
  suppression_policy: ct-small-n-5
schema:
  missingValues: ["", "*"]
  fields:
    - name: region
      type: string
      description: Planning region, or Total.
    - name: things
      type: integer
      count: true
      description: Number of things.
sample: samples/regions.csv
distributions:
  - id: csv
    title: CSV
    url: https://data.ct.gov/api/views/wxyz-1234/rows.csv
    media_type: text/csv
"""
SUP = "inventory/tst/tst-region-counts.yml"
SUP_CSV = "inventory/tst/samples/regions.csv"
ROUNDED_POLICY = (REPO / "standards" / "suppression.yml").read_text(encoding="utf-8") + """\
  - id: rounded-to-5
    title: Rounded to 5
    description: Counts are rounded to a multiple of 5.
    min_count: 5
    complementary: false
    rounding: 5
"""

CASES += [
    Case("small-count", {SUP: SUPPRESSED, SUP_CSV: "region,things\nCapitol,12\nSouth,3\n"},
         SUP_CSV, 3, 2, hint="ct-small-n-5"),
    Case("recoverable-cell", {SUP: SUPPRESSED,
                              SUP_CSV: "region,things\nCapitol,*\nSouth,12\nTotal,15\n"},
         SUP_CSV, 2, 2, hint="ct-small-n-5"),
    Case("unrounded-count", {SUP: SUPPRESSED.replace("ct-small-n-5", "rounded-to-5"),
                             "standards/suppression.yml": ROUNDED_POLICY,
                             SUP_CSV: "region,things\nCapitol,10\nSouth,12\n"},
         SUP_CSV, 3, 2, hint="rounded-to-5"),
    Case("invalid-count", {SUP: SUPPRESSED.replace("      type: integer\n      count: true",
                                                   "      type: string\n      count: true"),
                           SUP_CSV: "region,things\nCapitol,12\nSouth,<5\n"},
         SUP_CSV, 3, 2, hint="ct-small-n-5"),
    Case("small-count", {SUP: SUPPRESSED.replace('  missingValues: ["", "*"]\n', ""),
                         SUP_CSV: "region,things\nCapitol,*\nSouth,3\n"},
         SUP_CSV, 3, 2, suffix="policy-symbol"),
    Case("small-count", {SUP: SUPPRESSED, SUP_CSV: "region,things\nCapitol,12\nSouth,3\n"
                         "North,many\n"}, SUP_CSV, 3, 2, suffix="with-other-errors"),
    Case("small-count", {SUP: SUPPRESSED.replace("      count: true\n", ""),
                         SUP_CSV: "region,things\nCapitol,12\nSouth,3\n"},
         SUP_CSV, 3, 2, suffix="not-marked"),
    Case("small-count", {SUP: SUPPRESSED.replace("    media_type: text/csv\n",
                                                 "    media_type: text/csv\n"
                                                 "    file: published/regions.csv\n"),
                         SUP_CSV: "region,things\nCapitol,12\nSouth,22\n",
                         "inventory/tst/published/regions.csv":
                         "region,things\nCapitol,12\nSouth,2\n"},
         "inventory/tst/published/regions.csv", 3, 2, suffix="published-file"),
]

# -- data requests (DCF 5-1) ------------------------------------------------------------------
REQ = "inventory/_requests/r1.yml"
REQUEST = """\
id: r1
title: Town counts for a study
received_on: 2026-03-10
requester:
  kind: researcher
  name: A university
datasets: [tst-town-counts]
description: Town counts by year.
status: fulfilled
handled_by: tst
vetting:
  by: Office for Research and Evaluation
  started_on: 2026-03-11
  decision: approved
  decided_on: 2026-03-12
responded_on: 2026-03-20
release:
  date: 2026-03-20
  level: aggregate
"""

_VETTING = ("vetting:\n  by: Office for Research and Evaluation\n  started_on: 2026-03-11\n"
            "  decision: approved\n  decided_on: 2026-03-12\n")
_RELEASE = "release:\n  date: 2026-03-20\n  level: aggregate\n"
_TO_VENDOR = edit("  name: A university", "  name: Vendor LLC",
                  edit("  level: aggregate", "  level: client-level", REQUEST))
_UNDER_EXPIRED = edit("datasets: [tst-town-counts]", "datasets: [dcf-client-visits]",
                      edit("  name: A university", "  name: University of Connecticut",
                           edit("  level: aggregate", "  level: client-level",
                                REQUEST))) + "agreement: tst-uconn-evaluation\n"
_OPEN = edit("  decision: approved\n  decided_on: 2026-03-12\n", "",
             edit("responded_on: 2026-03-20\n" + _RELEASE, "",
                  edit("status: fulfilled", "status: vetting", REQUEST)))
_FOIA_OPEN = edit("received_on: 2026-03-10", "received_on: 2026-11-10",
                  edit("  started_on: 2026-03-11", "  started_on: 2026-11-11",
                       edit("  kind: researcher", "  kind: media", _OPEN))) + "foia: true\n"
_LATE_RESEARCH = _OPEN

CASES += [
    Case("request-dates-invalid", {REQ: edit("responded_on: 2026-03-20",
                                              "responded_on: 2026-03-01", REQUEST)},
         REQ, line_of(REQUEST, "responded_on"), 15),
    Case("request-response-undated", {REQ: edit("responded_on: 2026-03-20\n", "", REQUEST)},
         REQ, line_of(REQUEST, "status:"), 9),
    Case("request-status-invalid", {REQ: edit("status: fulfilled", "status: received", REQUEST)},
         REQ, line_of(REQUEST, "responded_on"), 15, hint="responded_on"),
    Case("request-vetting-missing", {REQ: edit(_VETTING, "", REQUEST)},
         REQ, line_of(REQUEST, "status:"), 9, hint="vetting"),
    Case("request-release-undescribed", {REQ: edit(_RELEASE, "", REQUEST)},
         REQ, line_of(REQUEST, "status:"), 9, hint="level"),
    Case("request-release-without-agreement", {REQ: _TO_VENDOR}, REQ,
         line_of(_TO_VENDOR, "level: client-level"), 10, hint="agreement", suffix="none"),
    Case("request-release-without-agreement",
         {REQ: _UNDER_EXPIRED, **ag(edit("status: active", "status: expired", edit(
             "  end: 2027-06-30", "  end: 2026-02-28", AGREEMENT)))},
         REQ, line_of(_UNDER_EXPIRED, "agreement:"), 12, hint="in force",
         suffix="expired-agreement"),
    Case("request-overdue", {REQ: _FOIA_OPEN}, REQ, line_of(_FOIA_OPEN, "status:"), 9,
         hint="due_on", suffix="foia"),
    Case("request-overdue", {REQ: _LATE_RESEARCH}, REQ, line_of(_LATE_RESEARCH, "status:"), 9,
         suffix="target"),
]


def _ids(cases: list[Case]) -> list[str]:
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique: add a suffix"
    return ids


def run(make_project: MakeProject, case: Case):  # -> Inventory
    root = make_project(case.files)
    if case.setup:
        case.setup(root)
    return validate(Project(root), today=case.today)


def found(report, code: str, file: str) -> list[Problem]:
    return [p for p in report if p.code == code and p.file == file]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_corpus(make_project: MakeProject, case: Case) -> None:
    report = run(make_project, case).report
    rendered = "\n".join(p.as_line() for p in report.sorted())
    assert [case.code, case.file, case.line] in report.flatten(["code", "file", "line"]), rendered
    if case.column is not None:
        assert [case.code, case.file, case.line, case.column] in \
            report.flatten(["code", "file", "line", "column"]), rendered
    problems = [p for p in found(report, case.code, case.file) if p.line == case.line]
    for p in problems:
        assert p.message.strip()
        assert p.severity == CODES[case.code].severity
        if case.hint is not None:
            assert p.hint.strip(), f"{case.code} has no hint"
            assert case.hint in p.hint, p.as_line()
    if CODES[case.code].severity == Severity.ERROR:
        assert report.ok is False


def test_every_code_has_a_case() -> None:
    """Every validation code; the import stage's codes have their cases in
    tests/test_import_problems.py, the review stage's risk flags (from `catalog diff`, not
    validation) in tests/test_review.py, the usage stage's (the use-case form, portal usage
    exports) in tests/test_usage_forms.py and tests/test_usage_portal.py."""
    assert {c.code for c in CASES} == {n for n, c in CODES.items()
                                       if c.stage not in ("import", "review", "usage")}


# -- the fixtures the corpus breaks are themselves clean ------------------------------------------


def test_valid_agreement_is_clean(make_project: MakeProject) -> None:
    inv = validate(Project(make_project(ag())), today=TODAY)
    assert inv.report.codes() == [], "\n".join(p.as_line() for p in inv.report)
    assert list(inv.agreements) == ["tst-uconn-evaluation"]


def test_valid_sample_is_clean(make_project: MakeProject) -> None:
    root = make_project({DS: WITH_SAMPLE, "inventory/tst/samples/x.csv": SAMPLE_OK})
    inv = validate(Project(root), today=TODAY)
    assert inv.report.codes() == [], "\n".join(p.as_line() for p in inv.report)


def test_valid_predictive_assessment_is_clean(make_project: MakeProject) -> None:
    root = make_project(ds(DATASET + _PREDICTIVE + _ASSESSMENT))
    inv = validate(Project(root), today=TODAY)
    assert inv.report.codes() == [], "\n".join(p.as_line() for p in inv.report)


# -- specific behaviours -----------------------------------------------------------------------


def test_did_you_mean_on_misspelled_property(make_project: MakeProject) -> None:
    root = make_project(ds(edit("title: Town counts", "titel: Town counts")))
    report = validate(Project(root), today=TODAY).report
    unknown = found(report, "unknown-property", DS)
    assert len(unknown) == 1 and unknown[0].line == 2
    assert "'title'" in unknown[0].hint and "did you mean" in unknown[0].hint
    missing = found(report, "missing-property", DS)
    assert len(missing) == 1 and "'titel'" in missing[0].hint and "'title'" in missing[0].hint


BILLION_LAUGHS = dedent("""
    id: tst-town-counts
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
    j: &j [*i, *i, *i, *i, *i, *i, *i, *i, *i]
""")


def test_billion_laughs_is_cheap_and_reported_once(make_project: MakeProject) -> None:
    root = make_project(ds(BILLION_LAUGHS))
    start = time.perf_counter()
    report = validate(Project(root), today=TODAY).report
    assert time.perf_counter() - start < 2.0
    aliases = found(report, "yaml-alias", DS)
    assert len(aliases) == 1
    assert aliases[0].line == 3  # the first alias: b's value refers to a's anchor


def test_fifty_megabyte_descriptor_is_not_parsed(make_project: MakeProject,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    huge = (DATASET + "# padding\n" * (50 * 1024 * 1024 // 10)).encode()
    assert len(huge) > 50 * 1024 * 1024
    compose = load_module.yaml.compose

    def guarded(text, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert len(text) <= MAX_BYTES, "a file over the limit was handed to the parser"
        return compose(text, *args, **kwargs)

    monkeypatch.setattr(load_module.yaml, "compose", guarded)
    root = make_project(ds(huge))
    start = time.perf_counter()
    report = validate(Project(root), today=TODAY).report
    assert time.perf_counter() - start < 5.0
    assert [p.code for p in report if p.file == DS] == ["file-too-large"]
    assert f"{len(huge):,}" in found(report, "file-too-large", DS)[0].message


def test_list_descriptor_is_not_a_mapping(make_project: MakeProject) -> None:
    root = make_project(ds("- id: tst-town-counts\n  title: Town counts\n"))
    report = validate(Project(root), today=TODAY).report
    problems = found(report, "yaml-not-mapping", DS)
    assert len(problems) == 1 and "list" in problems[0].message
    assert [p.code for p in report if p.file == DS] == ["yaml-not-mapping"]


def test_impossible_yaml_date(make_project: MakeProject) -> None:
    text = edit("assessed_on: 2025-11-30", "assessed_on: 2024-13-45")
    report = validate(Project(make_project(ds(text))), today=TODAY).report
    rows = report.flatten(["code", "file", "line"])
    line = line_of(text, "assessed_on")
    assert ["invalid-type", DS, line] in rows or ["invalid-value", DS, line] in rows, rows
    problem = next(p for p in report if p.file == DS and p.line == line)
    assert "YYYY-MM-DD" in problem.hint or "date" in problem.message


def test_yes_and_no_stay_strings(make_project: MakeProject) -> None:
    doc = load_bytes(b"a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\n", Path("x.yml"), "x.yml")
    assert doc.data == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": True, "f": False}
    text = edit("      standard: ct-town\n", "      standard: ct-town\n      pii: yes\n")
    report = validate(Project(make_project(ds(text))), today=TODAY).report
    problems = found(report, "invalid-type", DS)
    assert len(problems) == 1
    assert problems[0].line == line_of(text, "pii: yes")
    assert "true" in problems[0].hint and "false" in problems[0].hint
    assert "the text 'yes'" in problems[0].message


def test_ids_colliding_across_agencies(make_project: MakeProject) -> None:
    other = "inventory/tsu/tst-town-counts.yml"
    root = make_project({"inventory/tsu/_agency.yml": edit("id: tst", "id: tsu", AGENCY),
                         other: _OTHER_DATASET})
    report = validate(Project(root), today=TODAY).report
    assert report.flatten(["code", "file", "line"]) == [["duplicate-id", other, 1]]
    assert DS in report.problems[0].message


def test_yaml_syntax_hint_for_unquoted_colon(make_project: MakeProject) -> None:
    root = make_project(ds(edit("title: Town counts", "title: Town: counts")))
    report = validate(Project(root), today=TODAY).report
    (problem,) = found(report, "yaml-syntax", DS)
    assert "quote" in problem.hint, problem.as_line()


def test_deep_block_nesting_does_not_crash(tmp_path: Path, make_project: MakeProject) -> None:
    """Block sequences nest without brackets: '- - - … x' (100 KB, under the size limit)
    must be reported as yaml-too-deep, not crash the process. Run in a subprocess so a
    crash of the C parser fails this test instead of killing the test run."""
    text = "id: tst-town-counts\nextensions:\n  deep:\n    " + "- " * 50_000 + "x\n"
    assert len(text.encode()) < MAX_BYTES
    root = make_project(ds(text))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from catalog.project import Project\n"
        "from catalog.build import validate\n"
        "inv = validate(Project(Path(sys.argv[1])))\n"
        "print(' '.join(sorted({p.code for p in inv.report if p.file == sys.argv[2]})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(root), DS], capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, \
        f"validator crashed (exit {result.returncode}): {result.stderr[-500:]}"
    assert result.stdout.split() == ["yaml-too-deep"]

