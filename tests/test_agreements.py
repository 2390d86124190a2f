"""Agreements beyond the corpus (tests/test_corpus.py has one case per rule): lifecycle
dates, the rules' boundaries, the DCF 5-4 checklist, who shares with whom and its SVG,
the iCalendar feed, the `catalog agreements` commands and the sample register."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog.agreements.calendar import calendar
from catalog.agreements.checklist import checklist, missing_reviews
from catalog.agreements.flows import by_provider, flows
from catalog.agreements.lifecycle import (
    Dates,
    Duration,
    due,
    expiring,
    next_review,
    parse_duration,
    parse_window,
)
from catalog.agreements.register import load_agreements
from catalog.build import validate
from catalog.cli import main
from catalog.compile.rows import shared_rows
from catalog.project import Project

from .conftest import DATASET, REPO, MakeProject
from .test_corpus import AG, AGREEMENT, TODAY, ag, edit, line_of

D = dt.date


def dates(**kw: Any) -> Dates:
    base: dict[str, Any] = dict(id="a", title="A", status="active", public=True,
                                term_start=D(2025, 1, 1))
    return Dates(**{**base, **kw})


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


# -- lifecycle ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("P1Y", Duration(1, 0, 0)), ("P6M", Duration(0, 6, 0)), ("P2W", Duration(0, 0, 14)),
    ("P90D", Duration(0, 0, 90)), ("P1Y6M", Duration(1, 6, 0)), ("p3m", Duration(0, 3, 0)),
])
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", None, "yearly", "P", "P0D", "PT1H", "1Y", "P1.5Y"])
def test_parse_duration_rejects(text: str | None) -> None:
    assert parse_duration(text) is None


def test_duration_after_clamps_to_the_month_end() -> None:
    assert Duration(months=1).after(D(2026, 1, 31)) == D(2026, 2, 28)
    assert Duration(years=1).after(D(2024, 2, 29)) == D(2025, 2, 28)
    assert Duration(months=18).after(D(2025, 11, 30)) == D(2027, 5, 30)
    assert Duration(days=14).after(D(2026, 12, 25)) == D(2027, 1, 8)


def test_parse_window() -> None:
    assert [parse_window(t) for t in ("60d", "8w", "60", " 30D ")] == [60, 56, 60, 30]
    with pytest.raises(ValueError):
        parse_window("2m")


def test_next_review_falls_back_from_next_due_to_last_done_to_term_start() -> None:
    assert next_review(dates(review_frequency="P1Y", review_next_due=D(2026, 3, 1),
                             review_last_done=D(2025, 3, 1))) == D(2026, 3, 1)
    assert next_review(dates(review_frequency="P6M",
                             review_last_done=D(2026, 2, 10))) == D(2026, 8, 10)
    assert next_review(dates(review_frequency="P1Y")) == D(2026, 1, 1)
    assert next_review(dates()) is None
    assert next_review(dates(review_frequency="yearly")) is None


def test_due_lists_in_force_dates_overdue_first() -> None:
    records = [
        dates(id="ends-soon", term_end=TODAY + dt.timedelta(days=10)),
        dates(id="review-late", status="approved", review_frequency="P1Y",
              review_next_due=TODAY - dt.timedelta(days=3)),
        dates(id="draft", status="draft", term_end=TODAY + dt.timedelta(days=5)),
        dates(id="expired", status="expired", term_end=TODAY - dt.timedelta(days=5)),
        dates(id="later", term_end=TODAY + dt.timedelta(days=100)),
        dates(id="lapsed", term_end=TODAY - dt.timedelta(days=1)),
    ]
    items = due(records, TODAY, 60)
    assert [(i.agreement_id, i.kind, i.days, i.overdue) for i in items] == [
        ("review-late", "ongoing-review", -3, True),
        ("lapsed", "term-end", -1, True),
        ("ends-soon", "term-end", 10, False),
    ]
    assert items[0].when == "overdue by 3 days" and items[2].when == "in 10 days"
    assert items[2].as_dict()["date"] == (TODAY + dt.timedelta(days=10)).isoformat()
    assert expiring(records[0], TODAY, 30) and expiring(records[5], TODAY, 30)
    assert not expiring(records[2], TODAY, 30) and not expiring(records[4], TODAY, 90)


# -- the rules' boundaries (the corpus has one failing case per code) ------------------------


def codes(make_project: MakeProject, text: str, today: dt.date = TODAY,
          **files: str) -> list[str]:
    """The codes reported for the agreement file ``text`` (with the DCF dataset it
    shares, or ``files`` instead)."""
    root = make_project({**ag(text), **{k.replace("__", "/"): v for k, v in files.items()}})
    report = validate(Project(root), today=today).report
    return [p.code for p in report.sorted() if p.file == AG]


_NO_GOVERNANCE = edit("  - kind: governance\n    by: Executive Team IS Governance body\n"
                      "    date: 2024-12-03\n    reference: SharePoint ISG/2024/09\n", "",
                      AGREEMENT)
_DE_IDENTIFIED = edit("identifiable_client_data: true\n", "", edit(
    "consent_plan:\n  description: Clients are notified by letter and asked for informed "
    "consent.\n  approved_by: Commissioner\n  approved_on: 2024-12-01\n", "", _NO_GOVERNANCE))


def test_governance_approval_only_for_dcf_client_level_data(make_project: MakeProject) -> None:
    """Derived, not declared: an agreement sharing only an open DCF table needs no
    governance approval nor consent plan; removing the declaration from one sharing
    client records removes neither."""
    public_dcf = edit("agency: tst", "agency: dcf",
                      edit("id: tst-town-counts", "id: dcf-client-visits", DATASET))
    open_only = {"inventory__dcf__dcf-client-visits.yml": public_dcf}
    assert codes(make_project, _DE_IDENTIFIED, **open_only) == []
    assert codes(make_project, _DE_IDENTIFIED) == [
        "agreement-missing-consent-plan", "agreement-missing-governance-approval"]
    assert "agreement-missing-governance-approval" in codes(make_project, _NO_GOVERNANCE)


def test_drafts_need_no_approvals_reviews_or_schedule_yet(make_project: MakeProject) -> None:
    before_approvals = AGREEMENT[:AGREEMENT.index("approvals:")]  # then reviews, schedule
    assert codes(make_project, edit("status: active", "status: draft", before_approvals)) == []
    assert "agreement-missing-approval" in codes(make_project, before_approvals)


def test_terminated_may_end_before_its_term(make_project: MakeProject) -> None:
    assert codes(make_project, edit("status: active", "status: terminated", AGREEMENT)) == []


def test_expired_after_the_end_is_consistent(make_project: MakeProject) -> None:
    text = edit("status: active", "status: expired", AGREEMENT)
    assert codes(make_project, text, today=D(2027, 7, 1)) == []


def test_overdue_review_computed_from_the_term_start(make_project: MakeProject) -> None:
    text = edit("  next_due: 2027-01-01\n", "", AGREEMENT)  # P1Y from 2025-01-01
    report = validate(Project(make_project(ag(text))), today=TODAY).report
    assert report.flatten(["code", "line"]) == [
        ["agreement-ongoing-review-overdue", line_of(text, "ongoing_review:") + 1]]
    assert "2026-01-01" in report.problems[0].message


# -- the checklist --------------------------------------------------------------------------

def compiled(make_project: MakeProject, text: str) -> tuple[dict[str, Any], list[Any],
                                                             list[Any], list[Any]]:
    """The agreement's rows as a build compiles them (agreements, reviews, approvals),
    and the problems rows of its file: what the staff page gives the checklist."""
    inv = validate(Project(make_project(ag(text))), today=TODAY)
    rows = shared_rows(inv, [], inv.report.sorted())
    (row,) = [r for r in rows["agreements"] if r["id"] == "tst-uconn-evaluation"]

    def mine(table: str) -> list[Any]:
        return [r for r in rows[table] if r["agreement_id"] == row["id"]]

    problems = [r for r in rows["problems"] if r["file"] == row["source_file"]]
    return row, mine("agreement_reviews"), mine("agreement_approvals"), problems


GAPS = edit("    reference: SharePoint IRB/2024/17\n", "", edit(
    "  - kind: governance\n    by: Executive Team IS Governance body\n    date: 2024-12-03\n"
    "    reference: SharePoint ISG/2024/09\n", "", edit(
        "    archive_ref: SharePoint ORE/reviews/2024-11\n", "    archive_ref: SP ORE/1\n", edit(
            "    archive_ref: SharePoint OMAIP/reviews/2024-11\n", "", edit(
                "  - office: racial-justice-workgroup\n    date: 2024-11-12\n"
                "    archive_ref: SharePoint SWRJWG/reviews/2024-11\n", "", edit(
                    "  approved_by: Commissioner\n  approved_on: 2024-12-01\n", "", edit(
                        "next_due: 2027-01-01", "next_due: 2026-01-01", AGREEMENT)))))))


def test_checklist_of_an_active_agreement_with_gaps(make_project: MakeProject) -> None:
    row, reviews, approvals, problems = compiled(make_project, GAPS)
    items = {i.key: i for i in checklist(row, reviews, approvals, problems)}
    assert {k: i.state for k, i in items.items()} == {
        "approval": "not-archived", "governance": "missing",
        "review:research-evaluation": "done", "review:multicultural-affairs": "not-archived",
        "review:racial-justice-workgroup": "missing", "consent-plan": "missing",
        "ongoing-review": "overdue",
    }
    assert "SP ORE/1" in items["review:research-evaluation"].detail
    assert all(items[k].problem for k in ("approval", "governance", "ongoing-review"))
    assert missing_reviews(items.values()) == ["multicultural-affairs",
                                               "racial-justice-workgroup"]
    assert missing_reviews(checklist({**row, "policy_packs": "state-data-plan"}, reviews,
                                     approvals, problems)) == []


def test_the_checklist_shows_what_the_rules_found(make_project: MakeProject) -> None:
    """An archive reference the pack's pattern rejects is a gap the rules report, and so
    the checklist's: it is no second implementation of them."""
    text = edit("archive_ref: SharePoint ORE/reviews/2024-11", "archive_ref: somewhere",
                AGREEMENT)
    row, reviews, approvals, problems = compiled(make_project, text)
    assert [p["code"] for p in problems] == ["agreement-review-not-archived"]
    states = {i.key: i.state for i in checklist(row, reviews, approvals, problems)}
    assert states["review:research-evaluation"] == "not-archived"
    assert set(states.values()) == {"done", "not-archived"}


