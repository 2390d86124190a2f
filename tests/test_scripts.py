"""The README's test command on a machine that lacks what the browser tests need: it
says exactly what to run before any test starts (scripts/_browser.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .conftest import REPO


def test_test_command_says_what_to_install_when_it_cannot(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "id"  # not root, no sudo, no apt-get, no npm on PATH
    stub.write_text("#!/bin/sh\necho 1000\n")
    stub.chmod(0o755)
    bash = shutil.which("bash")
    assert bash
    result = subprocess.run(
        [bash, "-c", f"ROOT={REPO}; source {REPO / 'scripts' / '_browser.sh'}; echo reached"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, capture_output=True, text=True,
        timeout=30)
    assert result.returncode == 1 and "reached" not in result.stdout
    needed = "npm" if os.path.exists("/usr/bin/chromium") else "chromium fonts-dejavu-core npm"
    assert f"    sudo apt-get update && sudo apt-get install -y {needed}" in result.stderr
