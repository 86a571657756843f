"""The latest-state reduction of affiliate records: one row per action, statuses normalised,
CJ corrections applied to their original action."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pandas as pd
import pytest

from perfmkt_pipeline.platforms.base.affiliates import ActionRecord
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.base.affiliates.actions import (
    LATEST_COLUMNS,
    STATUS_VOCABULARIES,
    latest_actions,
    raw_frame,
)
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World
from perfmkt_pipeline_tests.transform.affiliates_reference import reference_latest_actions

UTC = dt.UTC
EVENT = dt.date(2026, 10, 1)
FEED_STATUSES = {"rakuten": {"Pending": "pending", "Approved": "approved", "Reversed": "reversed"}}


def at(day: int, hour: int = 12) -> dt.datetime:
    """A moment `day` days after the event day."""
    return dt.datetime.combine(EVENT, dt.time(hour), tzinfo=UTC) + dt.timedelta(days=day)


def record(platform: str, status: str, *, updated: int, loaded: int, **changes) -> dict:
    """One raw row as read back from raw.affiliate_actions (pull `loaded` days after the event)."""
    row = {
        "platform": platform,
        "account_id": "acc",
        "window_date": at(updated).date(),
        "record_id": "A1",
        "action_id": "A1",
        "event_date": EVENT,
        "updated_at": at(updated),
        "status": status,
        "action_type": "sale",
        "partner_id": "77",
        "partner_name": "Coupon Hub",
        "currency": "USD",
        "sale_amount": Decimal("100.00"),
        "commission": Decimal("10.00"),
        "record": "{}",
        "is_correction": False,
        "loaded_at": at(loaded, 6),
    }
    return {**row, **changes}


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def one(result: pd.DataFrame) -> dict:
    assert len(result) == 1, result
    return result.iloc[0].to_dict()


THREE_PULLS = {
    "impact": ("PENDING", "APPROVED", "REVERSED"),
    "awin": ("pending", "approved", "declined"),
    "rakuten": ("Pending", "Approved", "Reversed"),
}


@pytest.mark.parametrize("platform", sorted(THREE_PULLS))
def test_an_action_pending_then_approved_then_reversed_over_three_pulls_ends_as_one_reversed_row(
    platform,
):
    pending, approved, reversed_ = THREE_PULLS[platform]
    pulls = frame(
        record(platform, pending, updated=0, loaded=1),
        record(platform, approved, updated=14, loaded=15),
        record(platform, reversed_, updated=30, loaded=31),
    )
    for shuffled in (pulls, pulls.iloc[::-1]):  # the order rows are read in does not matter
        assert one(latest_actions(shuffled, FEED_STATUSES)) == {
            "platform": platform,
            "account_id": "acc",
            "action_id": "A1",
            "event_date": EVENT,
            "status": "reversed",
            "campaign_id": "77",
            "partner_name": "Coupon Hub",
            "action_type": "sale",
            "currency": "USD",
            "sale_amount_local": Decimal("100.00"),
            "commission_local": Decimal("10.00"),
            "source_updated_at": at(30),
        }


def cj(status: str, *, loaded: int, correction: int | None = None, sale="100.00", fee="10.00"):
    """A CJ commission record: the original (posted on the event day) or a correction."""
    if correction is None:
        return record(
            "cj",
            status,
            updated=0,
            loaded=loaded,
            record_id="C1",
            sale_amount=Decimal(sale),
            commission=Decimal(fee),
        )
    return record(
        "cj",
        status,
        updated=correction,
        loaded=loaded,
        record_id=f"C1-{correction}",
        is_correction=True,
        sale_amount=Decimal(sale),
        commission=Decimal(fee),
    )


def test_a_cj_action_new_then_locked_then_reversed_by_a_correction_ends_as_one_reversed_row():
    pulls = frame(
        cj("new", loaded=1),
        cj("locked", loaded=15),  # the original re-read: CJ updates its actionStatus in place
        cj("locked", loaded=31),
        cj("locked", loaded=31, correction=30, sale="-100.00", fee="-10.00"),
    )
    assert [latest_actions(pulls.iloc[:n])["status"].tolist() for n in (1, 2, 4)] == [
        ["pending"],
        ["approved"],
        ["reversed"],
    ]
    state = one(latest_actions(pulls))
    assert (state["status"], state["sale_amount_local"], state["commission_local"]) == (
        "reversed",
        Decimal("100.00"),
        Decimal("10.00"),
    )
    assert state["source_updated_at"] == at(30)


def test_a_cj_correction_replaces_the_amounts_of_its_original_action():
    records = frame(
        cj("locked", loaded=15),
        cj("locked", loaded=31, correction=20, sale="-20.00", fee="-2.00"),
    )
    state = one(latest_actions(records))
    assert (state["action_id"], state["status"]) == ("A1", "approved")
    assert (state["sale_amount_local"], state["commission_local"]) == (
        Decimal("80.00"),
        Decimal("8.00"),
    )


def test_a_cj_correction_whose_original_was_never_loaded_is_left_out_until_it_is():
    orphan = cj("locked", loaded=31, correction=30, sale="-100.00", fee="-10.00")
    assert latest_actions(frame(orphan)).empty
    state = one(latest_actions(frame(cj("locked", loaded=40), orphan)))
    assert (state["status"], state["commission_local"]) == ("reversed", Decimal("10.00"))


def test_a_cj_action_reversed_in_two_corrections_keeps_the_amount_last_reversed():
    records = frame(
        cj("locked", loaded=15),
        cj("locked", loaded=31, correction=20, sale="-20.00", fee="-2.00"),
        cj("closed", loaded=41, correction=40, sale="-80.00", fee="-8.00"),
    )
    state = one(latest_actions(records))
    assert (state["status"], state["sale_amount_local"], state["commission_local"]) == (
        "reversed",
        Decimal("80.00"),
        Decimal("8.00"),
    )


def test_without_an_update_time_the_later_load_wins():
    records = frame(
        record("rakuten", "Approved", updated=0, loaded=20, updated_at=None),
        record("rakuten", "Pending", updated=0, loaded=2, updated_at=None),
    )
    assert one(latest_actions(records, FEED_STATUSES))["status"] == "approved"


def test_an_unknown_status_word_is_an_error_naming_platform_action_and_word():
    with pytest.raises(ValueError) as raised:
        latest_actions(frame(record("awin", "on hold", updated=0, loaded=1)))
    assert str(raised.value) == (
        "awin action A1: unknown status 'on hold' (known: approved, declined, deleted, pending)"
    )


def test_no_records_give_no_actions():
    result = latest_actions(
        pd.DataFrame(columns=[c.name for c in affiliate_tables.affiliate_actions.c])
    )
    assert result.empty and list(result.columns) == LATEST_COLUMNS


def test_cj_records_served_by_the_sandbox_settle_to_its_ground_truth():
    """Sixty days of CJ records (originals, reversals as negating corrections) against the
    sandbox's own latest state of every action whose original was posted in the range."""
    world = World(WorldSpec.small(), as_of=dt.date(2026, 11, 20))
    since, before = dt.datetime(2026, 9, 21, tzinfo=UTC), dt.datetime(2026, 11, 20, tzinfo=UTC)
    served = cj_data.cj_commissions(world, "5551234", since, before)
    records = [
        ActionRecord(
            "cj", "5551234", c.commission_id, c.original_action_id, c.posting_date.date(),
            c.event_date.date(), c.posting_date, c.action_status, c.action_type, c.publisher_id,
            c.publisher_name, c.currency, c.sale_amount, c.commission, not c.original, "{}",
        )
        for c in served
    ]  # fmt: skip
    settled = latest_actions(raw_frame(records))
    originals = {c.original_action_id for c in served if c.original}
    truth = world.ground_truth_affiliate_actions("cj", dt.date(2026, 8, 1), dt.date(2026, 11, 19))
    expected = {
        (t.action_id, t.status, t.sale_amount, t.commission, t.partner_id, t.event_date)
        for t in truth.itertuples()
        if t.action_id in originals
    }
    got = {
        (
            s.action_id,
            s.status,
            s.sale_amount_local,
            s.commission_local,
            s.campaign_id,
            s.event_date,
        )
        for s in settled.itertuples()
        if s.action_id in originals
    }
    assert got == expected
    assert {"pending", "approved", "reversed"} == {t[1] for t in expected}


