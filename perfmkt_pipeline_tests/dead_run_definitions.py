"""The project's definitions, with one warehouse write held open: the code location of the
dead-run tests (perfmkt_pipeline_tests/test_dead_runs.py).

When PERFMKT_TEST_HOLD_TABLE names a table, the first bulk load into it, in whichever process
makes it, creates the file PERFMKT_TEST_HOLD_MARKER (exclusively: only one load ever holds) with
{"table", "account_id", "pid"} and then sleeps inside its transaction, after the delete and the
insert and before the commit, until the process is killed. Every other load, the re-run's
included, goes through unchanged. Nothing of the pipeline is changed otherwise.
"""

from __future__ import annotations

import json
import os
import time

from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.warehouse import write

HOLD_TABLE_VAR = "PERFMKT_TEST_HOLD_TABLE"
HOLD_MARKER_VAR = "PERFMKT_TEST_HOLD_MARKER"
HOLD_SECONDS = 600.0


def _hold_first_load(table_name: str, marker: str) -> None:
    for backend, load in list(write._BULK_LOADERS.items()):

        def held(conn, table, data, load=load):
            load(conn, table, data)
            if table.fullname != table_name:
                return
            try:
                fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                return
            account = data.column("account_id")[0].as_py() if data.num_rows else None
            with os.fdopen(fd, "w") as out:
                json.dump({"table": table_name, "account_id": account, "pid": os.getpid()}, out)
            time.sleep(HOLD_SECONDS)

        write._BULK_LOADERS[backend] = held


if os.environ.get(HOLD_TABLE_VAR):
    _hold_first_load(os.environ[HOLD_TABLE_VAR], os.environ[HOLD_MARKER_VAR])

defs = build_definitions()
