"""Every RDF serialisation of the DCAT-US 3.0 catalog (catalog.interop.rdf) is the graph
rdflib reads from catalog.jsonld: on the sample build, and on a generated inventory whose
text has everything a writer must escape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from catalog.bench.generate import Scale, generate
from catalog.build import build
from catalog.interop import dcat3, rdf
from catalog.interop.source import PublicCatalog, read
from catalog.project import Project

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
REPO = Path(__file__).resolve().parents[1]
AWKWARD = ['a "quoted" title', "two\nlines\r\nand a\ttab", "back\\slash \\n \\u0041",
           "unicode: é ß 中文 🙂 \u2028", "<tag attr='x'>&amp; & </tag>", "x" * 5000 + '"""',
           "ends with a quote\"", "'''single'''"]


def _same(cat: PublicCatalog) -> None:
    expected = Graph().parse(data=dcat3.export(cat), format="json-ld")
    assert len(expected) > 0
    for export, fmt in ((rdf.turtle, "turtle"), (rdf.rdfxml, "xml"), (rdf.ntriples, "nt")):
        parsed = Graph().parse(data=export(cat), format=fmt)
        assert isomorphic(parsed, expected), export.__name__


def test_sample_build(sample_build: Path) -> None:
    _same(read(sample_build / "public.db"))


def test_awkward_text(tmp_path: Path) -> None:
    generate(tmp_path, Scale(agencies=2, datasets=2 * len(AWKWARD), fields=3, agreements=1),
             REPO / "standards")
    outcome = build(Project(tmp_path), tmp_path / "build", allow_warnings=True, full=True)
    assert outcome.result is not None
    cat = read(tmp_path / "build" / "public.db")
    assert len(cat.datasets) >= len(AWKWARD)
    for i, row in enumerate(cat.datasets):
        text = AWKWARD[i % len(AWKWARD)]
        row["title"], row["description"] = text, text + " " + json.dumps(text)
    _same(cat)
