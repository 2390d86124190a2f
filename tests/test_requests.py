"""The data-request register (DCF 5-1): model, rules, compiled tables, turnaround."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from catalog.governance.requests import turnaround
from catalog.project import Project
from catalog.validate import validate_project

from .conftest import MakeProject


def request(rid: str, received: str, status: str, responded: str | None = None,
            kind: str = "researcher") -> str:
    text = (f"id: {rid}\ntitle: Request {rid}\nreceived_on: {received}\n"
            f"requester:\n  kind: {kind}\ndatasets: [tst-town-counts]\n"
            f"description: Asked for town counts.\nstatus: {status}\nhandled_by: tst\n")
    return text + (f"responded_on: {responded}\n" if responded else "")


def test_turnaround_figures(make_project: MakeProject) -> None:
    root = make_project({
        "inventory/_requests/r1.yml": request("r1", "2026-01-01", "fulfilled", "2026-01-11"),
        "inventory/_requests/r2.yml": request("r2", "2026-02-01", "denied", "2026-02-21",
                                              kind="media"),
        "inventory/_requests/r3.yml": request("r3", "2026-03-01", "fulfilled", "2026-03-31"),
        "inventory/_requests/r4.yml": request("r4", "2026-11-01", "vetting"),
    })
    inv = validate_project(Project(root), today=dt.date(2026, 11, 23))
    assert inv.report.errors == []
    t = turnaround(inv)
    assert (t.total, t.open, t.answered) == (4, 1, 3)
    assert (t.median_days, t.max_days, t.oldest_open_days) == (20, 30, 22)
    assert t.by_status == {"fulfilled": 2, "denied": 1, "vetting": 1}
    assert t.by_requester == {"researcher": 3, "media": 1}


def test_requests_are_compiled_for_staff_only(sample_build: Path) -> None:
    inv = sqlite3.connect(sample_build / "inventory.db")
    pub = sqlite3.connect(sample_build / "public.db")
    rows = inv.execute("select id, turnaround_days from data_requests order by id").fetchall()
    assert ("req-2026-031-legislature-entries-by-town", 8) in rows
    assert pub.execute("select count(*) from data_requests").fetchone()[0] == 0
    assert pub.execute("select count(*) from data_request_datasets").fetchone()[0] == 0
