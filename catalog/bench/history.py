"""History benchmark: ``python -m catalog.bench.history --datasets 10000 --commits 500``.

Makes the synthetic inventory a git repository (catalog.bench.repository), then
measures in one run:

* the parse floor: PyYAML's C loader reading every distinct descriptor version of the
  history, in one process (what any reading of the history must do at least);
* cold history: the whole history computed with no cache (every core), and its ratio to
  the floor;
* a cold build with history, and the same build of a copy of the tree without git (the
  difference is what history adds to a cold build);
* a new commit: one descriptor edited and committed, then ``catalog build``, against
  the same edit in the copy without git (median of three): what a new commit adds to a
  rebuild; and a commit of files already built (history alone);
* the size of the cache and of the history tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from statistics import median

import yaml

from . import print_figures, timed
from .generate import Scale
from .repository import make_repository

REPEATS = 3



def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench Steward",
           "GIT_AUTHOR_EMAIL": "bench.steward@example.org",
           "GIT_COMMITTER_NAME": "Bench Steward",
           "GIT_COMMITTER_EMAIL": "bench.steward@example.org"}
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True, env=env).stdout


def _edit(path: Path, n: int) -> None:
    text = path.read_text()
    path.write_text(text.replace("title: ", f"title: Revised {n} ", 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--fields", type=int, default=40)
    parser.add_argument("--agencies", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/catalog-bench-history"))
    args = parser.parse_args()

    from ..build import build
    from ..history.engine import CACHE, update
    from ..history.git import Repo
    from ..project import Project

    repo_dir = Path(__file__).resolve().parents[2]
    root, plain = args.out / "repo", args.out / "plain"
    shutil.rmtree(args.out, ignore_errors=True)
    scale = Scale(agencies=args.agencies, datasets=args.datasets, fields=args.fields,
                  agreements=max(5, args.datasets // 200))
    print(f"generating {scale.datasets} datasets x {scale.fields} fields as a repository "
          f"of {args.commits} commits in {root}", flush=True)
    made, repository = timed(lambda: make_repository(root, scale, args.commits,
                                                      repo_dir / "standards"))
    shutil.copytree(root, plain, ignore=shutil.ignore_patterns(".git"))
    repo = Repo(root, "")
    blobs = sorted({line.split()[3] for line in _git(
        root, "log", "--raw", "--no-abbrev", "--format=", "--", "inventory").splitlines()
        if line.startswith(":") and "/_" not in line.split("\t")[1]
        and line.split()[3] != "0" * 40})
    contents = [raw for _, raw in repo.read(blobs)]

    def parse_all() -> None:
        for raw in contents:
            yaml.load(raw, Loader=yaml.CSafeLoader)

    floor, _ = timed(parse_all)
    contents.clear()  # the memory back before the builds
    cold, history = timed(lambda: update(root, args.out / "cold", jobs=args.jobs))
    today = dt.date.today()
    cold_build, outcome = timed(lambda: build(Project(root), today=today, jobs=args.jobs,
                                               full=True))
    assert outcome.result is not None, outcome.report.summary()
    cold_plain, outcome = timed(lambda: build(Project(plain), today=today, jobs=args.jobs,
                                               full=True))
    assert outcome.result is not None, outcome.report.summary()
    os.sync()
    descriptors = sorted(p for p in (root / "inventory").rglob("ag*-dataset-*.yml"))
    with_commit: list[float] = []
    without: list[float] = []
    commit_only: list[float] = []
    for n in range(REPEATS):
        target = descriptors[(2 * n + 1) * len(descriptors) // (2 * REPEATS)]
        rel = target.relative_to(root)
        _edit(target, n)
        _git(root, "commit", "-q", "-a", "-m", f"Revise {rel.name}")
        seconds, outcome = timed(lambda: build(Project(root), today=today, jobs=args.jobs))
        assert (outcome.mode, outcome.analysed) == ("incremental", 1), outcome
        with_commit.append(seconds)
        _edit(plain / rel, n)
        seconds, outcome = timed(lambda: build(Project(plain), today=today, jobs=args.jobs))
        assert (outcome.mode, outcome.analysed) == ("incremental", 1), outcome
        without.append(seconds)
        other = descriptors[(2 * n + 1) * len(descriptors) // (2 * REPEATS) + 1]
        _edit(other, n)
        build(Project(root), today=today, jobs=args.jobs)  # built, not yet committed
        _git(root, "commit", "-q", "-a", "-m", f"Revise {other.name}")
        seconds, outcome = timed(lambda: build(Project(root), today=today, jobs=args.jobs))
        assert (outcome.mode, outcome.analysed) == ("incremental", 0), outcome
        commit_only.append(seconds)
    added = [a - b for a, b in zip(with_commit, without, strict=True)]
    cache = (root / "build" / CACHE).stat().st_size

    def count(db: str, table: str) -> int:
        from catalog.dbapi import sqlite3

        conn = sqlite3.connect(root / "build" / db)
        try:
            return int(conn.execute(f"select count(*) from {table}").fetchone()[0])
        finally:
            conn.close()

    rows = [
        ("repository", f"{repository.commits}", f"commits, {repository.datasets} descriptors, "
         f"{repository.edits} edited, {repository.tags} tags (made in {made:.1f} s)"),
        ("distinct versions", f"{len(blobs)}", "descriptor blobs in the history"),
        ("parse floor (C YAML)", f"{floor:.2f} s", "every version once, one process"),
        ("cold history", f"{cold:.2f} s", f"{cold / floor:.2f} x floor; target < 120 s; "
         f"{len(history.events)} changes, {len(history.points)} scorecard points"),
        ("cold build with history", f"{cold_build:.2f} s",
         f"without git: {cold_plain:.2f} s (+{cold_build - cold_plain:.2f} s)"),
        ("rebuild after a commit", f"{median(with_commit):.2f} s",
         "median of " + ", ".join(f"{s:.2f}" for s in with_commit)),
        ("  same edit, no git", f"{median(without):.2f} s",
         "median of " + ", ".join(f"{s:.2f}" for s in without)),
        ("  added by history", f"{median(added):.2f} s",
         "target < 1 s; median of " + ", ".join(f"{s:.2f}" for s in added)),
        ("commit of built files", f"{median(commit_only):.2f} s",
         "history alone; median of " + ", ".join(f"{s:.2f}" for s in commit_only)),
        ("history cache", f"{cache / 2**20:.1f} MiB", str(CACHE)),
        ("dataset_changes rows", f"{count('inventory.db', 'dataset_changes')}",
         f"public: {count('public.db', 'dataset_changes')}"),
        ("scorecard_history rows", f"{count('inventory.db', 'scorecard_history')}", ""),
    ]
    print_figures(f"{scale.datasets} datasets x {scale.fields} fields, {args.commits} "
                  f"commits, {args.jobs} job(s), {os.cpu_count()} cores", rows)


if __name__ == "__main__":
    main()
