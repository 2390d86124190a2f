"""Policy packs and derived facts beyond the corpus (tests/test_corpus.py has one case
per code and per loophole): scopes, the agency pack example, facts that cross files in
incremental builds, one pass over broken files, dated findings that never block a
build, the rules' declared needs, and what staff see."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog.build import build, check_project, validate
from catalog.cli import main
from catalog.load import load_bytes
from catalog.model import Agreement, DataRequest, Dataset
from catalog.model.check import check_partial
from catalog.problems import CODES
from catalog.project import Project, Source
from catalog.validate import Entry
from catalog.validate.registry import all_rules

from .conftest import AGENCY, DATASET, MakeProject, staff_cookies
from .test_corpus import (
    AG,
    AGREEMENT,
    DCF_DATASET,
    DCF_DS,
    DS,
    REQ,
    REQUEST,
    TODAY,
    ag,
    dcf,
    edit,
)

DCF_CODES = {r_code for r in all_rules() if r.pack == "dcf-5-4" for r_code in r.codes}


def codes(report: Any, file: str) -> list[str]:
    return [p.code for p in report.sorted() if p.file == file]


# -- scopes -----------------------------------------------------------------------------


_BARE = AGREEMENT[:AGREEMENT.index("identifiable_client_data")]  # no consent, approvals …


def test_dcf_rules_do_not_apply_statewide(make_project: MakeProject) -> None:
    """A TST-TSU agreement sharing a TST table owes DCF's reviews nothing; the same text
    with DCF as a party, or sharing DCF's dataset, does."""
    others = edit("  - agency: dcf\n", "  - agency: tsu\n",
                  edit("datasets: [dcf-client-visits]", "datasets: [tst-town-counts]", _BARE))
    tsu = {"inventory/tsu/_agency.yml": edit("id: tst", "id: tsu", AGENCY)}
    report = validate(Project(make_project({AG: others, **tsu})), today=TODAY).report
    assert not DCF_CODES.intersection(codes(report, AG)), codes(report, AG)
    party = edit("datasets: [dcf-client-visits]", "datasets: [tst-town-counts]", _BARE)
    report = validate(Project(make_project(ag(party))), today=TODAY).report
    assert {"agreement-missing-approval", "agreement-missing-review"} <= set(codes(report, AG))
    data = edit("  - agency: dcf\n", "  - agency: tsu\n", _BARE)  # DCF's data, not DCF
    report = validate(Project(make_project({**ag(data), **tsu})), today=TODAY).report
    assert {"agreement-missing-consent-plan", "agreement-missing-approval",
            "agreement-missing-governance-approval"} <= set(codes(report, AG))


def test_predictive_assessment_is_dcfs_but_automation_is_never_allowed(
        make_project: MakeProject) -> None:
    used = "predictive_analytics:\n  used: true\n  description: A model.\n"
    report = validate(Project(make_project({DS: DATASET + used})), today=TODAY).report
    assert codes(report, DS) == []  # DCF 5-4's five questions are DCF's
    report = validate(Project(make_project(dcf(DCF_DATASET + used))), today=TODAY).report
    assert "predictive-assessment-incomplete" in codes(report, DCF_DS)
    report = validate(Project(make_project(
        {DS: DATASET + used + "  automated_decision_making: true\n"})), today=TODAY).report
    assert codes(report, DS) == ["automated-decision-making"]


def test_the_example_agency_pack(make_project: MakeProject) -> None:
    """standards/packs/dph.yml: DPH's records are never published; its aggregates follow
    at least public-health-small-n and say their geography."""
    dph = {"inventory/dph/_agency.yml": edit("id: tst", "id: dph", AGENCY)}
    path = "inventory/dph/dph-town-counts.yml"
    public_pii = edit("agency: tst", "agency: dph", edit(
        "id: tst-town-counts", "id: dph-town-counts", edit(
            "      description: Number of things.\n",
            "      description: Number of things.\n      pii: true\n")))
    report = validate(Project(make_project({**dph, path: public_pii})),
                              today=TODAY).report
    found = [p for p in report if p.code == "agency-pack-rule"]
    assert {p.pointer for p in found} == {"/access/level", "/classification/level"}
    assert all("DPH data release rules Records" in p.message for p in found)
    weak = edit("agency: tst", "agency: dph", edit("id: tst-town-counts", "id: dph-town-counts",
                                                   DATASET)) + (
        "disclosure:\n  aggregates_confidential: true\n  suppression_policy: tiny\n")
    policies = (Path(__file__).parents[1] / "standards/suppression.yml").read_text() + (
        "  - id: tiny\n    title: Tiny\n    description: Counts from 3.\n    min_count: 3\n")
    report = validate(Project(make_project(
        {**dph, path: weak, "standards/suppression.yml": policies})), today=TODAY).report
    assert set(codes(report, path)) == {"suppression-policy-too-weak", "agency-pack-rule"}
    too_weak = next(p for p in report if p.code == "suppression-policy-too-weak")
    assert "public-health-small-n" in too_weak.message and "DPH" in too_weak.message


