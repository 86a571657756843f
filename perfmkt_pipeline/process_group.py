"""Run a command in a process group of its own until it exits or this process is asked to stop,
then stop the whole group within a bounded time (what `perfmkt ui` does with `dagster dev`).

`dagster dev` starts a webserver, a daemon and code servers; the code servers start run
processes, whose steps are forked from a fork server. None of them leaves the process group that
`start_new_session` gives `dagster dev`, so signalling the group reaches every one of them, also
those whose parent has already exited. Signalling only `dagster dev` is not enough: it stops its
webserver and daemon, but leaves its code servers to notice the missed heartbeat (45 s later)
and runs in progress to go on without it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence

# Ctrl-C, `kill` (SIGTERM) and a closed terminal (SIGHUP) all mean "stop".
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_POLL_SECONDS = 0.1
# How long the group has to vanish after SIGKILL before this gives up waiting for it.
_KILL_WAIT_SECONDS = 1.0


def run_until_stopped(
    command: Sequence[str], env: Mapping[str, str], *, graceful_seconds: float
) -> int:
    """Run `command` until it exits (its exit code) or a stop signal arrives (0 once stopped);
    either way, stop what is left of its process group (see `stop_group`)."""
    stop = threading.Event()
    # The handlers go in before the child starts, and that matters: a signal this process
    # catches is reset to its default in the child, but an ignored one stays ignored. A shell
    # starts background jobs with SIGINT ignored; Python then installs no KeyboardInterrupt
    # handler, and `dagster dev` would ignore SIGINT, and SIGTERM with it (Dagster maps SIGTERM
    # onto SIGINT's handler).
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in STOP_SIGNALS}
    try:
        process = subprocess.Popen(command, env=dict(env), start_new_session=True)
        try:
            while not stop.wait(_POLL_SECONDS) and process.poll() is None:
                pass
        finally:
            stop_group(process, graceful_seconds)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stop.is_set() else process.returncode


def stop_group(process: subprocess.Popen, graceful_seconds: float) -> None:
    """SIGTERM to every process of `process`'s group (Dagster's processes take it as an
    interrupt and shut down); SIGKILL to what is left `graceful_seconds` later."""
    group = process.pid
    for signum, seconds in (
        (signal.SIGTERM, graceful_seconds),
        (signal.SIGKILL, _KILL_WAIT_SECONDS),
    ):
        process.poll()  # reaped, an exited leader no longer counts as a member of the group
        if not group_alive(group):
            break
        os.killpg(group, signum)
        deadline = time.monotonic() + seconds
        while (process.poll() is None or group_alive(group)) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
    process.wait()


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
