"""Peak memory of a 30-day and a 365-day backfill of every platform at benchmark scale.

Each backfill runs in a fresh process tree; the figure is the largest resident set of any of
its processes (the run and its step processes), read with getrusage once all have ended. Work is
streamed in chunks (a report run, a stream, a request window; pages spooled to local disk), so
a year should need about the memory of a month. Target: the 365-day peak within 1.2x of the
30-day peak.
"""

from __future__ import annotations

import sys

from benchmarks import runs
from benchmarks.common import Figure, report

TARGET = 1 / 1.2


def run() -> list[Figure]:
    month, year = runs.month_backfill(), runs.year_backfill()
    print("peak memory:")
    for backfill in (month, year):
        print(f"  {backfill.describe()}")
    return [
        Figure(
            "peak memory, 365-day vs 30-day backfill",
            year.peak_rss_mb,
            month.peak_rss_mb,
            "MB",
            False,
            TARGET,
            condition="the 365-day peak is at most 1.2x the 30-day peak",
            condition_met=year.peak_rss_mb <= 1.2 * month.peak_rss_mb,
        )
    ]


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
