"""Step processes die with their run worker.

The run worker starts a fork server (defs/executor.py) and every step process is forked from it.
When the run worker dies (SIGKILL, the out-of-memory killer), nothing tells them: each step holds
a copy of the write end of the server's "worker alive" pipe, so the server waits for the steps,
and the steps go on reading and writing until the queue to their dead worker fills, then hang,
keeping their pool slots' work in flight beside the re-run.

On Linux this module, preloaded by the fork server, asks the kernel to SIGKILL the fork server
when the run worker dies, and each step process when the fork server dies (PR_SET_PDEATHSIG): the
whole tree goes within moments of the worker. A step killed inside a write loses its open
transaction, which the warehouse rolls back (one transaction per window), so no partial slice is
left. Imported anywhere else (the webserver, the daemon, the run worker itself), or on another
system, it does nothing.
"""

from __future__ import annotations

import ctypes
import multiprocessing.forkserver
import os
import signal
import sys

# <linux/prctl.h>: deliver a signal to this process when its parent (thread) exits.
PR_SET_PDEATHSIG = 1
# SIGKILL, not SIGTERM: nothing in a step may delay or catch it, and there is nothing to clean up
# that the warehouse's rollback does not already undo.
DEATH_SIGNAL = signal.SIGKILL

# In the fork server: its pid, read by the fork hook in each child (None everywhere else, and in
# the children themselves, so their own forks are left alone).
_server_pid: int | None = None


def die_with_parent(parent: int) -> bool:
    """Have the kernel kill this process when `parent` exits; kill it now if it already has.
    False where the call is not available (not Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # The parent may have died before the request took effect: then no signal would ever come.
    if os.getppid() != parent:
        os.kill(os.getpid(), DEATH_SIGNAL)
    return True


def _in_fork_server_preload() -> bool:
    """Whether this import runs inside the fork server's preloading (`forkserver.main`)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is multiprocessing.forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


def _after_fork_in_child() -> None:
    global _server_pid
    server, _server_pid = _server_pid, None
    if server is not None:
        die_with_parent(server)


def install() -> bool:
    """In the fork server on Linux: tie the server to the run worker that started it (Dagster
    starts it from the worker's main thread, which lives as long as the run), and every process
    it forks to the server. Returns whether it did."""
    global _server_pid
    if not sys.platform.startswith("linux") or not _in_fork_server_preload():
        return False
    if _server_pid is None:
        if not die_with_parent(os.getppid()):
            return False
        _server_pid = os.getpid()
        os.register_at_fork(after_in_child=_after_fork_in_child)
    return True


install()
