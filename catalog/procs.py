"""Process helpers shared by builds and the server: children that die with their parent,
and liveness checks that do not mistake a zombie for a running process."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent ends (Linux), then
    make sure the parent (``parent``, its pid before the fork) has not ended already: in
    that case the request came too late and this process exits at once."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's checks have to do
        pass
    if os.getppid() != parent:
        os._exit(1)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie that nobody reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def process_table() -> list[tuple[int, int, int]]:
    """(pid, parent pid, session id) of every live process (Linux ``/proc``)."""
    table = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                table.append((int(entry), int(fields[1]), int(fields[3])))
    return table
