"""The data-request register (DCF 5-1): model, rules, compiled tables, turnaround."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from catalog.build import validate
from catalog.dbapi import sqlite3
from catalog.governance.requests import turnaround
from catalog.project import Project

from .conftest import MakeProject


def request(rid: str, received: str, status: str, responded: str | None = None,
            kind: str = "researcher", extra: str = "") -> str:
    """A request record as its status requires: a vetting record once vetting started
    (decided when the request is), a release when fulfilled."""
    text = (f"id: {rid}\ntitle: Request {rid}\nreceived_on: {received}\n"
            f"requester:\n  kind: {kind}\ndatasets: [tst-town-counts]\n"
            f"description: Asked for town counts.\nstatus: {status}\nhandled_by: tst\n")
    if status != "received":
        text += f"vetting:\n  by: Data office\n  started_on: {received}\n"
        if status in ("approved", "fulfilled", "denied"):
            decision = "denied" if status == "denied" else "approved"
            text += f"  decision: {decision}\n  decided_on: {responded or received}\n"
    if responded:
        text += f"responded_on: {responded}\n"
    if status == "fulfilled":
        text += f"release:\n  date: {responded}\n  level: aggregate\n"
    return text + extra


def test_turnaround_figures(make_project: MakeProject) -> None:
    root = make_project({
        "inventory/_requests/r1.yml": request("r1", "2026-01-01", "fulfilled", "2026-01-11"),
        "inventory/_requests/r2.yml": request("r2", "2026-02-01", "denied", "2026-02-21",
                                              kind="media"),
        "inventory/_requests/r3.yml": request("r3", "2026-03-01", "fulfilled", "2026-03-31"),
        "inventory/_requests/r4.yml": request("r4", "2026-11-01", "vetting"),
    })
    inv = validate(Project(root), today=dt.date(2026, 11, 23))
    assert inv.report.errors == []
    t = turnaround(inv)
    assert (t.total, t.open, t.answered) == (4, 1, 3)
    assert (t.median_days, t.max_days, t.oldest_open_days) == (20, 30, 22)
    assert t.by_status == {"fulfilled": 2, "denied": 1, "vetting": 1}
    assert t.by_requester == {"researcher": 3, "media": 1}
    # researcher target 60 days (dcf-5-1), media 30 (default): all three answered in time
    assert (t.on_time, t.late, t.overdue) == (3, 0, 0)
    assert set(t.by_kind) == {"researcher", "media"} and set(t.by_agency) == {"tst"}
    assert (t.by_kind["media"].answered, t.by_kind["media"].median_days) == (1, 20)
    assert t.by_kind["researcher"].open == 1


def test_foia_clock_counts_business_days_and_state_holidays(make_project: MakeProject) -> None:
    """Conn. Gen. Stat. §1-206: four business days; Thanksgiving 2026 is a state holiday."""
    from catalog.validate.requests import add_business_days, due_date

    assert add_business_days(dt.date(2026, 11, 24), 4) == dt.date(2026, 12, 1)
    assert add_business_days(dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 24)
    assert add_business_days(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 28)
    root = make_project({
        "inventory/_requests/f1.yml": request("f1", "2026-11-24", "vetting", kind="media",
                                              extra="foia: true\n"),
        "inventory/_requests/f2.yml": request("f2", "2026-11-02", "denied", "2026-11-12",
                                              kind="media", extra="foia: true\n"),
    })
    inv = validate(Project(root), today=dt.date(2026, 12, 2))
    due, basis = due_date(inv.requests["f1"], inv)
    assert due == dt.date(2026, 12, 1) and "§1-206" in basis
    assert [(p.code, p.file) for p in inv.report if "_requests" in p.file] == [
        ("request-overdue", "inventory/_requests/f1.yml")]
    t = turnaround(inv)
    assert (t.foia.total, t.foia.late, t.foia.overdue) == (2, 1, 1)
    # the dated finding never blocks a build
    from catalog.build import build

    assert build(Project(root), today=dt.date(2026, 12, 2)).mode == "full"


def test_requests_are_compiled_for_staff_only(sample_build: Path) -> None:
    inv = sqlite3.connect(sample_build / "inventory.db")
    pub = sqlite3.connect(sample_build / "public.db")
    rows = inv.execute("select id, turnaround_days from data_requests order by id").fetchall()
    assert ("req-2026-031-legislature-entries-by-town", 8) in rows
    assert pub.execute("select count(*) from data_requests").fetchone()[0] == 0
    assert pub.execute("select count(*) from data_request_datasets").fetchone()[0] == 0


def test_the_requests_command_reads_the_build_pipeline(make_project: MakeProject) -> None:
    """`catalog requests` runs the build's check (nothing written) and gives the figures
    of the validated registers."""
    import json

    from click.testing import CliRunner

    from catalog.cli import main

    root = make_project({
        "inventory/_requests/r1.yml": request("r1", "2026-01-01", "fulfilled", "2026-01-11"),
        "inventory/_requests/r4.yml": request("r4", "2026-11-01", "vetting"),
    })
    done = CliRunner().invoke(main, ["requests", "--format", "json", "--root", str(root),
                                     "--today", "2026-11-23"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    expected = turnaround(validate(Project(root), today=dt.date(2026, 11, 23)))
    assert json.loads(done.output) == json.loads(json.dumps(expected.as_dict(), default=str))
    assert json.loads(done.output)["total"] == 2
    assert not (root / "build").exists()
