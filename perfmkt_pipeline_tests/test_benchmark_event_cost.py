"""The event-cost benchmark (benchmarks/event_cost.py) end to end through its own `run()` at 5
events (300 by default): every instance storage it names gives a figure, and the events it times
are stored, each a materialisation of a partition of its own with a core asset's metadata."""

from __future__ import annotations

from dagster import AssetKey

from benchmarks import event_cost
from perfmkt_pipeline.cli import EVENT_BATCH_SIZE

KEY = AssetKey(["core", "benchmark"])


def test_event_cost_stores_and_times_the_events_on_each_storage(postgres_server, monkeypatch):
    stored = []
    real = event_cost.store_events

    def store_events(instance, events, batch_size):
        seconds = real(instance, events, batch_size)
        [latest] = instance.fetch_materializations(KEY, 1).records
        stored.append(
            (
                type(instance.event_log_storage).__name__,
                events,
                batch_size,
                len(instance.get_materialized_partitions(KEY)),
                latest.asset_materialization.partition,
            )
        )
        return seconds

    monkeypatch.setattr(event_cost, "store_events", store_events)

    measured = event_cost.run(5)

    assert list(measured) == [
        "SQLite (local_temp), one by one",
        "PostgreSQL, one by one",
        f"PostgreSQL, batched ({EVENT_BATCH_SIZE})",
    ]
    assert all(ms > 0 for ms in measured.values())
    # Each instance warmed with 20 events (partitions p0..p19), then the timed 5 (p0..p4 again).
    batch = int(EVENT_BATCH_SIZE)
    assert stored == [
        ("SqliteEventLogStorage", 20, 0, 20, "p19"),
        ("SqliteEventLogStorage", 5, 0, 20, "p4"),
        ("PostgresEventLogStorage", 20, 0, 20, "p19"),
        ("PostgresEventLogStorage", 5, 0, 20, "p4"),
        ("PostgresEventLogStorage", 5, batch, 20, "p4"),
    ]


def test_an_event_carries_a_core_assets_metadata():
    metadata = event_cost._metadata()
    # A 30-day summary of spend 0.25 + 1.25 + ... + 29.25.
    assert metadata["dagster/row_count"] == 30
    assert metadata["date_range"] == "2026-01-01..2026-01-30"
    assert metadata["spend_by_platform"].data == {"meta": "442.500000"}
