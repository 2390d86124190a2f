"""Suppression-audit benchmark: ``python -m catalog.bench.suppression --mb 10``.

Generates a valid aggregate sample of about ``--mb`` MiB (counts by town, month and
race/ethnicity with a total column and a total row per town and month; suppressed cells
in safe rectangles, so nothing is recoverable), then measures, each in a fresh process:

* Frictionless alone: ``Resource.validate()`` of the file against its Table Schema (what
  ``catalog validate`` does for ``sample-invalid``);
* the suppression audit (``catalog.governance.suppression.audit_file``) against the
  statewide policy, with the descriptor's count and label columns;

and prints seconds and peak memory (resident set size) of each, and their ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

RACES = ("american-indian-alaska-native", "asian", "black-african-american", "hispanic-latino",
         "native-hawaiian-pacific-islander", "white", "multiracial")
COUNTS = ("entries", "reentries")
HEADER = ("town", "month", "race_ethnicity", *COUNTS, "total")
SCHEMA = {"missingValues": ["", "*"], "fields": [
    {"name": "town", "type": "string"}, {"name": "month", "type": "string"},
    {"name": "race_ethnicity", "type": "string"},
    *({"name": c, "type": "integer"} for c in (*COUNTS, "total"))]}


def _towns(repo: Path) -> list[str]:
    text = (repo / "standards" / "data" / "ct-town-to-planning-region.csv").read_text("utf-8")
    return [line.split(",")[0] for line in text.splitlines()[1:] if line]


def generate(path: Path, mib: float, seed: int = 7, total_rows: bool = True) -> int:
    """Write the sample (with a total row per town and month unless ``total_rows`` is
    false); returns its number of data rows."""
    rng = random.Random(seed)
    towns = _towns(Path(__file__).resolve().parents[2])
    target = int(mib * 2**20)
    written, rows = 0, 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        year = 1990
        while written < target:
            for month in range(1, 13):
                period = f"{year}-{month:02d}"
                for town in towns:
                    values = [[rng.randint(5, 400) for _ in COUNTS] for _ in RACES]
                    hidden: set[int] = set()
                    if rng.random() < 0.2:  # a safe rectangle: two rows, both parts
                        hidden = set(rng.sample(range(len(RACES)), 2))
                    lines = []
                    for i, race in enumerate(RACES):
                        cells = ["*" if i in hidden else str(v) for v in values[i]]
                        lines.append(f"{town},{period},{race},{','.join(cells)},"
                                     f"{sum(values[i])}\n")
                    sums = [sum(v[c] for v in values) for c in range(len(COUNTS))]
                    if total_rows:
                        lines.append(f"{town},{period},Total,{','.join(map(str, sums))},"
                                     f"{sum(sums)}\n")
                    chunk = "".join(lines)
                    fh.write(chunk)
                    written += len(chunk)
                    rows += len(lines)
                    if written >= target:
                        return rows
            year += 1
    return rows


_FRICTIONLESS = """
import json, resource, sys, time
from pathlib import Path
from frictionless import Resource, Schema
path, schema = Path(sys.argv[1]), json.loads(sys.argv[2])
start = time.perf_counter()
report = Resource(path=path.name, basepath=str(path.parent),
                  schema=Schema.from_descriptor(schema)).validate()
seconds = time.perf_counter() - start
assert report.valid, report.flatten(["rowNumber", "fieldNumber", "type"])[:5]
print(json.dumps({"seconds": seconds,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_AUDIT = """
import json, resource, sys, time
from pathlib import Path
from catalog.governance.suppression import audit_file
from catalog.model.standards import SuppressionPolicy
policy = SuppressionPolicy(id="ct-small-n-5", title="t", description="d", min_count=5)
start = time.perf_counter()
audit = audit_file(Path(sys.argv[1]), policy, count_columns=["entries", "reentries", "total"],
                   key_columns=["town", "month", "race_ethnicity"])
seconds = time.perf_counter() - start
assert audit.ok, audit.to_dict()["notes"]
print(json.dumps({"seconds": seconds, "total_rows": len(audit.total_rows),
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(script: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2])
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="size of the sample (MiB)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/catalog-bench-suppression.csv"))
    parser.add_argument("--no-total-rows", action="store_true",
                        help="no total rows: only the total column gives equations")
    args = parser.parse_args()
    rows = generate(args.out, args.mb, total_rows=not args.no_total_rows)
    size = args.out.stat().st_size / 2**20
    print(f"sample: {args.out} ({size:.1f} MiB, {rows:,} rows)", flush=True)
    fl = _run(_FRICTIONLESS, str(args.out), json.dumps(SCHEMA))
    au = _run(_AUDIT, str(args.out))
    print(f"{'':<22} {'seconds':>8} {'peak MiB':>9}")
    print(f"{'Frictionless alone':<22} {fl['seconds']:>8.2f} {fl['peak']:>9.0f}")
    print(f"{'suppression audit':<22} {au['seconds']:>8.2f} {au['peak']:>9.0f}   "
          f"({au['seconds'] / fl['seconds']:.2f} x time, {au['peak'] / fl['peak']:.2f} x memory"
          f" of Frictionless; {int(au['total_rows']):,} total rows used)")


if __name__ == "__main__":
    main()