def test_checklist_of_a_draft_is_pending_not_missing(make_project: MakeProject) -> None:
    text = edit("status: active", "status: draft", edit(
        "identifiable_client_data: true", "identifiable_client_data: false", AGREEMENT))
    text = text.split("approvals:\n")[0] + "ongoing_review:\n  frequency: P1Y\n" \
        "  next_due: 2027-01-01\n"
    found, _, _, problems = compiled(make_project, text)
    row = {**found, "consent_required": False, "governance_required": False}
    items = {i.key: i for i in checklist(row, [], [], problems)}
    assert items["approval"].state == "pending"
    assert items["review:racial-justice-workgroup"].state == "pending"
    assert items["governance"].state == items["consent-plan"].state == "not-applicable"
    assert items["ongoing-review"].state == "done"  # scheduled; overdue only when in force
    assert not any(i.problem for i in items.values())


def test_checklist_outside_dcf_is_not_applicable(make_project: MakeProject) -> None:
    """DCF 5-4 covers agreements DCF is a party to or that share DCF data: a DOT-DEEP
    agreement owes it nothing."""
    found, reviews, approvals, problems = compiled(make_project, AGREEMENT)
    row = {**found, "policy_packs": "state-data-plan dcf-5-1 prevention-play"}
    items = checklist(row, reviews, approvals, problems)
    assert {i.state for i in items} == {"not-applicable"} and len(items) == 7
    assert "does not apply" in items[0].detail


