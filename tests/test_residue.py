"""public.db holds no trace of text that is not public now, and reads as if non-public
things never existed, after any sequence of incremental builds (docs/security.md)."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.build import build
from catalog.compile import PUBLIC_FILE
from catalog.compile.rows import DATASET_TABLES, RACE_STANDARDS
from catalog.dbapi import sqlite3
from catalog.project import Project

from .conftest import REPO

TODAY = dt.date(2026, 11, 23)


def _phrase(n: int) -> str:
    # one token that the porter stemmer and unicode61 leave as it is
    return f"zqxresidue{n:04d}"


def public_bytes(root: Path) -> bytes:
    return (root / "build" / PUBLIC_FILE).read_bytes()


def fts_content(db: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Every (term, column, offset, document) of the public full-text indexes, with
    documents named by what they index (rowids differ between builds)."""
    conn = sqlite3.connect(db)
    try:
        out: dict[str, set[tuple[Any, ...]]] = {}
        for name, key in (("datasets", "d.id"), ("fields", "d.dataset_id || '#' || d.name"),
                          ("standards", "d.id")):
            conn.execute(f"CREATE VIRTUAL TABLE temp.v_{name} USING "
                         f"fts5vocab(main, {name}_fts, instance)")
            out[name] = set(conn.execute(
                f"SELECT v.term, v.col, v.offset, {key} FROM temp.v_{name} v "
                f"JOIN main.{name} d ON d.rowid = v.doc"))
            docs = conn.execute(f"SELECT count(*) FROM temp.v_{name} v WHERE v.doc NOT IN "
                                f"(SELECT rowid FROM main.{name})").fetchone()[0]
            assert docs == 0, f"{name}_fts indexes rows that do not exist"
            conn.execute(f"INSERT INTO {name}_fts({name}_fts) VALUES ('integrity-check')")
        return out
    finally:
        conn.close()


def assert_dense(db: Path) -> None:
    """Rowids, field ids, positions and full-text docids count 1, 2, 3… (positions 0…),
    and a dataset's field figures count its public fields only."""
    conn = sqlite3.connect(db)
    try:
        for table in DATASET_TABLES:
            if table == "field_conformance":
                continue
            count, top = conn.execute(
                f"SELECT count(*), coalesce(max(rowid), 0) FROM [{table}]").fetchone()
            assert count == top, f"{table}: {count} rows, rowids up to {top}"
        for fts, table in (("datasets_fts", "datasets"), ("fields_fts", "fields")):
            docids = {r[0] for r in conn.execute(f"SELECT id FROM {fts}_docsize")}
            assert docids == {r[0] for r in conn.execute(f"SELECT rowid FROM {table}")}
        gaps = conn.execute(
            "SELECT dataset_id, count(*), max(position) FROM fields GROUP BY dataset_id "
            "HAVING max(position) != count(*) - 1").fetchall()
        assert not gaps, gaps
        assert conn.execute("SELECT count(*) FROM field_conformance WHERE field_id NOT IN "
                            "(SELECT id FROM fields)").fetchone()[0] == 0
        race = ", ".join(f"'{s}'" for s in sorted(RACE_STANDARDS))
        wrong = conn.execute(f"""
            SELECT d.id FROM datasets d LEFT JOIN (
              SELECT dataset_id, count(*) n, sum(demographic) dem,
                     sum(standard IS NOT NULL) std, sum(conformance = 'conformant') conf,
                     max(standard IN ({race})) race
              FROM fields GROUP BY dataset_id) f ON f.dataset_id = d.id
            WHERE d.visibility = 'public' AND (d.field_count != coalesce(f.n, 0)
              OR d.demographic_field_count != coalesce(f.dem, 0)
              OR d.standard_field_count != coalesce(f.std, 0)
              OR d.conformant_field_count != coalesce(f.conf, 0)
              OR d.has_race_ethnicity != coalesce(f.race, 0))""").fetchall()
        assert not wrong, wrong
    finally:
        conn.close()


