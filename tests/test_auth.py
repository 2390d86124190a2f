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
    env, notice = environment(tmp_path, environ={})
    assert "password '" in notice
    password = notice.split("password '")[1].split("'")[0]
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