# -- facts across files, in incremental builds ------------------------------------------------


def test_a_changed_pii_field_changes_the_agreement_finding_incrementally(
        make_project: MakeProject) -> None:
    """The agreement does not change; the dataset it shares gains, then loses, a
    personal-data field. Each incremental check re-reads only the dataset, and the
    agreement's finding follows (its rule is cross-file: it reads the kept facts)."""
    declared_false = edit("identifiable_client_data: true", "identifiable_client_data: false",
                          AGREEMENT)
    no_consent = edit(AGREEMENT[AGREEMENT.index("consent_plan:"):AGREEMENT.index("approvals:")],
                      "", declared_false)
    unmarked = edit("      pii: true\n", "", edit("client_id", "visit_number", DCF_DATASET))
    root = make_project({**ag(no_consent), DCF_DS: unmarked})
    first = build(Project(root), today=TODAY, jobs=1)
    assert first.mode == "full", [p.as_line() for p in first.report.errors]
    assert "agreement-missing-consent-plan" not in codes(first.report, AG)

    (root / DCF_DS).write_text(edit("visit_number", "date_of_birth", unmarked))  # PII now
    second = check_project(Project(root), today=TODAY, jobs=1)
    assert second.analysed == 1
    assert "agreement-missing-consent-plan" in codes(second.report, AG)
    assert "likely-pii-unmarked" in codes(second.report, DCF_DS)
    assert build(Project(root), today=TODAY, jobs=1).mode == "blocked"

    (root / DCF_DS).write_text(unmarked)
    third = build(Project(root), today=TODAY, jobs=1)
    assert third.mode in ("unchanged", "incremental")  # the first build's unit is reused
    assert "agreement-missing-consent-plan" not in codes(third.report, AG)


# -- one pass ---------------------------------------------------------------------------------


def test_every_layer_reports_in_one_run(make_project: MakeProject) -> None:
    """A descriptor with a structural error (no title, a typo) still gets the policy
    rules that read its valid parts; so does an agreement with an unknown property."""
    broken = edit("title: Town counts\n", "", edit("  email: sam.steward", "  emial: sam.steward"))
    broken = edit("    - name: things\n", "    - name: ssn\n      type: string\n"
                  "      description: SSN.\n    - name: things\n", broken)
    bad_agreement = edit("identifiable_client_data: true\n", "identifiable_client_data: true\n"
                         "colour: red\n", edit(AGREEMENT[AGREEMENT.index("consent_plan:"):
                                                         AGREEMENT.index("approvals:")], "",
                                               AGREEMENT))
    root = make_project({DS: broken, **ag(bad_agreement)})
    report = validate(Project(root), today=TODAY).report
    assert {"missing-property", "unknown-property", "likely-pii-unmarked",
            "missing-personal-data-policy", "pii-in-public-dataset"} <= set(codes(report, DS))
    assert {"unknown-property", "agreement-missing-consent-plan"} <= set(codes(report, AG))
    check = check_project(Project(root), today=TODAY, jobs=1).report  # the build's path too
    assert sorted(codes(check, DS)) == sorted(codes(report, DS))
    assert sorted(codes(check, AG)) == sorted(codes(report, AG))


