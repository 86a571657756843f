"""Meta Marketing API connector (facebook-business SDK): ad-level daily insights.

client.py plans ranges and runs sync calls and async report runs; transport.py owns the SDK
session, usage pacing and retries; errors.py classifies failures; usage.py reads the usage
headers; parsing.py turns records into raw landing rows.
"""

from perfmkt_pipeline.platforms.meta.client import Chunk, InsightsChunk, MetaClient, plan_chunks
from perfmkt_pipeline.platforms.meta.errors import (
    MetaAsyncJobError,
    MetaDataError,
    MetaError,
    MetaFatalError,
    MetaRetriesExhausted,
)
from perfmkt_pipeline.platforms.meta.parsing import (
    AccountInfo,
    action_rows,
    insight_row,
)
from perfmkt_pipeline.platforms.meta.transport import Clock, SystemClock

__all__ = [
    "AccountInfo",
    "Chunk",
    "Clock",
    "InsightsChunk",
    "MetaAsyncJobError",
    "MetaClient",
    "MetaDataError",
    "MetaError",
    "MetaFatalError",
    "MetaRetriesExhausted",
    "SystemClock",
    "action_rows",
    "insight_row",
    "plan_chunks",
]
