"""Google Ads' rows of the sandbox world, as served on a given as-of date: the rows of a
campaign / segments.date query and of the same segmented by conversion action, the customer
hierarchy, and the campaigns. Conversions (and their values) of recent days grow towards their
final value over the conversion window (generation.CURVE); spend, impressions and clicks are
final from the first report. Injected anomalies (sandbox/anomalies.py) are applied here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from perfmkt_pipeline.platforms.google_ads.standin.generation import (
    CURVE,
    GOOGLE_ADS,
    GoogleManager,
    google_campaign_params,
    google_day_block,
)
from perfmkt_pipeline.sandbox.anomalies import active
from perfmkt_pipeline.sandbox.generation import minor_exponent
from perfmkt_pipeline.sandbox.parts import SandboxCampaign
from perfmkt_pipeline.sandbox.restatement import served, served_value
from perfmkt_pipeline.sandbox.spec import SandboxAccount

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.world import World


@dataclass(frozen=True)
class GoogleCampaignDay:  # one row of `FROM campaign ... segments.date`
    account_id: str
    campaign_id: str
    day: date
    cost_micros: int
    impressions: int
    clicks: int
    conversions: float  # Purchase + Lead (the actions that count); multiples of 0.5
    conversions_value: float  # at most 2 decimals (whole units for JPY)


@dataclass(frozen=True)
class GoogleConversionActionDay:  # one row segmented by segments.conversion_action_name
    account_id: str
    campaign_id: str
    day: date
    conversion_action_name: str  # "Purchase", "Lead" (counted), "Page view" (not counted)
    conversions: float  # every conversion of the action (the API's metrics.all_conversions)
    conversions_value: float
    # "Include in conversions": only then does the API report the action in metrics.conversions.
    counted: bool = True


def managers(world: World) -> list[GoogleManager]:
    return list(world.spec.of(GOOGLE_ADS).managers)


def customer_clients(world: World, manager_id: str) -> list[SandboxAccount]:
    """Clients directly under a manager, cancelled ones and sub-managers included (not the
    manager itself). KeyError if `manager_id` is not a manager."""
    if manager_id not in {m.customer_id for m in managers(world)}:
        raise KeyError(f"unknown google_ads manager {manager_id!r}")
    return [a for a in world.spec.accounts(GOOGLE_ADS) if a.manager_id == manager_id]


def campaigns(world: World, account: SandboxAccount) -> list[SandboxCampaign]:
    """The account's campaigns, their statuses as of `world.as_of`."""
    if not account.serves_data:
        return []
    p = google_campaign_params(world.spec, account)
    return [
        SandboxCampaign(
            GOOGLE_ADS,
            account.account_id,
            cid,
            p.names[i],
            p.stop_status[i]
            if p.end_day[i] is not None and world.as_of > p.end_day[i]
            else "ENABLED",
        )
        for i, cid in enumerate(p.campaign_ids)
    ]


def _account_days(world: World, account_id: str, start: date, end: date, as_of: date | None):
    """(campaign ids, minor-unit scale, day, what is served of the day) for each day of
    [start, end] with data; nothing for an account without data (cancelled, a manager)."""
    as_of = as_of or world.as_of
    acc = world.account(GOOGLE_ADS, account_id)
    if not acc.serves_data:
        return
    ids = google_campaign_params(world.spec, acc).campaign_ids
    scale = 10 ** minor_exponent(acc.currency)
    day, last = world.data_range(start, end, as_of)
    while day <= last:
        yield ids, scale, day, _served(world, acc, day, as_of)
        day += timedelta(days=1)


def _served(world: World, acc: SandboxAccount, day: date, as_of: date):
    block = google_day_block(world.spec, acc, day)
    age = (as_of - day).days
    purchase = served(block["purchase_halves"], CURVE, age)
    lead = served(block["lead_halves"], CURVE, age)
    views = served(block["page_views"], CURVE, age)
    purchase_value = served_value(block["purchase_value_minor"], block["purchase_halves"], purchase)
    lead_value = served_value(block["lead_value_minor"], block["lead_halves"], lead)
    return block, purchase, lead, views, purchase_value, lead_value


def campaign_days(
    world: World, account_id: str, start: date, end: date, *, as_of: date | None = None
) -> list[GoogleCampaignDay]:
    """Rows of a campaign/segments.date query; all-zero rows omitted (as Google does)."""
    rows = []
    for ids, scale, day, served_day in _account_days(world, account_id, start, end, as_of):
        b, purchase, lead, _, pv, lv = served_day
        for i in np.flatnonzero(
            b["impressions"] + b["clicks"] + b["cost_micros"] + purchase + lead
        ):
            rows.append(
                GoogleCampaignDay(
                    account_id,
                    ids[i],
                    day,
                    int(b["cost_micros"][i]),
                    int(b["impressions"][i]),
                    int(b["clicks"][i]),
                    (int(purchase[i]) + int(lead[i])) / 2,
                    (int(pv[i]) + int(lv[i])) / scale,
                )
            )
    return _inject_campaign_days(world.injections, rows) if world.injections else rows


def conversion_action_days(
    world: World, account_id: str, start: date, end: date, *, as_of: date | None = None
) -> list[GoogleConversionActionDay]:
    """Rows segmented by conversion action; rows with nothing converted omitted."""
    rows = []
    for ids, scale, day, served_day in _account_days(world, account_id, start, end, as_of):
        _, purchase, lead, views, pv, lv = served_day
        for i in range(len(ids)):
            for name, halves, value in (
                ("Purchase", int(purchase[i]), int(pv[i])),
                ("Lead", int(lead[i]), int(lv[i])),
                ("Page view", 2 * int(views[i]), 0),
            ):
                if halves or value:
                    rows.append(
                        GoogleConversionActionDay(
                            account_id,
                            ids[i],
                            day,
                            name,
                            halves / 2,
                            value / scale,
                            counted=name != "Page view",
                        )
                    )
    if world.injections:
        return _inject_conversion_action_days(world.injections, rows)
    return rows


def _inject_campaign_days(injections, rows) -> list[GoogleCampaignDay]:
    """Campaign rows as served with the injections applied: a silent account sends none, a
    broken pixel zero conversions, a spend spike multiplied cost."""
    out = []
    for row in rows:
        args = (GOOGLE_ADS, row.account_id, row.day)
        if active(injections, "stop_reporting", *args):
            continue
        if active(injections, "pixel_break", *args):
            row = replace(row, conversions=0.0, conversions_value=0.0)
        for spike in active(injections, "spend_spike", *args):
            row = replace(row, cost_micros=row.cost_micros * spike.factor)
        out.append(row)
    return out


def _inject_conversion_action_days(injections, rows) -> list[GoogleConversionActionDay]:
    """Conversion-action rows: none for an account silent or without tracking."""
    return [
        row
        for row in rows
        if not any(
            active(injections, kind, GOOGLE_ADS, row.account_id, row.day)
            for kind in ("stop_reporting", "pixel_break")
        )
    ]
