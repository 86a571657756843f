"""Which process runs a run, recorded on the run so that the daemon can tell when it died.

The run worker is the process whose executor orchestrates the run's steps: the process a code
server started for a launched run, or the command itself for `dagster asset materialize` and
`perfmkt demo`. The executor (defs/executor.py) records it in the run's tag `perfmkt/run_worker`
as host, PID namespace, PID and the kernel's start time of that PID (so a PID reused by another
process is not taken for the worker). The run launcher (defs/run_launcher.py) reads it back.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

RUN_WORKER_TAG = "perfmkt/run_worker"
_PROC = Path("/proc")
# /proc/<pid>/stat, after the command name: field 3 is the state, field 22 the start time.
_STATE_FIELD, _START_FIELD = 0, 19
_UNKNOWN = "-"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after its last ')'.
    return text.rsplit(")", 1)[1].split()


def _pid_namespace() -> str:
    try:
        return os.readlink(_PROC / "self" / "ns" / "pid")
    except OSError:
        return _UNKNOWN


@dataclass(frozen=True)
class RunWorker:
    host: str
    pid_namespace: str  # e.g. "pid:[4026531836]"; "-" where the system has none
    pid: int
    started: str  # clock ticks after boot at which the process started; "-" where unknown

    @classmethod
    def current(cls) -> RunWorker:
        pid = os.getpid()
        fields = _stat_fields(pid)
        started = fields[_START_FIELD] if fields else _UNKNOWN
        return cls(socket.gethostname(), _pid_namespace(), pid, started)

    def tag_value(self) -> str:
        return f"{self.host} {self.pid_namespace} {self.pid} {self.started}"

    @classmethod
    def from_tag(cls, value: str | None) -> RunWorker | None:
        parts = (value or "").split()
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        host, namespace, pid, started = parts
        return cls(host, namespace, int(pid), started)

    def visible_here(self) -> bool:
        """Whether this process sees the worker's PIDs: the same host and PID namespace (a run
        started on another machine or in another container cannot be judged from here)."""
        return self.host == socket.gethostname() and self.pid_namespace == _pid_namespace()

    def alive(self) -> bool:
        """The worker still runs (as seen from a process for which `visible_here()`). A zombie,
        dead but not yet reaped by its parent, is gone."""
        fields = _stat_fields(self.pid)
        if fields is not None:
            return fields[_STATE_FIELD] != "Z" and self.started in (
                fields[_START_FIELD],
                _UNKNOWN,
            )
        if _PROC.is_dir():
            return False
        try:  # no /proc (not Linux): the PID alone
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