def test_every_rule_runs_on_a_model_holding_only_what_it_needs() -> None:
    """The rules' declared needs are true: each runs on a partial model that holds only
    those properties (the others broken) without failing."""
    from .conftest import REPO

    texts = {"dataset": (DCF_DATASET.replace("disclosure", "x") + "disclosure:\n"
                         "  aggregates_confidential: true\n  suppression_policy: ct-small-n-5\n",
                         Dataset),
             "agreement": (AGREEMENT, Agreement), "request": (REQUEST, DataRequest),
             "agency": (AGENCY, None)}
    inv = validate(Project(REPO), today=TODAY)
    for r in all_rules():
        text, model = texts[r.target]
        if model is None:
            continue
        doc = load_bytes(text.encode(), Path("x.yml"), "x.yml")
        keep = {k: v for k, v in doc.data.items() if k in r.needs}
        doc.data.clear()
        doc.data.update(keep)
        partial, _, broken = check_partial(doc, model)
        assert partial is not None, r.name
        source = Source(REPO / "inventory/dcf/x.yml", "inventory/dcf/x.yml", r.target, "dcf")
        entry = Entry(source, doc, partial, frozenset(model.model_fields) - set(r.needs)
                      | broken)
        list(r(entry, inv))  # must not fail


# -- dated findings -----------------------------------------------------------------------------


def test_date_only_findings_never_block_the_build(make_project: MakeProject) -> None:
    """Nobody changed anything: the term ended, a review fell due, a classification went
    stale. The build goes on, staff see the findings, `catalog due` exits 1."""
    root = make_project(ag(edit("  end: 2027-06-30", "  end: 2026-06-30", AGREEMENT)))
    day = dt.date(2027, 1, 20)  # also past the ongoing review (2027-01-01)
    outcome = build(Project(root), today=day, jobs=1)
    assert outcome.mode == "full", [p.as_line() for p in outcome.report.sorted()]
    dated = {p.code for p in outcome.report.dated}
    assert {"agreement-expired", "agreement-ongoing-review-overdue",
            "classification-assessment-stale"} <= dated
    assert all(CODES[c].dated for c in dated)
    from catalog.dbapi import sqlite3

    db = sqlite3.connect(root / "build" / "inventory.db")
    stored = {r[0] for r in db.execute("select code from problems where dated = 1")}
    assert dated == stored
    kinds = {r[0] for r in db.execute("select kind from due_items")}
    assert {"term-end", "ongoing-review", "classification-review"} <= kinds
    result = CliRunner().invoke(main, ["due", "--root", str(root), "--today", "2027-01-20",
                                       "--format", "json"])
    assert result.exit_code == 1, result.output
    items = json.loads(result.output)["items"]
    assert {(i["kind"], i["overdue"]) for i in items} >= {("term-end", True),
                                                          ("ongoing-review", True)}
    result = CliRunner().invoke(main, ["due", "--root", str(root), "--today", "2026-06-01",
                                       "--kind", "agreements", "--within", "10"])
    assert result.exit_code == 0 and "0 overdue" in result.output
    # an error is still an error
    (root / DS).write_text(edit("assessed_on: 2025-11-30", "assessed_on: 2027-12-30", DATASET))
    assert build(Project(root), today=day, jobs=1).mode == "blocked"


def test_request_status_transitions(make_project: MakeProject) -> None:
    """Each status requires and forbids parts of the record (the corpus has one case of
    each code; these are the other transitions)."""
    vetting = "vetting:\n  by: Office for Research and Evaluation\n  started_on: 2026-03-11\n"
    decided = vetting + "  decision: approved\n  decided_on: 2026-03-12\n"
    release = "release:\n  date: 2026-03-20\n  level: aggregate\n"
    base = REQUEST[:REQUEST.index("vetting:")]

    def found(text: str) -> list[str]:
        root = make_project({REQ: text})  # (open since March: overdue, a dated finding)
        report = validate(Project(root), today=TODAY).report
        return [c for c in codes(report, REQ) if not CODES[c].dated]

    assert found(base.replace("status: fulfilled", "status: received")) == []
    assert found(base.replace("status: fulfilled", "status: vetting") + vetting) == []
    assert found(base.replace("status: fulfilled", "status: approved") + decided) == []
    assert found(base.replace("status: fulfilled", "status: vetting") + decided) == [
        "request-status-invalid"]  # decided but still vetting
    denied = decided.replace("decision: approved", "decision: denied")
    assert found(base.replace("status: fulfilled", "status: denied") + denied +
                 "responded_on: 2026-03-20\n" + release) == ["request-status-invalid"]
    assert found(base + decided.replace("decision: approved", "decision: denied") +
                 "responded_on: 2026-03-20\n" + release) == ["request-status-invalid"]
    assert found(base.replace("status: fulfilled", "status: withdrawn")) == []


