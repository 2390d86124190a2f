"""Use cases: the public form (CSRF, honeypot, limits, rate limiting), the staff-only
moderation queue, and approved use cases as open data without e-mail addresses."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.dbapi import sqlite3
from catalog.usage.state import state_for
from catalog.usage.usecases import HONEYPOT, SubmitLimiter, check

from .conftest import staff_cookies
from .test_usage_support import (
    LISTED_DATASET,
    OPEN_DATASET,
    UsageSite,
    make_site,
    post_form,
    submission,
)

D = OPEN_DATASET
FORM = f"/datasets/{D}/use-cases"


@pytest.fixture
def us(site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageSite]:
    usage_site = make_site(site, tmp_path, monkeypatch, CATALOG_USAGE_SUBMIT_LIMIT="3/hour")
    yield usage_site
    state_for(usage_site.ds).close()


def stored(us: UsageSite) -> list[dict[str, Any]]:
    conn = sqlite3.connect(us.store_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select * from use_cases order by id")]
    finally:
        conn.close()


def test_form_is_on_open_dataset_pages_only(us: UsageSite) -> None:
    page = us.get(f"/datasets/{D}").text
    assert f'action="{FORM}"' in page and 'name="csrftoken"' in page
    assert f'name="{HONEYPOT}"' in page and 'class="ct-hp" aria-hidden="true"' in page
    listed = us.get(f"/datasets/{LISTED_DATASET}").text
    assert "How did you use this data?" not in listed
    r = post_form(us, f"/datasets/{LISTED_DATASET}/use-cases", submission(), form_page=FORM)
    assert r.status_code == 404
    assert us.get("/datasets/no-such/use-cases").status_code == 404


def test_submission_waits_for_moderation(us: UsageSite) -> None:
    r = post_form(us, FORM, submission())
    assert r.status_code == 303 and r.headers["location"].startswith(f"{FORM}?sent=1")
    assert "Thank you" in us.get(f"{FORM}?sent=1").text
    [row] = stored(us)
    assert row["status"] == "pending" and row["email"] == "analyst@example.org"
    assert row["dataset_id"] == D and row["title"] == "Placement dashboard"
    assert "Placement dashboard" not in us.get(f"/datasets/{D}").text
    assert us.get("/usage/use-cases.json").json() == []
    assert us.get(f"{FORM}.json").json() == []


def test_post_without_csrf_token_is_rejected(us: UsageSite) -> None:
    jar = us.form_token(FORM)
    jar.pop("__token")
    r = us.post(FORM, submission(), cookies=jar)  # the cookie but no token
    assert r.status_code == 403
    r = us.post(FORM, submission())  # no cookie at all: asgi-csrf lets it by, the form not
    assert r.status_code == 403
    r = us.post(FORM, {**submission(), "csrftoken": "forged"}, cookies={"ds_csrftoken": "forged"})
    assert r.status_code == 403
    other = us.form_token(FORM)  # a valid token with another client's cookie
    r = us.post(FORM, {**submission(), "csrftoken": other.pop("__token")},
                cookies={"ds_csrftoken": jar["ds_csrftoken"]})
    assert r.status_code == 403
    assert stored(us) == []


def test_honeypot_is_accepted_and_dropped(us: UsageSite) -> None:
    r = post_form(us, FORM, submission(**{HONEYPOT: "http://spam.example"}))
    assert r.status_code == 303
    assert stored(us) == []


def test_invalid_submissions_show_every_problem(us: UsageSite) -> None:
    r = post_form(us, FORM, submission(title="", description="short", link="javascript:x",
                                       email="nope"))
    assert r.status_code == 400
    for field in ("title", "description", "link", "email"):
        assert f'id="usecase-{field}-error"' in r.text
    assert r.text.count('aria-invalid="true"') == 4
    assert 'value="Hartford Data Collaborative"' in r.text  # kept for the next try
    assert stored(us) == []


def test_check_reports_codes() -> None:
    sub = check({"title": "ab", "description": "x" * 2001, "link": "ftp://a/b",
                 "email": "a@b", "organisation": "o" * 121})
    assert sorted((p.field, p.code) for p in sub.problems) == [
        ("description", "too-long"), ("email", "bad-email"), ("link", "bad-link"),
        ("organisation", "too-long"), ("title", "too-short")]
    ok = check({"title": " Good\x00 title ", "description": "line one\r\nline two is long"})
    assert ok.ok and ok.values["title"] == "Good title"
    assert ok.values["description"] == "line one\nline two is long"
    assert ok.values["email"] is None and ok.values["link"] is None
    assert check({**submission(), HONEYPOT: "x"}).honeypot


def test_rate_limit_per_client(us: UsageSite) -> None:
    for _ in range(3):
        assert post_form(us, FORM, submission()).status_code == 303
    blocked = post_form(us, FORM, submission())
    assert blocked.status_code == 429 and "Too many submissions" in blocked.text
    assert post_form(us, FORM, submission(), ip="198.51.100.5").status_code == 303
    assert len(stored(us)) == 4


def test_limiter_notation() -> None:
    limiter = SubmitLimiter("2/minute;3/day")
    assert [limiter.allow("k") for _ in range(3)] == [True, True, False]
    assert limiter.allow("other")


def test_oversized_form_is_refused(us: UsageSite) -> None:
    r = post_form(us, FORM, submission(description="x" * 20_000))
    assert r.status_code == 400
    assert stored(us) == []


def test_moderation_is_staff_only(us: UsageSite) -> None:
    post_form(us, FORM, submission())
    [row] = stored(us)
    for path in ("/usage/moderation", "/usage/moderation.json"):
        assert us.get(path).status_code == 403
    r = post_form(us, "/usage/moderation", {"id": str(row["id"]), "decision": "approve"},
                  form_page=FORM)
    assert r.status_code == 403
    assert stored(us)[0]["status"] == "pending"
    staff = staff_cookies(us.ds)
    page = us.get("/usage/moderation", cookies=staff)
    assert page.status_code == 200 and "analyst@example.org" in page.text
    jar = us.form_token("/usage/moderation", cookies=staff)
    jar.pop("__token")
    r = us.post("/usage/moderation", {"id": str(row["id"]), "decision": "approve"}, cookies=jar)
    assert r.status_code == 403  # staff too need the token
    assert stored(us)[0]["status"] == "pending"


def test_staff_approve_and_reject(us: UsageSite) -> None:
    post_form(us, FORM, submission())
    post_form(us, FORM, submission(title="Spam we reject", link=""))
    first, second = stored(us)
    staff = staff_cookies(us.ds)
    r = post_form(us, "/usage/moderation", {"id": str(first["id"]), "decision": "approve"},
                  cookies=staff)
    assert r.status_code == 303
    post_form(us, "/usage/moderation", {"id": str(second["id"]), "decision": "reject"},
              cookies=staff)
    assert post_form(us, "/usage/moderation", {"id": "9999", "decision": "approve"},
                     cookies=staff).status_code == 404
    assert post_form(us, "/usage/moderation", {"id": "1", "decision": "publish"},
                     cookies=staff).status_code == 400
    rows = stored(us)
    assert [r["status"] for r in rows] == ["approved", "rejected"]
    assert rows[0]["decided_by"] == "staff"
    page = us.get(f"/datasets/{D}").text
    assert "Placement dashboard" in page and "Spam we reject" not in page
    assert "analyst@example.org" not in page
    published = us.get("/usage/use-cases.json").json()
    assert [u["title"] for u in published] == ["Placement dashboard"]
    assert "email" not in published[0] and "decided_by" not in published[0]
    assert published[0]["dataset_title"]
    text = us.get("/usage/use-cases.csv").text
    assert "analyst@example.org" not in text
    assert [r["title"] for r in csv.DictReader(io.StringIO(text))] == ["Placement dashboard"]
    assert [u["title"] for u in us.get(f"{FORM}.json").json()] == ["Placement dashboard"]
    html = us.get("/usage/use-cases").text
    assert "Placement dashboard" in html and 'rel="nofollow ugc noopener"' in html
    assert "analyst@example.org" not in us.get("/usage.json").text
    assert us.get("/usage.json", cookies=staff).json()["pending_use_cases"] == 0


def test_use_case_text_is_escaped(us: UsageSite) -> None:
    post_form(us, FORM, submission(title="<script>alert(1)</script>",
                                   description="<img src=x onerror=alert(1)> used it well"))
    [row] = stored(us)
    us.state.store.decide(row["id"], "approved", "staff")
    us.state.panels.clear()
    for path in (f"/datasets/{D}", FORM, "/usage/use-cases"):
        html = us.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_form_problems_are_registered_problems_as_documented() -> None:
    """Each problem of the form is a Problem of a registered code naming its field;
    docs/errors.md shows the message the form shows beside it."""
    from catalog.problems import CODES, Problem

    from .conftest import REPO

    errors_md = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    seen = set()
    for form in ({"title": "", "description": "x" * 2001, "link": "ftp://a/b", "email": "a@b"},
                 {"title": "Good title", "description": "short"}):
        for p in check(form).problems:
            assert isinstance(p, Problem) and p.code in CODES
            assert p.severity == CODES[p.code].severity
            assert f"{p.field}: {p.message}" in errors_md, p
            seen.add(p.code)
    portal = {"bad-date", "bad-count"}  # tests/test_usage_portal.py
    assert seen == {"required", "too-short", "too-long", "bad-link", "bad-email"} == {
        n for n, c in CODES.items() if c.stage == "usage"} - portal
