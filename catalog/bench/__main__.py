"""Build benchmark: ``python -m catalog.bench --datasets 10000 --fields 40``.

Generates a synthetic inventory (catalog.bench.generate), then measures in one run:

* the parse floor: PyYAML's C loader reading every YAML file, in one process;
* validate only (``catalog validate``'s work, no cache) and a cold build (no cache, no
  previous databases), both on every core; their ratio to the floor;
* rebuilds: with nothing changed, after one descriptor's content changed (in this
  process, and as a ``catalog build`` command including interpreter start-up; the
  median of three, each after a different descriptor changed);
* peak memory of this process and of the largest worker; database sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from statistics import median

import yaml

from . import print_figures, timed
from .generate import Scale, generate

REPEATS = 3  # one-change rebuilds measured (the median is reported)



def _change(path: Path, n: int) -> None:
    text = path.read_text()
    path.write_text(text.replace("title: ", f"title: Revised {n} ", 1))


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--fields", type=int, default=40)
    parser.add_argument("--agencies", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/catalog-bench"))
    parser.add_argument("--reuse", action="store_true",
                        help="keep the inventory already generated in --out")
    args = parser.parse_args()

    from ..build import build, check_project
    from ..project import Project

    repo = Path(__file__).resolve().parents[2]
    scale = Scale(agencies=args.agencies, datasets=args.datasets, fields=args.fields,
                  agreements=max(5, args.datasets // 200))
    if not (args.reuse and (args.out / "inventory").is_dir()):
        print(f"generating {scale.datasets} datasets x {scale.fields} fields "
              f"({scale.agencies} agencies) in {args.out}", flush=True)
        generate(args.out, scale, repo / "standards")
    project = Project(args.out)
    build_dir = project.build_dir
    today = dt.date.today()
    files = sorted((args.out / "inventory").rglob("*.yml"))
    size = sum(p.stat().st_size for p in files)

    def parse_all() -> None:  # each document dropped at once, as a build drops them
        for path in files:
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

    floor, _ = timed(parse_all)
    shutil.rmtree(build_dir, ignore_errors=True)
    validate, checked = timed(lambda: check_project(project, today=today, jobs=args.jobs))
    assert not checked.report.errors, checked.report.summary()
    cold, outcome = timed(lambda: build(project, today=today, jobs=args.jobs, full=True))
    assert outcome.result is not None, outcome.report.summary()
    os.sync()  # the cold build's 440 MiB settle on disk, as long before a steward's edit
    noop, outcome = timed(lambda: build(project, today=today, jobs=args.jobs))
    datasets = [p for p in files if not p.name.startswith("_") and "_agreements" not in str(p)]
    warm: list[float] = []
    command: list[float] = []
    for n in range(REPEATS):  # one different descriptor each time
        _change(datasets[(2 * n + 1) * len(datasets) // (2 * REPEATS)], n)
        seconds, outcome = timed(lambda: build(project, today=today, jobs=args.jobs))
        assert (outcome.mode, outcome.analysed) == ("incremental", 1), outcome
        warm.append(seconds)
        _change(datasets[(2 * n + 1) * len(datasets) // (2 * REPEATS) + 1], n)
        seconds, done = timed(lambda: subprocess.run(
            [sys.executable, "-m", "catalog", "build", "-q", "--root", str(args.out)],
            capture_output=True, text=True))
        assert done.returncode == 0, done.stderr
        command.append(seconds)
    peak, worker = _peak_mib(resource.RUSAGE_SELF), _peak_mib(resource.RUSAGE_CHILDREN)

    rows = [
        ("files", f"{len(files)}", f"{size / 2**20:.1f} MiB of YAML"),
        ("parse floor (C YAML)", f"{floor:.2f} s", "one process"),
        ("validate only", f"{validate:.2f} s", f"{validate / floor:.2f} x floor"),
        ("cold build", f"{cold:.2f} s", f"{cold / floor:.2f} x floor (target <= 1.5)"),
        ("rebuild, nothing changed", f"{noop:.2f} s", ""),
        ("rebuild, 1 changed", f"{median(warm):.2f} s",
         f"target <= 1 s; median of {', '.join(f'{w:.2f}' for w in warm)}"),
        ("  as `catalog build`", f"{median(command):.2f} s",
         f"with interpreter start-up; median of {', '.join(f'{c:.2f}' for c in command)}"),
        ("peak memory", f"{peak:.0f} MiB", f"largest worker or command {worker:.0f} MiB"),
    ]
    for db in ("inventory.db", "public.db"):
        rows.append((db, f"{(build_dir / db).stat().st_size / 2**20:.1f} MiB", ""))
    print_figures(f"{scale.datasets} datasets x {scale.fields} fields, {args.jobs} job(s), "
                  f"{os.cpu_count()} cores", rows)


if __name__ == "__main__":
    main()
