"""API efficiency: requests per account-day of a 365-day backfill of every platform at
benchmark scale, against the common pattern of one request per account per day.

Counted: every request each platform's stand-in received during the backfill, as the sandbox's
counters saw them (nothing is left out):
- Google Ads: SearchStream calls (metrics and conversions per action, of campaigns, ads and
  keywords, per account per chunk of days; the listings; the manager's account listing) and
  the OAuth token exchanges;
- Meta: account lookups, report runs created, report-run status polls, result pages (and
  synchronous insights calls for short tails);
- impact.com: Actions pages; CJ: GraphQL queries (one per page); Awin: transaction calls.
Account-days: the accounts of the platform x the days the backfill read (365; the networks'
trailing window is shorter than that). Baseline: 1 request per account-day per daily report the
platform reads (issue #17: Google Ads reads six, campaign metrics, conversions per action, ads,
keywords, and the ads' and keywords' conversions per action; Meta one, the ad-level insights
its ad sets and ads are also made from; listings without metrics are read once per run and
counted, but are no daily report). Target: at least 10x fewer.

CJ also prints the least any client could make: CJ answers at most 10,000 records a response
and 31 days a query, so the records of each 31-day window of event days (the client's reading)
cost at least ceil(records / 10,000) requests, however the client is written. At 1,000 actions a day that
floor is above a tenth of a request per account-day: the 10x target cannot be met for CJ at this
volume (see the README).
"""

from __future__ import annotations

import datetime as dt
import math
import sys

from benchmarks import runs
from benchmarks.common import Figure, number, report
from benchmarks.scenario import API_PLATFORMS, AS_OF, Backfill, day_range, world
from perfmkt_pipeline.platforms.base.affiliates.records import chunks
from perfmkt_pipeline.platforms.cj.client import CJ_MAX_WINDOW_DAYS
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.platforms.cj.standin.app import CJ_PAGE_SIZE
from perfmkt_pipeline.sandbox.world import World

# Requests to these stand-ins count for the platform too.
ALSO_COUNTED = {"google_ads": ("google_oauth",)}
# The daily reports each platform reads (one by default).
DAILY_REPORTS = {"google_ads": 6}
TARGET = 10.0


def accounts(platform: str) -> int:
    return sum(1 for a in world().accounts(platform) if a.serves_data)


def cj_least_requests(days: int) -> tuple[int, int]:
    """(records of CJ events in the `days`-day range, the fewest requests that read them): each
    31-day query window costs ceil(its records / 10,000) requests, and at least one."""
    served = World(world(), as_of=AS_OF)
    start, end = day_range(days)
    records = requests = 0
    for account in served.accounts("cj"):
        for first, last in chunks(start, end, CJ_MAX_WINDOW_DAYS):
            since = dt.datetime.combine(first, dt.time(), dt.UTC)
            before = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
            found = len(
                cj_data.cj_commissions(served, account.account_id, since, before, by="event")
            )
            records += found
            requests += max(1, math.ceil(found / CJ_PAGE_SIZE))
    return records, requests


def figures(year: Backfill) -> list[Figure]:
    print(
        f"API efficiency: a {year.days}-day backfill at benchmark scale ({year.describe()}); "
        "requests as the sandbox counted them:"
    )
    out = []
    for platform in API_PLATFORMS:
        counted = (platform, *ALSO_COUNTED.get(platform, ()))
        kinds = {k: n for (p, k), n in sorted(year.requests.items()) if p in counted}
        requests = sum(kinds.values())
        account_days = accounts(platform) * year.days
        reports = DAILY_REPORTS.get(platform, 1)
        per_account_day = requests / account_days / reports
        detail = ", ".join(f"{k} {n:,}" for k, n in kinds.items())
        print(
            f"  {platform}: {requests:,} requests for {account_days:,} account-days x "
            f"{reports} daily report(s) = {number(per_account_day)} per account-day per report "
            f"({number(requests / account_days)} per account-day; {detail})"
        )
        if platform == "cj":
            records, least = cj_least_requests(year.days)
            print(
                f"    CJ's limits (10,000 records a response, 31 days a query): its "
                f"{records:,} records need at least {least:,} requests, "
                f"{number(least / account_days)} per account-day, so at best "
                f"{account_days / least:.2f}x fewer than the baseline (without the 31-day "
                f"limit, {math.ceil(records / CJ_PAGE_SIZE):,} requests: "
                f"{account_days / math.ceil(records / CJ_PAGE_SIZE):.2f}x)"
            )
        out.append(
            Figure(
                f"API requests per account-day per report, {platform}",
                per_account_day,
                1.0,
                "req",
                False,
                TARGET,
            )
        )
    return out


def run() -> list[Figure]:
    return figures(runs.year_backfill())


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
