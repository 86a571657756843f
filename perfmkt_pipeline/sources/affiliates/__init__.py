"""Affiliate network sources: impact.com, CJ and Awin over their APIs, and CSV file feeds.

Each client returns `ActionRecord`s (records.py): the record as received plus typed fields that
mean the same on every network. They share one HTTP layer (http.py) and one set of errors
(errors.py).
"""

from perfmkt_pipeline.sources.affiliates.errors import (
    AffiliateDataError,
    AffiliateError,
    AuthenticationError,
    FatalError,
    RetriesExhaustedError,
    RetryableError,
)
from perfmkt_pipeline.sources.affiliates.records import ActionRecord, Window, sync_window

__all__ = [
    "ActionRecord",
    "AffiliateDataError",
    "AffiliateError",
    "AuthenticationError",
    "FatalError",
    "RetriesExhaustedError",
    "RetryableError",
    "Window",
    "sync_window",
]
