"""The screenshots CI keeps: `.ci/run` starts with an empty test-artifacts/ and, at the
end of a run that passed or failed, writes test-artifacts/index.html listing every
screenshot and prints where they are and how many (tests/artifacts.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_index_lists_every_screenshot_by_folder(tmp_path: Path) -> None:
    folder = tmp_path / "test-artifacts"
    names = ["01-home.png", "a11y/admin-1366-home.png", "a11y/admin-390-search-q-a&b.png"]
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(PNG)
    (folder / "datasette.log").write_text("not a screenshot")
    done = subprocess.run([sys.executable, "-m", "tests.artifacts", str(folder)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (f"== screenshots: 3 in {folder}/ (1 in ./, 2 in a11y/); "
                                   f"index: {folder / 'index.html'}")
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "3 screenshots" in html
    links = re.findall(r'<a href="([^"]+)">', html)
    assert links == ["01-home.png", "a11y/admin-1366-home.png",
                     "a11y/admin-390-search-q-a%26b.png"]
    assert "admin-390-search-q-a&amp;b.png</a>" in html and "datasette.log" not in html
    assert "<h2>a11y/ (2)</h2>" in html


def test_ci_run_keeps_this_runs_screenshots_and_indexes_them_even_on_failure(
        tmp_path: Path) -> None:
    """.ci/run's set-up, then a run that saves a screenshot and fails: the earlier run's
    screenshot is gone, the index lists the new one, and the failure is kept."""
    clone = tmp_path / "clone"
    (clone / ".ci").mkdir(parents=True)
    (clone / "tests").mkdir()
    for name in ("__init__.py", "artifacts.py"):
        shutil.copy(REPO / "tests" / name, clone / "tests" / name)
    head = (REPO / ".ci" / "run").read_text(encoding="utf-8").split('echo "== python', 1)[0]
    assert "trap 'python3 -m tests.artifacts' EXIT" in head
    (clone / ".ci" / "run").write_text(
        head + "mkdir -p test-artifacts/a11y\n"
        "printf 'png' > test-artifacts/a11y/anonymous-390-home.png\nexit 3\n")
    (clone / "test-artifacts").mkdir()
    (clone / "test-artifacts" / "old-run.png").write_bytes(PNG)
    done = subprocess.run(["bash", ".ci/run"], cwd=clone, capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "== screenshots: 1 in " in done.stdout and "(1 in a11y/)" in done.stdout
    html = (clone / "test-artifacts" / "index.html").read_text(encoding="utf-8")
    assert "anonymous-390-home.png" in html and "old-run" not in html
    assert not (clone / "test-artifacts" / "old-run.png").exists()
