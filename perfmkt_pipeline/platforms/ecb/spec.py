"""The ECB euro reference rates (the FX source), described for the registry. No settings
section and no credentials: it is always on, and its endpoint is `endpoints.ecb`."""

from __future__ import annotations

from perfmkt_pipeline.platforms.base.spec import (
    Connector,
    Endpoint,
    ErrorClasses,
    PlatformSpec,
    RawAsset,
    RequestBudget,
    StandIn,
)
from perfmkt_pipeline.platforms.ecb import sync
from perfmkt_pipeline.platforms.ecb.client import EcbDataError
from perfmkt_pipeline.platforms.ecb.tables import ecb_rates

NAME = "ecb"
# The historical file's path on the ECB site, where the stand-in serves it too (defined here,
# not in the stand-in, so that loading the spec imports no sandbox code).
ZIP_PATH = "/stats/eurofxref/eurofxref-hist.zip"
# ISO 4217 codes the ECB publishes reference rates for, plus EUR itself: the currencies a
# reporting or account currency may be (config.known_currencies).
CURRENCIES = frozenset(
    [
        "EUR",
        "USD",
        "JPY",
        "BGN",
        "CZK",
        "DKK",
        "GBP",
        "HUF",
        "PLN",
        "RON",
        "SEK",
        "CHF",
        "ISK",
        "NOK",
        "TRY",
        "AUD",
        "BRL",
        "CAD",
        "CNY",
        "HKD",
        "IDR",
        "ILS",
        "INR",
        "KRW",
        "MXN",
        "MYR",
        "NZD",
        "PHP",
        "SGD",
        "THB",
        "ZAR",
    ]
)
# Its assets' group, and the source its daily-sync run is named after.
GROUP = "fx"

SPEC = PlatformSpec(
    name=NAME,
    channel="fx",
    config_section=None,
    credentials=(),
    raw_tables=(ecb_rates,),
    connector=Connector(
        asset_name=None,
        raw_assets=(
            RawAsset(
                ecb_rates,
                "ECB euro reference rates as published (units of each currency per 1 EUR): the "
                "whole\nhistory from a year before `start_date` to the end of the partition "
                "window (one request;\nany core day a run rebuilds, however old, then finds its "
                "rate).",
            ),
        ),
        sync=sync.sync,
        group=GROUP,
        kind=None,
        pool=NAME,
        resource_key=None,
        # The download retries only briefly (client.py): a longer outage is retried minutes later.
        retry_on_failure=True,
    ),
    errors=ErrorClasses(data=(EcbDataError,), base=(EcbDataError,)),
    # Rates are final once published; the daily sync reads them over every source's window.
    default_lookback_days=1,
    # One request per run, whatever the window.
    budget=RequestBudget(calls_per_minute=None),
    standin=StandIn(
        app="perfmkt_pipeline.platforms.ecb.standin.app:EcbApp",
        url_env_var="PERFMKT_ECB_URL",
        path=ZIP_PATH,
        sandbox="perfmkt_pipeline.platforms.ecb.standin.sandbox:SANDBOX",
        port=8705,
    ),
    currencies=CURRENCIES,
    endpoints={
        NAME: Endpoint(
            "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip", "PERFMKT_ECB_URL"
        )
    },
)
