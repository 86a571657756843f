"""The `raw` landing tables: what each source returned, typed, plus the record as received.

`raw` is the pipeline's own business (WAREHOUSE.md): it may change freely, as long as every record a
source returned is kept in `record` (JSON text, exactly as received) before anything transforms it.
A registered platform's own raw tables live in its folder (platforms/<name>/tables.py) and are
listed by its spec. Every table carries the slice columns the write path replaces by: a source/platform, an account and
a date (`date` for daily reports, `window_date` for affiliate actions read by update day).
"""

from perfmkt_pipeline.warehouse.raw.common import load_log
from perfmkt_pipeline.warehouse.raw.google_ads import (
    google_ads_accounts,
    google_ads_campaign_daily,
    google_ads_conversion_daily,
)

__all__ = [
    "google_ads_accounts",
    "google_ads_campaign_daily",
    "google_ads_conversion_daily",
    "load_log",
]
