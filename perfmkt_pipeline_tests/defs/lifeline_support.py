"""A stand-in run worker for the lifeline tests, run in a process of its own:

    python -c 'from perfmkt_pipeline_tests.defs.lifeline_support import main; main()' OUT [PRELOAD...]

It starts a fork server that preloads PRELOAD (as the project's executor does), forks two step
stand-ins from it that sleep, writes {"server": pid, "steps": [pid, pid]} to OUT, and sleeps until
the test kills it.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.forkserver
import sys
import time
from pathlib import Path

SLEEP_SECONDS = 600


def sleep_like_a_long_step() -> None:
    time.sleep(SLEEP_SECONDS)


def main() -> None:
    out, *preload = sys.argv[1:]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)
    steps = [context.Process(target=sleep_like_a_long_step) for _ in range(2)]
    for step in steps:
        step.start()
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    Path(out).write_text(json.dumps({"server": server, "steps": [s.pid for s in steps]}))
    time.sleep(SLEEP_SECONDS)
