"""Real git repositories for the history tests: a project written into ``tmp_path`` and
committed step by step, with the dates each commit should carry."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {"GIT_AUTHOR_NAME": "Gita Author", "GIT_AUTHOR_EMAIL": "gita.author@example.org",
            "GIT_COMMITTER_NAME": "Gita Author", "GIT_COMMITTER_EMAIL": "gita.author@example.org"}


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent)}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+00:00"
    out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env,
                         check=False)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout.strip()


def init(root: Path, branch: str = "main") -> None:
    """A repository at ``root`` that ignores builds, as a real inventory's does."""
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", branch)
    git(root, "config", "commit.gpgsign", "false")


def write(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(root: Path, message: str, files: dict[str, str | None] | None = None, *,
           date: str = "2025-01-15") -> str:
    """Write ``files`` (None deletes), commit everything, return the commit id."""
    write(root, files or {})
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message, date=date)
    return git(root, "rev-parse", "HEAD")