def test_raw_rows_carry_the_table_columns_with_update_times_in_utc():
    eastern = dt.timezone(dt.timedelta(hours=-5))
    record_ = ActionRecord(
        "impact", "IR1", "A1", "A1", EVENT, EVENT, dt.datetime(2026, 10, 1, 7, tzinfo=eastern),
        "PENDING", "Online Sale", "77", "Coupon Hub", "USD", Decimal("1.50"), Decimal("0.15"),
        False, '{"Id":"A1"}',
    )  # fmt: skip
    rows = raw_frame([record_])
    assert list(rows.columns) == [
        c.name for c in affiliate_tables.affiliate_actions.c if c.name != "loaded_at"
    ]
    assert rows.loc[0, "updated_at"] == pd.Timestamp("2026-10-01 12:00", tz="UTC")
    assert rows.loc[0, "commission"] == Decimal("0.15")


@pytest.mark.parametrize(
    ("platform", "word", "status"),
    [
        ("impact", "PENDING", "pending"),
        ("impact", "APPROVED", "approved"),
        ("impact", "REVERSED", "reversed"),
        ("awin", "pending", "pending"),
        ("awin", "approved", "approved"),
        ("awin", "declined", "reversed"),
        ("awin", "deleted", "reversed"),
        ("cj", "new", "pending"),
        ("cj", "extended", "pending"),
        ("cj", "locked", "approved"),
        ("cj", "closed", "approved"),
        ("rakuten", "Reversed", "reversed"),
    ],
)
def test_each_network_status_word_maps_to_pending_approved_or_reversed(platform, word, status):
    state = one(latest_actions(frame(record(platform, word, updated=0, loaded=1)), FEED_STATUSES))
    assert state["status"] == status


