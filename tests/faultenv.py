"""Full disks and read-only folders for real, in a private mount namespace.

``python -m tests.faultenv SCENARIO PROJECT`` is run by the fault tests under ``unshare
--mount --map-root-user``: it mounts a tiny tmpfs over the project's build folder (a
full disk) or binds it read-only, runs the real command line there, and prints what it
saw as JSON on stdout. Everything it mounted disappears with the namespace.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalog.bench.usage import _free_port as free_port

from .test_serve import fetch

DATABASES = ("inventory.db", "public.db")
DS = "inventory/tst/tst-town-counts.yml"
ROW = "/public/datasets/tst-town-counts.json?_shape=objects"


def run(*argv: str, timeout: float = 180) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "catalog", *argv], capture_output=True,
                          text=True, timeout=timeout)
    return {"code": done.returncode, "stdout": done.stdout[-4000:],
            "stderr": done.stderr[-4000:]}


def mount(*argv: str) -> None:
    subprocess.run(["mount", *argv], check=True, capture_output=True)


def tmpfs_over(folder: Path, size_kib: int) -> None:
    """Put ``folder``'s files on a tmpfs of ``size_kib`` (the same files, a small disk)."""
    keep = Path(tempfile.mkdtemp(prefix="faultenv-"))
    shutil.copytree(folder, keep / "copy", symlinks=True)
    mount("-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder))
    for entry in (keep / "copy").iterdir():
        if entry.is_dir():
            shutil.copytree(entry, folder / entry.name)
        else:
            shutil.copy2(entry, folder / entry.name)
    shutil.rmtree(keep)


def used_kib(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) // 1024 + 1


def read_only(folder: Path) -> None:
    mount("--bind", str(folder), str(folder))
    mount("-o", "remount,bind,ro", str(folder))


def digests(folder: Path) -> dict[str, str]:
    return {db: hashlib.sha256((folder / db).read_bytes()).hexdigest() for db in DATABASES
            if (folder / db).exists()}


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and ".serving" not in p.parts)


def retitle(root: Path, title: str) -> None:
    path = root / DS
    path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}",
                           path.read_text(encoding="utf-8"), count=1), encoding="utf-8")


def get(url: str) -> tuple[int, str]:
    """(status, body); status 0 when nothing answered."""
    try:
        return fetch(url)
    except OSError as e:
        return 0, repr(e)


def wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class Server:
    """``catalog serve`` on the project (watching, or ``--no-watch``)."""

    def __init__(self, root: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="faultenv-serve-")[1])
        env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "catalog", "serve", "--root", str(root), "--no-build",
                 "--port", str(self.port), *extra], stdout=out, stderr=subprocess.STDOUT,
                env=env, start_new_session=True)
        self.up = wait(lambda: get(self.base + "/-/actor.json")[0] == 200, 60)

    def title(self) -> str:
        status, body = get(self.base + ROW)
        return str(json.loads(body)["rows"][0]["title"]) if status == 200 else f"<{status}>"

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        text = self.log.read_text(errors="replace")
        self.log.unlink()
        return text


def disk_full(root: Path, full: bool) -> dict[str, Any]:
    """A build (incremental, or ``--full``) on a disk with no room for it, under a
    running server; then the same build once there is room."""
    build_dir = root / "build"
    tmpfs_over(build_dir, used_kib(build_dir) + 160)
    server = Server(root)
    before = digests(build_dir)
    served_before = server.title()
    retitle(root, "Town counts, on a full disk")
    failed = run("build", "--root", str(root), "-q", *(["--full"] if full else []))
    after = {"digests": digests(build_dir), "files": files(build_dir),
             "served": server.title()}
    mount("-o", f"remount,size={used_kib(build_dir) * 4 + 4096}k", str(build_dir))
    again = run("build", "--root", str(root), "-q")
    switched = wait(lambda: server.title() == "Town counts, on a full disk", 30)
    log = server.stop()
    return {"before": before, "served_before": served_before, "failed": failed,
            "after": after, "again": again, "switched": switched,
            "files_at_end": files(build_dir), "server_log": log[-6000:]}


def read_only_build(root: Path) -> dict[str, Any]:
    """A read-only build folder: building there, serving it both ways."""
    build_dir = root / "build"
    read_only(build_dir)
    retitle(root, "Town counts, not built")
    built = run("build", "--root", str(root), "-q")
    no_watch = Server(root, "--no-watch")
    no_watch_page = get(no_watch.base + "/datasets/tst-town-counts")
    no_watch_usage = get(no_watch.base + "/usage")
    no_watch_log = no_watch.stop()
    watching = Server(root)
    page = get(watching.base + "/datasets/tst-town-counts")
    health = get(watching.base + "/-/health")
    watch_log = watching.stop()
    return {"build": built, "no_watch_up": no_watch.up,
            "no_watch_page": [no_watch_page[0], "Town counts" in no_watch_page[1]],
            "no_watch_usage": no_watch_usage[0], "no_watch_log": no_watch_log[-6000:],
            "watch_up": watching.up, "page": [page[0], "Town counts" in page[1]],
            "health": json.loads(health[1]) if health[0] == 200 else health,
            "watch_log": watch_log[-6000:], "files": files(build_dir)}


def publish_full(root: Path) -> dict[str, Any]:
    """Publishing to two replicas, the second on a full disk: neither changes."""
    first, second = root / "replica-1", root / "replica-2"
    seeded = run("publish", "--root", str(root), "--to", str(first), "--to", str(second))
    tmpfs_over(second, used_kib(second) + 160)
    before = {"first": digests(first), "second": digests(second)}
    retitle(root, "Town counts, published nowhere")
    built = run("build", "--root", str(root), "-q")
    failed = run("publish", "--root", str(root), "--to", str(first), "--to", str(second))
    return {"seeded": seeded, "built": built, "failed": failed, "before": before,
            "after": {"first": digests(first), "second": digests(second)},
            "files": {"first": files(first), "second": files(second)}}


SCENARIOS = {"disk-full-build": lambda root: disk_full(root, full=False),
             "disk-full-full-build": lambda root: disk_full(root, full=True),
             "read-only-build": read_only_build, "disk-full-publish": publish_full}


if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](Path(sys.argv[2]))))
