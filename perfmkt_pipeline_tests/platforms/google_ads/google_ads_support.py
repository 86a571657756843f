"""Helpers for the Google Ads connector tests: readers pointed at a sandbox, recorded sleeps."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

from perfmkt_pipeline.platforms.google_ads import (
    GoogleAdsConfig,
    GoogleAdsCredentials,
    GoogleAdsReader,
    RetryPolicy,
)
from perfmkt_pipeline.platforms.google_ads.standin import data as google_ads_data
from perfmkt_pipeline.sandbox.runner import Sandbox

MANAGER = "1000000001"
US, DE, JP = "1234567890", "2345678901", "3456789012"  # USD, EUR, JPY client accounts
CANCELLED, SUB_MANAGER = "4567890123", "5678901234"
CLIENTS = [US, DE, JP]
PLATFORM = "google_ads"
STREAM = "google_ads.search_stream"
OAUTH_TOKEN = "google_oauth.token"


class Sleeps:
    """An injectable sleep that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def credentials(box: Sandbox, **changes: str | None) -> GoogleAdsCredentials:
    env = box.env()
    creds = GoogleAdsCredentials(
        developer_token=env["GOOGLE_ADS_DEVELOPER_TOKEN"],
        client_id=env["GOOGLE_ADS_CLIENT_ID"],
        client_secret=env["GOOGLE_ADS_CLIENT_SECRET"],
        refresh_token=env["GOOGLE_ADS_REFRESH_TOKEN"],
        login_customer_id=MANAGER,
    )
    return replace(creds, **changes)


def reader(
    box: Sandbox,
    *,
    sleep: Sleeps | None = None,
    creds: GoogleAdsCredentials | None = None,
    retry: RetryPolicy | None = None,
    logger=None,
    **config,
) -> GoogleAdsReader:
    env = box.env()
    settings = GoogleAdsConfig(
        endpoint=env["PERFMKT_GOOGLE_ADS_ENDPOINT"],
        token_uri=env["PERFMKT_GOOGLE_OAUTH_URL"],
        retry=retry or RetryPolicy(),
        **config,
    )
    return GoogleAdsReader(
        creds or credentials(box),
        settings,
        sleep=sleep or Sleeps(),
        rng=random.Random(7),
        logger=logger,
    )


def served_campaign_days(box: Sandbox, customer_id: str, start: date, end: date) -> list[tuple]:
    """What the sandbox serves, in the shape the tests compare parsed rows in."""
    return sorted(
        (
            r.day,
            r.campaign_id,
            r.cost_micros,
            r.impressions,
            r.clicks,
            Decimal(repr(r.conversions)),
            Decimal(repr(r.conversions_value)),
        )
        for r in google_ads_data.campaign_days(box.world, customer_id, start, end)
    )


def served_conversion_days(box: Sandbox, customer_id: str, start: date, end: date) -> list[tuple]:
    return sorted(
        (
            r.day,
            r.campaign_id,
            r.conversion_action_name,
            Decimal(repr(r.conversions)),
            Decimal(repr(r.conversions_value)),
        )
        for r in google_ads_data.conversion_action_days(box.world, customer_id, start, end)
    )


def parsed_campaign_days(report) -> list[tuple]:
    return sorted(
        (
            d.date,
            d.campaign_id,
            d.cost_micros,
            d.impressions,
            d.clicks,
            d.conversions,
            d.conversions_value,
        )
        for d in report.campaign_days
    )


def parsed_conversion_days(report) -> list[tuple]:
    """Every action's own conversions (all_conversions), as the world serves them."""
    return sorted(
        (
            d.date,
            d.campaign_id,
            d.conversion_action_name,
            d.all_conversions,
            d.all_conversions_value,
        )
        for d in report.conversion_days
    )
