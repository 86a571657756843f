"""API efficiency: requests per account-day of a 365-day backfill of every platform at
benchmark scale, against the common pattern of one request per account per day.

Counted: every request each platform's stand-in received during the backfill, as the sandbox's
counters saw them (nothing is left out):
- Google Ads: SearchStream calls (metrics and conversions per account per chunk of days, the
  manager's account listing) and the OAuth token exchanges;
- Meta: account lookups, report runs created, report-run status polls, result pages (and
  synchronous insights calls for short tails);
- impact.com: Actions pages; CJ: GraphQL queries (one per page); Awin: transaction calls.
Account-days: the accounts of the platform x the days the backfill read (365; the networks'
trailing window is shorter than that). Baseline: 1 request per account-day. Target: at least
10x fewer.
"""

from __future__ import annotations

import sys

from benchmarks import runs
from benchmarks.common import Figure, number, report
from benchmarks.scenario import API_PLATFORMS, Backfill
from perfmkt_pipeline.sandbox.spec import WorldSpec

# Requests to these stand-ins count for the platform too.
ALSO_COUNTED = {"google_ads": ("google_oauth",)}
TARGET = 10.0


def accounts(platform: str) -> int:
    return sum(1 for a in WorldSpec.benchmark().accounts(platform) if a.serves_data)


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
        per_account_day = requests / account_days
        detail = ", ".join(f"{k} {n:,}" for k, n in kinds.items())
        print(
            f"  {platform}: {requests:,} requests for {account_days:,} account-days "
            f"= {number(per_account_day)} per account-day ({detail})"
        )
        out.append(
            Figure(
                f"API requests per account-day, {platform}",
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