class Sweep:
    """A copy of the repo's sample inventory, built incrementally step by step; after
    each step the build is checked against the phrases that left public view."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for part in ("inventory", "standards"):
            shutil.copytree(REPO / part, root / part)
        shutil.copy(REPO / "metadata.yml", root / "metadata.yml")
        self.gone: set[str] = set()
        self.shown: set[str] = set()
        self.n = 0
        self.files = {path.stem: path for path in (root / "inventory").glob("*/*.yml")
                      if not path.name.startswith("_")}

    def load(self, dataset: str) -> dict[str, Any]:
        return yaml.safe_load(self.files[dataset].read_text(encoding="utf-8"))

    def save(self, dataset: str, data: dict[str, Any]) -> None:
        self.files[dataset].write_text(yaml.safe_dump(data, sort_keys=False),
                                       encoding="utf-8")

    def public(self) -> list[str]:
        """Public datasets no agreement or request names (those may be removed)."""
        named = " ".join(p.read_text(encoding="utf-8") for p in
                         (self.root / "inventory").glob("_*/*.yml"))
        out = []
        for name in sorted(self.files):
            if name in named:
                continue
            access = self.load(name)["access"]
            if access.get("visibility", "public" if access["level"] == "public"
                          else "hidden") == "public":
                out.append(name)
        return out

    def phrase(self) -> str:
        self.n += 1
        return _phrase(self.n)

    def plant(self, dataset: str) -> None:
        """Distinctive phrases in the description, a keyword and a field description."""
        data = self.load(dataset)
        words = [self.phrase() for _ in range(3)]
        data["description"] = f"{data['description']} {words[0]}"
        data["keywords"] = [*data.get("keywords", []), words[1]]
        fields = (data.get("schema") or {}).get("fields") or []
        if fields:
            fields[0]["description"] = f"{fields[0].get('description') or ''} {words[2]}"
        else:
            words.pop()
        self.save(dataset, data)
        self.shown.update(words)

    def _planted(self, dataset: str) -> set[str]:
        return {w for w in self.shown if w in self.files[dataset].read_text(encoding="utf-8")}

    def edit(self, dataset: str) -> None:
        """The planted words replaced by others."""
        old = self._planted(dataset)
        text = self.files[dataset].read_text(encoding="utf-8")
        for word in old:
            new = self.phrase()
            text = text.replace(word, new)
            self.shown.add(new)
        self.files[dataset].write_text(text, encoding="utf-8")
        self._leave(old)

    def hide(self, dataset: str, visibility: str = "hidden") -> None:
        old = self._planted(dataset)
        data = self.load(dataset)
        data["access"]["visibility"] = visibility
        self.save(dataset, data)
        if visibility == "hidden":
            self._leave(old)
        else:  # listed: the description stays public; keywords stay; fields go
            fields = (data.get("schema") or {}).get("fields") or []
            self._leave({w for w in old if fields and w in str(fields)})

    def internal(self, dataset: str) -> None:
        """Its first field marked internal (the planted field description goes)."""
        data = self.load(dataset)
        fields = (data.get("schema") or {}).get("fields") or []
        if not fields:
            return
        fields[0]["internal"] = True
        self.save(dataset, data)
        self._leave({w for w in self.shown if w in str(fields[0])})

    def remove(self, dataset: str) -> None:
        old = self._planted(dataset)
        self.files.pop(dataset).unlink()
        self._leave(old)

    def _leave(self, words: set[str]) -> None:
        self.shown -= words
        self.gone |= words

    def build(self, *modes: str) -> None:
        outcome = build(Project(self.root), today=TODAY, jobs=1, allow_warnings=True)
        assert outcome.mode in (modes or ("incremental",)), [
            p.as_line() for p in outcome.report.errors]
        self.check()

    def check(self) -> None:
        data = public_bytes(self.root)
        leaked = sorted(w for w in self.gone if w.encode() in data)
        assert not leaked, f"public.db still holds {leaked}"
        missing = sorted(w for w in self.shown if w.encode() not in data)
        assert not missing, f"public words lost: {missing}"
        public_db = self.root / "build" / PUBLIC_FILE
        assert_dense(public_db)
        fresh = self.root.parent / f"{self.root.name}-fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        outcome = build(Project(self.root), fresh, today=TODAY, jobs=1, full=True,
                        allow_warnings=True)
        assert outcome.mode == "full"
        assert fts_content(public_db) == fts_content(fresh / PUBLIC_FILE)
        assert_dense(fresh / PUBLIC_FILE)


@pytest.fixture
def sweep(tmp_path: Path) -> Sweep:
    return Sweep(tmp_path / "project")


def test_text_that_left_public_view_leaves_no_bytes(sweep: Sweep) -> None:
    names = sweep.public()[:6]
    for name in names:
        sweep.plant(name)
    sweep.build("full")
    a, b, c, d, e, f = names
    sweep.edit(a)
    sweep.build()
    sweep.hide(b)
    sweep.build()
    sweep.internal(c)
    sweep.build()
    sweep.remove(d)
    sweep.build()
    sweep.hide(e, "listed")
    sweep.edit(f)
    sweep.build()
    sweep.edit(a)  # a second edit of the same descriptor
    sweep.build()


def test_an_agreement_made_private_leaves_no_bytes(sweep: Sweep) -> None:
    path = sweep.root / "inventory" / "_agreements" / "dot-deep-flood-vulnerability-roads.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    word = sweep.phrase()
    data["purpose"] = f"{data['purpose']} {word}"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    sweep.shown.add(word)
    sweep.build("full")
    data["public"] = False
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    sweep._leave({word})
    sweep.build()


def test_a_fresh_build_numbers_public_fields_only(sweep: Sweep) -> None:
    """A hidden dataset's fields, or an internal field, leave no gap in public ids."""
    sweep.build("full")
    conn = sqlite3.connect(sweep.root / "build" / "inventory.db")
    hidden = conn.execute("SELECT count(*) FROM fields f JOIN datasets d ON d.id = "
                          "f.dataset_id WHERE d.visibility != 'public' OR f.internal"
                          ).fetchone()[0]
    conn.close()
    assert hidden > 0  # the sample has non-public fields to hide


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequences_of_incremental_builds(sweep: Sweep, seed: int) -> None:
    rng = random.Random(seed)
    for name in sweep.public():
        sweep.plant(name)
    sweep.build("full")
    for _ in range(8):
        public = sweep.public()
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(public)
            step = rng.choice(["edit", "hide", "listed", "internal", "remove", "plant"])
            if step == "listed":
                sweep.hide(name, "listed")
            else:
                getattr(sweep, step)(name)
            if step != "edit":
                public = sweep.public()
        sweep.build("incremental", "unchanged")  # a step may have changed nothing


