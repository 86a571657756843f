"""Schema versions: a warehouse made by an older version upgrades in place with its rows intact."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.meta import tables as _meta_tables  # noqa: F401 (its raw tables)
from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.migrate import (
    UnknownSchemaVersion,
    current_revision,
    current_revisions,
    head_revision,
    head_revisions,
    upgrade,
)

LOADED = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
HEAD = head_revision()


def test_a_first_version_warehouse_with_rows_upgrades_to_the_latest(warehouse_url: str) -> None:
    warehouse = Warehouse(warehouse_url)
    upgrade(warehouse, "0001")
    with warehouse.begin() as conn:
        conn.execute(
            sa.insert(tables.ad_accounts),
            [
                {
                    "platform": "meta",
                    "account_id": "101",
                    "account_name": "Shop DE",
                    "currency": "EUR",
                    "timezone": "Europe/Berlin",
                    "loaded_at": LOADED,
                },
                {
                    "platform": "google_ads",
                    "account_id": "1234567890",
                    "account_name": "Shop JP",
                    "currency": "JPY",
                    "timezone": "Asia/Tokyo",
                    "loaded_at": LOADED,
                },
            ],
        )
    assert current_revision(warehouse) == "0001"
    with warehouse.begin() as conn:
        assert not sa.inspect(conn).has_table("load_log", schema="raw")

    warehouse.ensure_schema()

    assert current_revision(warehouse) == HEAD
    with warehouse.begin() as conn:
        rows = conn.execute(
            sa.select(
                tables.ad_accounts.c.platform,
                tables.ad_accounts.c.account_id,
                tables.ad_accounts.c.currency,
            ).order_by(tables.ad_accounts.c.platform)
        ).all()
        assert sa.inspect(conn).has_table("load_log", schema="raw")
        assert conn.execute(sa.select(sa.func.count()).select_from(raw.load_log)).scalar() == 0
    assert [tuple(r) for r in rows] == [("google_ads", "1234567890", "JPY"), ("meta", "101", "EUR")]


def test_the_latest_migration_matches_the_table_definitions(warehouse: Warehouse) -> None:
    with warehouse.begin() as conn:
        inspector = sa.inspect(conn)
        for table in tables.metadata.sorted_tables:
            found = [c["name"] for c in inspector.get_columns(table.name, schema=table.schema)]
            assert found == [c.name for c in table.columns], table.fullname


def test_upgrading_an_up_to_date_warehouse_changes_nothing(warehouse: Warehouse) -> None:
    fresh = Warehouse(warehouse.url)
    fresh.ensure_schema()
    assert current_revision(fresh) == HEAD


def test_a_version_no_installed_migration_provides_is_refused_by_name(
    warehouse: Warehouse,
) -> None:
    # What a warehouse records after a platform package with its own migration branch was
    # uninstalled: its branch's head beside the built-in one.
    with warehouse.begin() as conn:
        conn.execute(sa.text("INSERT INTO raw.schema_version VALUES ('gone_0001')"))
    again = Warehouse(warehouse.url)
    try:
        with pytest.raises(UnknownSchemaVersion) as error:
            again.ensure_schema()
        where = warehouse.url.render_as_string(hide_password=True)
        assert str(error.value) == (
            f"warehouse {where} records schema version gone_0001, which none of the installed "
            "migrations (built-in and every registered platform's) provide: either a platform "
            "package that brought raw tables of its own was uninstalled (reinstall it, or, to "
            "leave it for good, delete its row from raw.schema_version: its raw tables stay), "
            "or this code is older than the warehouse"
        )
        # Nothing changed; once the row is gone, the warehouse is current again.
        assert current_revisions(again) == tuple(sorted({*head_revisions(), "gone_0001"}))
        with again.begin() as conn:
            conn.execute(sa.text("DELETE FROM raw.schema_version WHERE version_num = 'gone_0001'"))
        again.ensure_schema()
        assert current_revision(again) == HEAD
    finally:
        again.dispose()


def _affiliate_row(platform: str, record: str, window: str, event: str | None, **values) -> dict:
    return {
        "platform": platform,
        "account_id": "A",
        "record_id": record,
        "action_id": values.pop("action_id", record),
        "window_date": dt.date.fromisoformat(window),
        "event_date": dt.date.fromisoformat(event) if event else None,
        "updated_at": values.pop("updated_at", None),
        "status": values.pop("status", "PENDING"),
        "commission": values.pop("commission", None),
        "loaded_at": values.pop("loaded_at", LOADED),
        "is_correction": False,
        **values,
    }


def test_affiliate_records_move_to_their_event_day_keeping_their_latest_reading(
    warehouse_url: str,
) -> None:
    """0006: records read by update/posting day before sit under their event day afterwards,
    one row per record: the reading the core reduction would pick (latest update time)."""
    warehouse = Warehouse(warehouse_url)
    upgrade(warehouse, "0005")
    first, decided = (
        dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
    )
    with warehouse.begin() as conn:
        conn.execute(
            sa.insert(affiliate_tables.affiliate_actions),
            [
                # impact.com: read pending on its creation day, then approved on its decision day.
                _affiliate_row("impact", "I1", "2026-10-01", "2026-10-01", updated_at=first),
                _affiliate_row("impact", "I1", "2026-11-05", "2026-10-01", updated_at=decided,
                               status="APPROVED", loaded_at=LOADED + dt.timedelta(days=5)),
                # CJ: a sale posted two days after it happened, and its correction posted later.
                _affiliate_row("cj", "C1", "2026-10-03", "2026-10-01", commission=5),
                _affiliate_row("cj", "C2", "2026-10-20", "2026-10-01", action_id="C1",
                               commission=-5),
                # A feed row without an event day stays where it was.
                _affiliate_row("rakuten", "R1", "2026-10-04", None),
            ],
        )  # fmt: skip

    warehouse.ensure_schema()

    t = affiliate_tables.affiliate_actions
    with warehouse.begin() as conn:
        rows = conn.execute(
            sa.select(t.c.platform, t.c.record_id, t.c.window_date, t.c.status, t.c.commission)
            .order_by(t.c.platform, t.c.record_id)
        ).all()  # fmt: skip
    day = dt.date.fromisoformat
    assert [tuple(r) for r in rows] == [
        ("cj", "C1", day("2026-10-01"), "PENDING", 5),
        ("cj", "C2", day("2026-10-01"), "PENDING", -5),
        ("impact", "I1", day("2026-10-01"), "APPROVED", None),
        ("rakuten", "R1", day("2026-10-04"), "PENDING", None),
    ]


def test_affiliate_raw_column_comments_are_rewritten_for_any_network(warehouse_url: str) -> None:
    warehouse = Warehouse(warehouse_url)
    upgrade(warehouse, "0011")
    with warehouse.begin() as conn:
        before = {
            c["name"]: c["comment"]
            for c in sa.inspect(conn).get_columns("affiliate_actions", schema="raw")
        }
    assert before["record_id"] == "the record's own id (CJ: commissionId; else the action id)"
    upgrade(warehouse)
    with warehouse.begin() as conn:
        after = {
            c["name"]: c["comment"]
            for c in sa.inspect(conn).get_columns("affiliate_actions", schema="raw")
        }
    assert after == {c.name: c.comment for c in affiliate_tables.affiliate_actions.columns}
    assert after["is_correction"] == (
        "a record correcting an earlier one, whose amounts are deltas; else false"
    )