# -- who shares with whom -------------------------------------------------------------------

AGREEMENTS = [{"id": "a1", "title": "Two-way", "status": "active"},
              {"id": "a2", "title": "Research <b>study</b> & \"more\"", "status": "draft"}]
FLOW_PARTIES = {
    "a1": [{"agency_id": "dcf", "agency_name": "Children and Families", "abbreviation": "DCF",
            "kind": "state-agency", "role": "both"},
           {"agency_id": "dss", "agency_name": "Social Services", "abbreviation": "DSS",
            "kind": "state-agency", "role": "both"}],
    "a2": [{"agency_id": "dcf", "agency_name": "Children and Families", "abbreviation": "DCF",
            "kind": "state-agency", "role": "provider"},
           {"agency_id": "dss", "agency_name": "Social Services", "abbreviation": "DSS",
            "kind": "state-agency", "role": "provider"},
           {"agency_id": None, "name": "<script>alert(1)</script> Lab", "kind": "university",
            "role": "recipient"}],
}


def test_flows_follow_the_parties_roles() -> None:
    nodes, edges = flows(AGREEMENTS, FLOW_PARTIES)
    assert [n.key for n in nodes] == ["agency:dcf", "agency:dss",
                                      "party:<script>alert(1)</script> lab"]
    assert [(e.source, e.target, e.both_ways, e.number) for e in edges] == [
        ("agency:dcf", "agency:dss", True, 1),
        ("agency:dcf", "party:<script>alert(1)</script> lab", False, 2),
        ("agency:dss", "party:<script>alert(1)</script> lab", False, 2),
    ]