def test_a_listed_dataset_never_shows_its_steward_as_contact(sweep: Sweep) -> None:
    name = sweep.public()[0]
    data = sweep.load(name)
    data.pop("contact", None)
    data["access"]["visibility"] = "listed"
    sweep.save(name, data)
    sweep.build("full")
    conn = sqlite3.connect(sweep.root / "build" / PUBLIC_FILE)
    row = conn.execute("SELECT contact_name, contact_email, steward_email FROM datasets "
                       "WHERE id = ?", (data["id"],)).fetchone()
    conn.close()
    assert row == (None, None, None)


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_a_rebuild_patches_the_spare_in_place_and_leaves_no_journal(sweep: Sweep) -> None:
    """The second incremental build on writes the file the build before the last one
    left, in place (no copy of the catalog), with no WAL, journal or temporary file left
    anywhere under build/; a file a server reads (a second hard link) is never written."""
    from .test_robustness import leftovers

    names = sweep.public()[:4]
    for name in names:
        sweep.plant(name)
    sweep.build("full")
    out = sweep.root / "build"
    spare = out / ".cache" / "spare" / PUBLIC_FILE
    assert not spare.exists()  # a full build keeps none: nothing describes it
    first = _inode(out / PUBLIC_FILE)
    sweep.edit(names[0])
    sweep.build()  # no spare yet: a copy of the last build is patched
    assert _inode(spare) == first and _inode(out / PUBLIC_FILE) != first
    for name in names[1:3]:
        kept = _inode(spare)
        sweep.edit(name)
        sweep.build()
        assert _inode(out / PUBLIC_FILE) == kept, "the spare was not patched in place"
        assert leftovers(out) == []
    served = out.parent / "served.db"
    os.link(spare, served)  # as a server's snapshot would
    before = served.read_bytes()
    sweep.edit(names[3])
    sweep.build()
    assert served.read_bytes() == before and _inode(out / PUBLIC_FILE) != _inode(served)
    assert leftovers(out) == []


@pytest.mark.fault
def test_kill_9_during_incremental_builds_leaves_no_residue(sweep: Sweep) -> None:
    """``catalog build`` killed at random moments of incremental builds that remove
    public text: public.db is the previous build or the new one, whole; the next build
    leaves no temporary file, WAL or journal, and no trace of the removed text."""
    from .test_robustness import Catalog, integrity, leftovers

    rng = random.Random(os.environ.get("CATALOG_FAULT_SEED", "residue"))
    names = sweep.public()[:6]
    for name in names:
        sweep.plant(name)
    sweep.build("full")
    sweep.edit(names[0])
    sweep.build()  # a spare exists from here on
    out = sweep.root / "build"
    landed = 0
    for n in range(12):
        sweep.edit(names[n % len(names)])
        child = Catalog("build", "--root", str(sweep.root), "-q", "--jobs", "1")
        time.sleep(rng.uniform(0.3, 2.5))
        if child.running():
            child.kill()
            landed += 1
        else:
            child.wait()
        assert integrity(out / PUBLIC_FILE) == "ok"
        sweep.build("incremental", "unchanged")
        assert leftovers(out) == []
    print("kills that landed on a running build:", landed)
    assert landed >= 3
