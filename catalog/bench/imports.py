"""Import benchmark: ``python -m catalog.bench.imports --datasets 1000``.

A data.json of N datasets is made from the real GSA catalog in tests/fixtures (its
entries repeated with new identifiers and titles, so every descriptor is a new file, with
the real catalog's mix of licences, extension fields, distributions and non-public
entries). It times, in one run: the first import into an empty project (read, repair,
plan, render and check each descriptor, write), a re-import of the unchanged source (the
three-way merge against the snapshot, nothing written), and a re-import after the source
changed a tenth of the entries. Prints one line per step: wall-clock and CPU seconds,
datasets per second.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ..interop.sync import import_catalog
from ..project import Project

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "datajson" / "gsa.json"


def catalog(n: int) -> dict[str, Any]:
    real = json.loads(SAMPLE.read_text(encoding="utf-8"))
    entries = real["dataset"]
    out = []
    for i in range(n):
        entry = copy.deepcopy(entries[i % len(entries)])
        entry["identifier"] = f"{entry['identifier']}-{i}"
        entry["title"] = f"{entry['title']} {i}"
        out.append(entry)
    return {**real, "dataset": out}


def _time(label: str, n: int, fn: Any) -> float:
    """Wall-clock and CPU seconds of one step (the machine is shared: CPU time is what
    the import itself costs; wall time adds the disk and the neighbours)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<30} {seconds:6.2f} s wall {cpu_seconds:6.2f} s CPU "
          f"{n / seconds:6.0f} datasets/s  ({len(result.created)} new, "
          f"{len(result.updated)} updated, {len(result.unchanged)} unchanged)")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    args = parser.parse_args(argv)
    n = args.datasets
    work = Path(tempfile.mkdtemp(prefix="catalog-bench-import-"))
    try:
        (work / "inventory").mkdir()
        shutil.copytree(REPO / "standards", work / "standards")
        data = catalog(n)
        source = work / "data.json"
        source.write_text(json.dumps(data), encoding="utf-8")
        project = Project(work)
        agencies = {"General Services Administration": "gsa"}
        first = _time(f"first import of {n}", n, lambda: import_catalog(
            "datajson", source, project, agency_map=agencies))
        _time("re-import, source unchanged", n, lambda: import_catalog(
            "datajson", source, project, agency_map=agencies))
        for entry in data["dataset"][::10]:
            entry["description"] += " (updated)"
        source.write_text(json.dumps(data), encoding="utf-8")
        _time("re-import, a tenth changed", n, lambda: import_catalog(
            "datajson", source, project, agency_map=agencies))
        print(f"first import: {first:.2f} s wall for {n} datasets (target: 1,000 under 5 s; "
              "on a busy machine compare the CPU seconds)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
