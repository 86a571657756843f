"""What every affiliate source shares (API networks and file feeds alike), naming none of them:
the record every client returns (records.py), the raw table they land in (tables.py), the
landing of a run's read windows (landing.py), and the latest state of each action with every
registered source's status vocabulary (actions.py). The HTTP layer and its errors are
platforms/base/http.py and errors.py.
"""

from perfmkt_pipeline.platforms.base.affiliates.records import ActionRecord, Window, sync_window
from perfmkt_pipeline.platforms.base.errors import (
    AffiliateDataError,
    AffiliateError,
    AuthenticationError,
    FatalError,
    RetriesExhaustedError,
    RetryableError,
)

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
