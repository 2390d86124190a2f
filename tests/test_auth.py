"""Local sign-in configuration: catalog-auth.yml and the environment."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner
from datasette_auth_passwords.utils import verify_password

from catalog.auth import AUTH_FILE, environment
from catalog.cli import main

from .conftest import MakeProject


def test_first_start_generates_an_admin_password_once(tmp_path: Path) -> None:
    env, notice = environment(tmp_path, environ={}, signin_url="http://127.0.0.1:8001/-/login")
    lines = notice.splitlines()
    assert "      http://127.0.0.1:8001/-/login" in lines and "  User name:  admin" in lines
    assert lines[1] == lines[-1] == "=" * 72  # set apart from the log around it
    password = next(x for x in lines if x.startswith("  Password:")).split()[-1]
    assert verify_password(password, env["CATALOG_ADMIN_PASSWORD_HASH"])
    assert len(env["DATASETTE_SECRET"]) == 64
    mode = stat.S_IMODE((tmp_path / AUTH_FILE).stat().st_mode)
    assert mode == 0o600
    again, notice2 = environment(tmp_path, environ={})
    assert notice2 == "" and again == env  # same hash and secret: sessions survive restarts


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    environment(tmp_path, environ={})
    env, _ = environment(tmp_path, environ={"CATALOG_ADMIN_PASSWORD_HASH": "x",
                                            "DATASETTE_SECRET": "y"})
    assert env["CATALOG_ADMIN_PASSWORD_HASH"] == "x" and env["DATASETTE_SECRET"] == "y"


def test_passwd_command(make_project: MakeProject) -> None:
    root = make_project()
    result = CliRunner().invoke(main, ["passwd", "staff", "--root", str(root)],
                                input="hunter2hunter2\nhunter2hunter2\n")
    assert result.exit_code == 0, result.output
    env, notice = environment(root, environ={})
    assert notice == ""
    assert verify_password("hunter2hunter2", env["CATALOG_STAFF_PASSWORD_HASH"])


def test_an_auth_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    import os

    import pytest

    from catalog.problems import CatalogError

    environment(tmp_path, environ={})
    os.chmod(tmp_path / AUTH_FILE, 0o644)
    with pytest.raises(CatalogError, match="readable by others") as refused:
        environment(tmp_path, environ={})
    assert "chmod 600" in refused.value.hint


def test_passwd_refuses_weak_passwords(make_project: MakeProject) -> None:
    root = make_project()
    for weak in ("short", "aaaaaaaaaaaaaaaa", "staff-staff-2026", "mypassword2026!"):
        result = CliRunner().invoke(main, ["passwd", "staff", "--root", str(root)],
                                    input=f"{weak}\n{weak}\n")
        assert result.exit_code != 0, weak
        assert "password not changed" in result.output, result.output
    assert not (root / AUTH_FILE).exists()


def test_a_new_password_rotates_the_secret_and_ends_every_session(
        make_project: MakeProject) -> None:
    from catalog.auth import set_password

    root = make_project()
    before, _ = environment(root, environ={})
    set_password(root, "staff", "a long enough passphrase")
    after, _ = environment(root, environ={})
    assert after["DATASETTE_SECRET"] != before["DATASETTE_SECRET"]


def test_build_outputs_are_owner_only(make_project: MakeProject) -> None:
    from catalog.build import build
    from catalog.project import Project

    root = make_project()
    outcome = build(Project(root), jobs=1)
    assert outcome.mode == "full"
    folder = root / "build"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in [folder / "inventory.db", folder / "public.db", *folder.glob(".cache/*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    (root / "inventory/tst/tst-town-counts.yml").write_text(
        (root / "inventory/tst/tst-town-counts.yml").read_text().replace(
            "Town counts", "Town tallies"))
    assert build(Project(root), jobs=1).mode == "incremental"
    for path in (folder / "inventory.db", folder / "public.db"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    from catalog.usage.store import Store

    store = Store(f"sqlite:///{folder / 'usage.db'}")  # submitters' e-mail addresses
    store.migrate()  # the store connects (and creates its file) when first used
    store.close()
    assert stat.S_IMODE((folder / "usage.db").stat().st_mode) == 0o600
