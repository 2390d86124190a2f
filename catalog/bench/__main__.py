"""Build benchmark: ``python -m catalog.bench --datasets 10000 --fields 40``.

Generates a synthetic inventory (catalog.bench.generate), then measures in one run:
the parse floor (PyYAML's C loader on the same files), validation, compilation, their
ratio to the floor, a rebuild after touching one file, peak memory and database sizes.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import yaml

from .generate import Scale, generate


def _seconds(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--fields", type=int, default=40)
    parser.add_argument("--agencies", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/catalog-bench"))
    args = parser.parse_args()

    from ..compile import compile_inventory
    from ..project import Project
    from ..validate import validate_project

    repo = Path(__file__).resolve().parents[2]
    scale = Scale(agencies=args.agencies, datasets=args.datasets, fields=args.fields,
                  agreements=max(5, args.datasets // 200))
    print(f"generating {scale.datasets} datasets x {scale.fields} fields "
          f"({scale.agencies} agencies) in {args.out}")
    generate(args.out, scale, repo / "standards")
    files = sorted((args.out / "inventory").rglob("*.yml"))
    floor = _seconds(lambda: [yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)
                              for p in files])
    project = Project(args.out)
    holder: dict[str, object] = {}
    validate = _seconds(lambda: holder.update(inv=validate_project(project)))
    inv = holder["inv"]
    build_dir = args.out / "build"
    compile_ = _seconds(lambda: compile_inventory(inv, build_dir))  # type: ignore[arg-type]
    touched = files[len(files) // 2]
    touched.write_text(touched.read_text() + "\n")
    rebuild = _seconds(lambda: compile_inventory(validate_project(project), build_dir))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cold = validate + compile_
    print(f"files                 {len(files)}")
    print(f"parse floor (C YAML)  {floor:8.2f} s")
    print(f"validate              {validate:8.2f} s   {validate / floor:5.2f} x floor")
    print(f"compile               {compile_:8.2f} s")
    print(f"cold build            {cold:8.2f} s   {cold / floor:5.2f} x floor")
    print(f"rebuild, 1 touched    {rebuild:8.2f} s")
    print(f"peak memory           {peak:8.0f} MiB")
    for db in ("inventory.db", "public.db"):
        print(f"{db:<21} {(build_dir / db).stat().st_size / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main()
