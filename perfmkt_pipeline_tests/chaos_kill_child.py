"""A backfill that stops, deterministically, in the middle of a load: the process the chaos test
kills with SIGKILL.

    python -m perfmkt_pipeline_tests.chaos_kill_child SETTINGS_JSON WAREHOUSE_URL START END
        MARKER LOADS

Runs the raw assets of SETTINGS_JSON (the sandbox's endpoints and secrets come from the
environment) for START..END. The warehouse's bulk loader is wrapped: after the LOADS-th bulk load
(so inside that write's transaction, after its delete and insert, before its commit) it creates
MARKER and sleeps, waiting for the test to kill it. Nothing of the pipeline is changed.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.warehouse import write
from perfmkt_pipeline_tests.chaos_support import backfill

SLEEP_SECONDS = 600.0


def hang_after_load(loads: int, marker: Path) -> None:
    count = [0]
    for backend, load in list(write._BULK_LOADERS.items()):

        def wrapped(conn, table, data, load=load):
            load(conn, table, data)
            count[0] += 1
            if count[0] == loads:
                marker.write_text(table.fullname)
                time.sleep(SLEEP_SECONDS)

        write._BULK_LOADERS[backend] = wrapped


def main(argv: list[str]) -> int:
    settings_json, url, start, end, marker, loads = argv
    settings = parse_settings(json.loads(settings_json))
    hang_after_load(int(loads), Path(marker))
    result = backfill(settings, url, date.fromisoformat(start), date.fromisoformat(end))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
