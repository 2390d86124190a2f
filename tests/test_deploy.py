"""docs/deploy.md and docs/deploy/: the files a deployment copies are valid and call the
catalog as it is (systemd units, the Containerfile, the environment file, HAProxy's
health checks), and the documented backups of the usage store restore for real."""

from __future__ import annotations

import configparser
import datetime as dt
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.dbapi import sqlite3
from catalog.usage.store import Key, Store, Tally

from .conftest import REPO
from .services import pg_bin

DEPLOY = REPO / "docs" / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
VENV_CATALOG = "/srv/catalog/venv/bin/catalog"
DAY = dt.date(2026, 12, 1)


def _exec_lines(unit: Path) -> list[list[str]]:
    text = unit.read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line.split("=", 1)[1]) for line in text.splitlines()
            if line.startswith("ExecStart=")]


def _options(command: str) -> set[str]:
    """The options ``catalog COMMAND --help`` lists."""
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    return set(re.findall(r"(--[a-z][a-z-]*)", result.output))


def _check_catalog_call(argv: list[str]) -> None:
    command = argv[1]
    known = _options(command)
    used = {a.split("=")[0] for a in argv[2:] if a.startswith("--")}
    assert used <= known, f"catalog {command}: {sorted(used - known)} do not exist"


def test_systemd_units_are_valid(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install -y systemd "
                    "(.ci/run installs it)")
    catalog = Path(sys.executable).with_name("catalog")
    for unit in UNITS:  # the same units, with this machine's path to the catalog
        text = unit.read_text(encoding="utf-8").replace(VENV_CATALOG, str(catalog))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr


def test_units_call_the_catalog_as_it_is() -> None:
    calls = 0
    for unit in UNITS:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read_string(unit.read_text(encoding="utf-8").replace("\\\n", " "))
        for argv in _exec_lines(unit):
            if argv[0] == VENV_CATALOG:
                _check_catalog_call(argv)
                calls += 1
    assert calls == 3  # serve (replica), build and publish (catalog-publish)
    replica = (DEPLOY / "catalog-replica@.service").read_text(encoding="utf-8")
    assert "KillMode=mixed" in replica and "--no-build" in replica


def test_containerfile_copies_what_exists_and_runs_a_replica() -> None:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
    cmd = re.search(r"^CMD (\[.*\])", text, re.M)
    assert cmd is not None
    import json

    argv = json.loads(cmd[1])
    assert argv[:2] == ["catalog", "serve"]
    _check_catalog_call(argv)
    assert "/-/health" in text and "'.[postgresql]'" in text
    assert "postgresql" in (REPO / "pyproject.toml").read_text()


def test_environment_file_names_real_settings() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "catalog").rglob("*.py"))
    names = re.findall(r"(?m)^([A-Z_]+)=", (DEPLOY / "catalog.env.example").read_text())
    assert "DATASETTE_SECRET" in names and "CATALOG_USAGE_URL" in names
    for name in names:
        if name.startswith("CATALOG_"):
            assert f'"{name}"' in source, f"{name} is not read by the catalog"


def test_haproxy_health_checks_are_as_documented() -> None:
    cfg = (DEPLOY / "haproxy.cfg").read_text(encoding="utf-8")
    doc = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "option httpchk GET /-/health" in cfg and "check inter 1s fall 2" in cfg
    assert "every second and takes a replica out after two failures" in doc
    assert "disable-l7-retry unless METH_GET || METH_HEAD" in cfg


# -- backups of the usage store ----------------------------------------------------------------


def _fill(store: Store) -> None:
    store.add_counts({Key(DAY, "dcf-a", "page", "human"): Tally(7, 3),
                      Key(DAY, "*", "search", "human"): Tally(2)})
    store.add_use_case("dcf-a", {"title": "A map", "description": "We mapped things.",
                                 "email": "a@example.org"})


def _snapshot(store: Store) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return store.daily(audiences=("human", "bot")), store.use_cases()


def test_pg_dump_of_the_usage_store_restores(pg_url: str, pg_cluster: object) -> None:
    """The commands of catalog-usage-backup.service and docs/deploy.md, for real."""
    store = Store(pg_url)
    _fill(store)
    before = _snapshot(store)
    store.close()
    dump = Path(tempfile.gettempdir()) / f"usage-{time.time_ns()}.dump"
    libpq_url = pg_url  # pg_dump takes the same postgresql:// URL
    try:
        subprocess.run([str(pg_bin() / "pg_dump"), "--format=custom", f"--file={dump}",
                        libpq_url], check=True, capture_output=True)
        target = pg_cluster.create_database(f"restored_{time.time_ns()}")  # type: ignore
        subprocess.run([str(pg_bin() / "pg_restore"), "--clean", "--if-exists",
                        "--no-owner", f"--dbname={target}", str(dump)], check=True,
                       capture_output=True)
    finally:
        dump.unlink(missing_ok=True)
    restored = Store(target)
    assert _snapshot(restored) == before
    assert restored.schema_version() >= 1
    restored.close()


WRITER = textwrap.dedent("""
    import sys, time, datetime as dt
    from catalog.usage.store import Key, Store, Tally
    store = Store(sys.argv[1])
    n = 0
    while True:
        store.add_counts({Key(dt.date(2026, 12, 1), "dcf-a", "json", "human"): Tally(1)})
        n += 1
        if n == 20:
            print("writing", flush=True)
""")


def test_sqlite_backup_while_a_server_writes(tmp_path: Path) -> None:
    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:
        pytest.fail("the sqlite3 command is missing: apt-get install -y sqlite3 "
                    "(.ci/run installs it)")
    path = tmp_path / "usage.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, f"sqlite:///{path}"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        backup = tmp_path / "usage-backup.db"
        subprocess.run([sqlite3_cli, str(path), f".backup '{backup}'"], check=True,
                       capture_output=True, timeout=60)
    finally:
        writer.kill()
        writer.wait()
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        hits = conn.execute("select sum(hits) from usage_daily").fetchone()[0]
    finally:
        conn.close()
    assert hits >= 20
