"""What one asset materialisation event costs the process that stores it, per Dagster instance
storage: the cost that grows with the *days* of a backfill, not its rows (issue #18).

    python -m benchmarks.event_cost [EVENTS]

A single-run backfill of a daily-partitioned asset over N days records one materialisation per
asset and day (Dagster copies the step's metadata onto each partition's event), written by the
step process into the instance's event log. A 365-day run of every asset of the Meta scenario
(24 assets, 18 of them core and marts) records 8,760 of them; the data work of the core, marts
and below-campaign steps over the same year is a few CPU-seconds (README, "Where the 365-day
cost goes"). This measures the CPU-seconds of the storing process per event, with the metadata
a core asset attaches (`defs/assets/summaries.summary`), on:

- the SQLite instance the benchmarks use (`DagsterInstance.local_temp`, as `backfill_run`
  does; also the project's default `dagster.yaml`);
- a PostgreSQL instance (`dagster.postgres.yaml`, on the server at PERFMKT_BENCH_POSTGRES_URL,
  a new database dropped afterwards), one event at a time (Dagster's default) and batched
  (`DAGSTER_EVENT_BATCH_SIZE`, which `perfmkt` sets for the processes it starts: Dagster's
  PostgreSQL event log writes a batch of partition materialisations in one statement; its
  SQLite event log has no batch write and stores them one by one either way).

The PostgreSQL server's own CPU is not counted (a separate process). Prints, no target.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import sqlalchemy as sa
from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._core.events import (
    DagsterEvent,
    DagsterEventBatchMetadata,
    DagsterEventType,
    StepMaterializationData,
)
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef

from benchmarks.scenario import POSTGRES_URL
from perfmkt_pipeline.cli import EVENT_BATCH_SIZE
from perfmkt_pipeline.defs.assets.summaries import summary

DEFAULT_EVENTS = 300
BATCH_ENV_VAR = "DAGSTER_EVENT_BATCH_SIZE"


def _metadata() -> dict:
    """What a core asset attaches to its materialisation (a 30-row table summarised)."""
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(30)]
    frame = pa.table(
        {
            "platform": ["meta"] * 30,
            "date": pa.array(days, pa.date32()),
            "spend": pa.array([f"{i}.25" for i in range(30)]).cast(pa.decimal128(20, 6)),
        }
    )
    return summary(frame, date_column="date", money="spend", reporting_currency="USD")


def store_events(instance: DagsterInstance, events: int, batch_size: int) -> float:
    """CPU-seconds of this process per event, storing `events` partition materialisations of
    one asset as a step does (one batch, as Dagster marks a step output's partitions)."""
    metadata, batch = _metadata(), uuid.uuid4().hex
    previous = os.environ.get(BATCH_ENV_VAR)
    os.environ[BATCH_ENV_VAR] = str(batch_size)
    try:
        began = time.process_time()
        for i in range(events):
            materialization = AssetMaterialization(
                asset_key=AssetKey(["core", "benchmark"]), partition=f"p{i}", metadata=metadata
            )
            event = DagsterEvent(
                event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
                job_name="event_cost",
                event_specific_data=StepMaterializationData(materialization),
            )
            entry = EventLogEntry(
                error_info=None, level=20, user_message="", run_id="event-cost",
                timestamp=time.time(), dagster_event=event,
            )  # fmt: skip
            instance.handle_new_event(
                entry, batch_metadata=DagsterEventBatchMetadata(batch, i == events - 1)
            )
        return (time.process_time() - began) / events
    finally:
        if previous is None:
            os.environ.pop(BATCH_ENV_VAR, None)
        else:
            os.environ[BATCH_ENV_VAR] = previous


@contextmanager
def postgres_instance() -> Iterator[DagsterInstance]:
    """A Dagster instance on a new PostgreSQL database, dropped afterwards."""
    name = f"perfmkt_event_cost_{uuid.uuid4().hex[:8]}"
    server = sa.make_url(POSTGRES_URL)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="perfmkt-event-cost-") as home:
            config = (
                f"storage:\n  postgres:\n    postgres_url: {url}\ntelemetry:\n  enabled: false\n"
            )
            with open(os.path.join(home, "dagster.yaml"), "w") as out:
                out.write(config)
            instance = DagsterInstance.from_ref(InstanceRef.from_dir(home))
            try:
                yield instance
            finally:
                instance.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def run(events: int = DEFAULT_EVENTS) -> dict[str, float]:
    """CPU-milliseconds per event: SQLite, PostgreSQL one by one, PostgreSQL batched."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="perfmkt-event-cost-") as home:
        instance = DagsterInstance.local_temp(home)
        store_events(instance, 20, 0)  # warm: the run shard and index are created once
        out["SQLite (local_temp), one by one"] = 1000 * store_events(instance, events, 0)
        instance.dispose()
    with postgres_instance() as instance:
        store_events(instance, 20, 0)
        out["PostgreSQL, one by one"] = 1000 * store_events(instance, events, 0)
        out[f"PostgreSQL, batched ({EVENT_BATCH_SIZE})"] = 1000 * store_events(
            instance, events, int(EVENT_BATCH_SIZE)
        )
    return out


def main() -> int:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EVENTS
    with open("/proc/loadavg") as load:
        print(f"load average: {load.read().split()[:3]}")
    for label, ms in run(events).items():
        print(f"materialisation event, {label}: {ms:.2f} CPU-ms each ({events} events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