def test_flow_map_lists_each_pair_once_under_its_provider() -> None:
    nodes, edges = flows(AGREEMENTS, FLOW_PARTIES)
    providers = by_provider(nodes, edges)
    listed = {(p.node.key, q.node.key, q.both_ways) for p in providers for q in p.partners}
    assert listed == {("agency:dcf", "agency:dss", True), ("agency:dss", "agency:dcf", True),
                      ("agency:dcf", "party:<script>alert(1)</script> lab", False),
                      ("agency:dss", "party:<script>alert(1)</script> lab", False)}
    assert providers[0].node.key == "agency:dcf" and providers[0].count == 2
    assert by_provider([], []) == []


# -- iCalendar ------------------------------------------------------------------------------


def test_calendar_events_alarms_and_stable_uids() -> None:
    import icalendar

    records = [dates(id="one", title="One", term_end=D(2026, 12, 31), review_frequency="P1Y",
                     review_next_due=D(2026, 12, 15)),
               dates(id="draft", status="draft", term_end=D(2027, 1, 1))]
    stamp = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.timezone.utc)
    body = calendar(records, base_url="https://x.ct.gov/", domain="x.ct.gov", stamp=stamp)
    assert body == calendar(records, base_url="https://x.ct.gov/", domain="x.ct.gov",
                            stamp=stamp)
    cal = icalendar.Calendar.from_ical(body)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"agreement-one-term-end@x.ct.gov",
                           "agreement-one-ongoing-review@x.ct.gov"}
    end = events["agreement-one-term-end@x.ct.gov"]
    assert end.decoded("dtstart") == D(2026, 12, 31)
    assert str(end["url"]) == "https://x.ct.gov/agreements/one"
    (alarm,) = end.walk("VALARM")
    assert alarm.decoded("trigger") == dt.timedelta(days=-60)
    moved = calendar([dates(id="one", title="One", term_end=D(2027, 3, 31))],
                     base_url="https://x.ct.gov", domain="x.ct.gov", stamp=stamp)
    assert b"UID:agreement-one-term-end@x.ct.gov" in moved and b"20270331" in moved


