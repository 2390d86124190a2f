"""``catalog publish``: a build reaches every target folder or none, never half of one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.compile import built_hash

from .test_robustness import built_template, digests  # noqa: F401 -- a fixture


@pytest.fixture
def site(built_template: Path, tmp_path: Path) -> Path:  # noqa: F811
    root = tmp_path / "site"
    shutil.copytree(built_template, root, symlinks=True)
    return root


def _publish(site: Path, *targets: Path) -> object:
    args = ["publish", "--root", str(site)]
    for t in targets:
        args += ["--to", str(t)]
    return CliRunner().invoke(main, args)


def test_publish_copies_both_databases_to_every_target(site: Path, tmp_path: Path) -> None:
    targets = [tmp_path / f"r{n}" for n in (1, 2)]
    result = _publish(site, *targets)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    for t in targets:
        assert digests(t) == digests(site / "build")
        assert [p.name for p in t.iterdir() if p.name.endswith(".tmp")] == []
    again = _publish(site, *targets)
    assert "already holds build" in again.output  # type: ignore[attr-defined]


def test_a_target_that_cannot_be_staged_changes_no_target(site: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "r1", tmp_path / "r2"
    assert _publish(site, first, second).exit_code == 0  # type: ignore[attr-defined]
    before = {t: digests(t) for t in (first, second)}
    # a new build in the source, and the second target unable to take it
    from .test_corpus import DS
    from .test_robustness import build, retitle

    retitle(site, DS, "Town counts, unpublished")
    assert build(site, "-q").code == 0
    blocker = second / f".public.db.{os.getpid()}.publish.tmp"
    blocker.mkdir()  # the staged copy cannot be written there (EISDIR)
    result = CliRunner().invoke(main, ["publish", "--root", str(site), "--to", str(first),
                                       "--to", str(second)])
    assert result.exit_code == 1, result.output
    assert "cannot stage the build" in result.output and "hint:" in result.output
    assert "Traceback" not in result.output
    assert {t: digests(t) for t in (first, second)} == before  # neither changed
    assert [p.name for p in first.iterdir() if p.name.endswith(".tmp")] == []


def test_publish_refuses_a_half_build_and_mismatched_waits(site: Path, tmp_path: Path) -> None:
    target = tmp_path / "r1"
    other = tmp_path / "other"
    shutil.copytree(site / "build", other)
    from .test_corpus import DS
    from .test_robustness import retitle

    retitle(site, DS, "Town counts, half")
    from .test_robustness import build

    assert build(site, "-q", "--out", str(other)).code == 0
    shutil.copy(other / "inventory.db", site / "build" / "inventory.db")  # one of two
    result = _publish(site, target)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "come from different builds" in result.output  # type: ignore[attr-defined]
    assert built_hash(target / "public.db") is None
    wrong = CliRunner().invoke(main, ["publish", "--root", str(site), "--to", str(target),
                                      "--wait", "http://a", "--wait", "http://b"])
    assert wrong.exit_code == 1 and "one --wait URL per --to folder" in wrong.output
