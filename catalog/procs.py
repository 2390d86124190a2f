"""Process helpers shared by builds and the server: children that die with their parent,
liveness checks that do not mistake a zombie for a running process, and a serving
process's allocator kept from mapping each large buffer afresh."""

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


# glibc's mallopt(3) parameters, and the values set for a serving process
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts on 64-bit
TRIM_THRESHOLD = 128 << 20


def keep_large_buffers() -> bool:
    """Let the C allocator reuse large buffers instead of mapping and unmapping them.

    Each response of a precomputed export passes through buffers of about a slice
    (``catalog.site.files.Bytes.SLICE``): h11 joins the body it frames, the transport joins head and
    body. glibc serves allocations over 128 kB with a fresh ``mmap`` and returns them
    with ``munmap``, so every such buffer costs 256 page faults per MB: profiled, half of
    a gzipped /data.json response's time, and the reason it ran at 0.5 x nginx.
    Above these thresholds the freed memory stays in the heap for the next response
    (at most ``TRIM_THRESHOLD`` of it kept unused). Returns whether it applied (False
    where the C library is not glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