# -- the command line, on the sample inventory ---------------------------------------------


def test_due_exits_1_only_when_something_is_overdue() -> None:
    code, out = run("agreements", "due", "--within", "60d", "--today", "2026-11-23",
                    "--root", str(REPO))
    assert code == 0, out
    assert "dcf-dss-husky-foster-care-exchange" in out and "OVERDUE" not in out
    code, out = run("agreements", "due", "--within", "8w", "--today", "2027-01-20",
                    "--format", "json", "--root", str(REPO))
    assert code == 1
    data = json.loads(out)
    assert data["within_days"] == 56 and data["overdue"] == 2
    assert [(i["kind"], i["overdue"]) for i in data["items"]][:2] == [("term-end", True),
                                                                      ("ongoing-review", True)]
    code, out = run("agreements", "due", "--today", "2027-01-10", "--root", str(REPO))
    assert code == 1 and out.count("OVERDUE") == 1  # the term; the review is in 2 days
    code, out = run("agreements", "due", "--within", "2m", "--root", str(REPO))
    assert code == 2 and "weeks (8w)" in out


def test_list_and_calendar_commands(tmp_path: Path) -> None:
    code, out = run("agreements", "list", "--format", "json", "--root", str(REPO))
    rows = json.loads(out)
    assert code == 0 and len(rows) == len(list((REPO / "inventory/_agreements").glob("*.yml")))
    code, out = run("agreements", "list", "--status", "active", "--format", "csv",
                    "--root", str(REPO))
    assert out.splitlines()[0].startswith("id,title,status")
    assert all(",active," in line for line in out.splitlines()[1:])
    target = tmp_path / "a.ics"
    code, out = run("agreements", "calendar", "-o", str(target), "--root", str(REPO))
    assert code == 0 and target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    import icalendar

    uids = [str(e["uid"]) for e in icalendar.Calendar.from_ical(target.read_bytes()).walk(
        "VEVENT")]
    assert uids and all(u.endswith("@inventory.data.ct.gov") for u in uids)


def test_a_broken_agreement_is_skipped_with_a_warning(make_project: MakeProject) -> None:
    root = make_project({**ag(), "inventory/_agreements/bad.yml": "id: bad\n"})
    result = CliRunner().invoke(main, ["agreements", "list", "--root", str(root)])
    assert result.exit_code == 0
    assert "tst-uconn-evaluation" in result.stdout
    assert "inventory/_agreements/bad.yml skipped" in result.stderr


# -- the sample register ----------------------------------------------------------------------


def test_sample_register_covers_the_lifecycle() -> None:
    reg = load_agreements(Project(REPO))
    by_id = {a.id: a for a in reg.agreements}
    assert reg.problems == [] or all(p.severity.value != "error" for p in reg.problems)
    assert {a.status.value for a in reg.agreements} >= {
        "draft", "under-review", "approved", "active", "expired"}
    soon = due(reg.dates, TODAY, 60)
    assert any(i.kind == "term-end" and not i.overdue for i in soon), "one expiring soon"
    offices = {"research-evaluation", "multicultural-affairs", "racial-justice-workgroup"}
    assert any(offices - {r.office for r in a.reviews} for a in reg.agreements), \
        "one missing a review"
    assert any(a.identifiable_client_data and a.consent_plan and a.consent_plan.approved_on
               and any(p.kind != "state-agency" for p in a.parties)
               for a in reg.agreements), "one external with an approved consent plan"
    assert any(not a.public for a in by_id.values()) and any(a.public for a in by_id.values())
    inv = validate(Project(REPO), today=TODAY)
    assert [p.as_line() for p in inv.report
            if p.file.startswith("inventory/_agreements/")] == []
