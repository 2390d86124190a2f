"""Every code of the import stage is reported by some import, with its registered
severity, a message and the source it is about (the import half of test_corpus)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from catalog.interop import plan as imp
from catalog.interop import sync
from catalog.problems import CODES, Problem
from catalog.project import Project

from .conftest import MakeProject
from .test_import_datajson import MESSY, _entry

IMPORT_CODES = {n for n, c in CODES.items() if c.stage == "import"}


def _run(root: Path, name: str, data: Any, encoding: str = "utf-8", **kw: Any
         ) -> list[Problem]:
    path = root / name
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode(encoding))
    return sync.import_catalog("datajson", path, Project(root), **kw).problems


def test_every_import_code_has_a_case(make_project: MakeProject) -> None:
    root = make_project()  # has agency tst, "Department of Testing"
    found: list[Problem] = []
    messy = {"dataset": copy.deepcopy(MESSY), "extra": 1}
    found += _run(root, "messy.json", messy)
    deep: Any = "x"
    for _ in range(60):
        deep = [deep]
    base = [_entry(20, title="Café\x07", license="http://www.usa.gov/publicdomain/label/1.0/"),
            _entry(21, publisher={"name": "Testing Office"}), _entry(22), _entry(23),
            _entry(24, references=deep)]
    found += _run(root, "sync.json", {"dataset": base}, encoding="cp1252",
                  agency_map={"Department of Testing": "tst", "Testing Office": "tst",
                              "Nobody": "nobody"})
    changed = copy.deepcopy(base)
    changed[0]["title"] = "Café renamed"
    changed[1]["description"] = "New at the source"
    changed[2]["title"] = "Source title"
    del changed[3]
    rel = {}
    for path in (root / "inventory" / "tst").glob("tst-dataset-2*.yml"):
        rel[path.name] = path
    steward = next(p for name, p in rel.items() if name.startswith("tst-dataset-22"))
    steward.write_text(steward.read_text(encoding="utf-8").replace(
        "title: Dataset 22", "title: Steward title"), encoding="utf-8")
    next(p for name, p in rel.items() if name.startswith("tst-dataset-24")).unlink()
    found += _run(root, "sync.json", {"dataset": changed},
                  agency_map={"Department of Testing": "tst", "Testing Office": "tst"})
    found += _run(root, "other.json", {"dataset": [_entry(21, publisher={"name": "Elsewhere"})]})
    socrata = root / "assets.csv"
    socrata.write_text("U ID,Name,Type,Derived View,Parent UID,Domain,Public\n"
                       "abcd-1234,A chart,chart,true,wxyz-0000,data.ct.gov,true\n",
                       encoding="utf-8")
    found += sync.import_catalog("socrata", socrata, Project(root)).problems
    codes = {p.code for p in found}
    assert IMPORT_CODES - codes == set()
    for p in found:
        assert p.code in IMPORT_CODES and p.message.strip() and p.file
        assert p.severity == CODES[p.code].severity or p.code in (
            imp.SOURCE_FORMAT, imp.PUBLISHER_UNMAPPED, imp.VALUE_KEPT), p.as_line()