# -- what staff see --------------------------------------------------------------------------


def get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> Any:
    return asyncio.run(ds.client.get(path, cookies=cookies or {}))


def test_waivers_are_shown_to_staff_only(ds: Any) -> None:
    path = "/datasets/decd-brownfield-inventory"
    staff = get(ds, path, staff_cookies(ds)).text
    assert "Not personal data: The address of a brownfield property" in staff
    assert "brownfield property, a public record" not in get(ds, path).text
    fields = get(ds, path + ".json").json()["fields"]
    assert all(f["waivers"] == {} for f in fields)


def test_due_page_and_requests_turnaround(ds: Any) -> None:
    assert get(ds, "/due").status_code == 403
    data = get(ds, "/due.json?within=365", staff_cookies(ds)).json()
    kinds = {i["kind"] for i in data["items"]}
    assert {"term-end", "ongoing-review", "request-answer", "classification-review",
            "tool-review"} <= kinds
    assert "What falls due" in get(ds, "/due", staff_cookies(ds)).text
    stats = get(ds, "/requests.json", staff_cookies(ds)).json()["stats"]
    assert set(stats["by_agency"]) == {"dcf", "dph"}
    assert set(stats["by_kind"]) == {"legislature", "media", "municipality", "researcher"}
    assert stats["foia"]["total"] == 1
    page = get(ds, "/requests", staff_cookies(ds)).text
    assert "Turnaround per agency" in page and "(FOIA)" in page


@pytest.mark.parametrize("pack", ["state-data-plan", "dcf-5-4", "dcf-5-1", "prevention-play",
                                  "dph"])
def test_every_pack_file_is_valid(pack: str) -> None:
    from .conftest import REPO

    inv = validate(Project(REPO), today=TODAY)
    assert pack in inv.standards.packs
    assert not [p for p in inv.report if p.file.startswith("standards/packs/")]


def test_the_strictest_setting_wins(make_project: MakeProject) -> None:
    """An agency's pack tightens the statewide settings, never loosens them: a shorter
    review period, fewer FOIA days and a closure day, one more archive pattern."""
    from catalog.validate.requests import due_date

    pack = ("id: tst\ntitle: TST rules\nsource: TST policy\nagency: tst\nsettings:\n"
            "  classification_review: P6M\n  foia_business_days: 2\n"
            "  holidays: [2026-11-16]\n")
    loose = pack.replace("P6M", "P3Y").replace("foia_business_days: 2", "foia_business_days: 9")
    foia = REQUEST[:REQUEST.index("status:")] + "status: received\nfoia: true\n"
    foia = foia.replace("received_on: 2026-03-10", "received_on: 2026-11-13")
    for text, stale, due in ((pack, True, dt.date(2026, 11, 18)),
                             (loose, False, dt.date(2026, 11, 20))):
        root = make_project({"standards/packs/tst.yml": text, REQ: foia})
        inv = validate(Project(root), today=dt.date(2026, 6, 15))
        assert ("classification-assessment-stale" in codes(inv.report, DS)) is stale
        assert due_date(inv.requests["r1"], inv)[0] == due


def test_every_archive_pattern_must_match(make_project: MakeProject) -> None:
    pack = ("id: dcf-records\ntitle: DCF records office\nsource: DCF records policy\n"
            "agency: dcf\nsettings:\n  archive_ref_pattern: '^SharePoint'\n")
    text = edit("    reference: SharePoint IRB/2024/17", "    reference: IRB minutes 2024/17",
                AGREEMENT)
    for files, found in (({}, False), ({"standards/packs/dcf-records.yml": pack}, True)):
        root = make_project({**ag(text), **files})
        report = validate(Project(root), today=TODAY).report
        assert ("agreement-review-not-archived" in codes(report, AG)) is found