def _random_records(rng: random.Random, n: int, odd_words: bool) -> pd.DataFrame:
    """Versions of a few actions on every platform: re-reads, CJ corrections (several per
    action, some without their original), NULL amounts, zero sums, missing update times."""
    words = {platform: sorted(v) for platform, v in STATUS_VOCABULARIES.items()}
    words["rakuten"] = sorted(FEED_STATUSES["rakuten"])
    amounts = [None, Decimal("0"), Decimal("10.00"), Decimal("-10.00"), Decimal("2.50")]
    rows = []
    for _ in range(n):
        platform = rng.choice(sorted(words))
        action = str(rng.randint(1, 6))
        corrected = platform == "cj" and rng.random() < 0.4
        updated = rng.randint(0, 40)
        row = record(
            platform,
            "on hold" if odd_words and rng.random() < 0.1 else rng.choice(words[platform]),
            updated=updated,
            loaded=updated + rng.randint(0, 3),
            account_id=rng.choice(["a", "b"]),
            action_id=action,
            record_id=f"{action}-{rng.randint(0, 2)}" if corrected else action,
            is_correction=corrected,
            currency=rng.choice(["USD", None]),
            sale_amount=rng.choice(amounts),
            commission=rng.choice(amounts),
        )
        if rng.random() < 0.2:
            row["updated_at"] = None
        rows.append(row)
    records = pd.DataFrame(rows)
    records["updated_at"] = pd.to_datetime(records["updated_at"], utc=True)
    return records


def _settled_or_error(reduce, records: pd.DataFrame):
    try:
        settled = reduce(records, FEED_STATUSES)
    except ValueError as error:
        return str(error)
    # Missing values compare equal whichever missing marker (None, NaN, NaT) holds them.
    return [
        {k: None if pd.isna(v) else v for k, v in r.items()} for r in settled.to_dict("records")
    ]


def test_the_vectorised_reduction_equals_the_row_by_row_one():
    rng = random.Random(20261001)
    for case in range(150):
        records = _random_records(rng, rng.randint(1, 30), odd_words=case % 8 == 0)
        expected = _settled_or_error(reference_latest_actions, records)
        assert _settled_or_error(latest_actions, records) == expected, case
