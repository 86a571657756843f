"""The below-campaign tables as they must be, worked out in Decimal from the sandbox's ground
truth (platforms/<name>/standin/truth.py): the reporting-currency amounts by the ECB rule
(orders' truth.fx_rate, the same rule core follows), the marts summed and their ratios divided
here, not by the pipeline's code."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import urlsplit

from perfmkt_pipeline.platforms.orders.standin.truth import fx_rate
from perfmkt_pipeline.transform.utm import utm_parameters

_MONEY, _RATIO = Decimal("0.000001"), Decimal("0.0000000001")
MEASURES = ("spend", "impressions", "clicks", "conversions", "conversion_value")
CHANNELS = {"meta": "social", "google_ads": "search"}


def with_reporting(
    world, rows: Iterable[dict], currency: str, settled: Callable[[str, dt.date], bool]
) -> list[dict]:
    """Core daily rows (ids, local measures) with channel, FX columns and settled."""
    out = []
    for row in rows:
        rate = fx_rate(world, row["currency"], row["date"], currency)
        done = {
            **row,
            "reporting_currency": currency,
            "fx_rate": rate,
            "spend": (row["spend_local"] * rate).quantize(_MONEY, ROUND_HALF_EVEN),
            "conversion_value": (row["conversion_value_local"] * rate).quantize(
                _MONEY, ROUND_HALF_EVEN
            ),
            "settled": settled(row["platform"], row["date"]),
        }
        if "ad_id" in row:
            done["channel"] = CHANNELS[row["platform"]]
        out.append(done)
    return out


def _ratio(numerator, denominator, factor: int = 1) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) * factor / Decimal(denominator)).quantize(_RATIO, ROUND_HALF_EVEN)


def ratios(row: Mapping) -> dict:
    return {
        "ctr": _ratio(row["clicks"], row["impressions"]),
        "cpc": _ratio(row["spend"], row["clicks"]),
        "cpm": _ratio(row["spend"], row["impressions"], 1000),
        "cvr": _ratio(row["conversions"], row["clicks"]),
        "cpa": _ratio(row["spend"], row["conversions"]),
        "roas": _ratio(row["conversion_value"], row["spend"]),
    }


def mart(rows: Iterable[Mapping], keys: list[str], named: Callable[[tuple], dict]) -> list[dict]:
    """Rows summed per `keys`, each with `named(key)`, the ratios and settled (all)."""
    sums: dict[tuple, dict] = defaultdict(lambda: {m: 0 for m in MEASURES} | {"settled": True})
    for row in rows:
        total = sums[tuple(row[k] for k in keys)]
        for m in MEASURES:
            total[m] += row[m]
        total["settled"] = total["settled"] and row["settled"]
    out = []
    for key, total in sums.items():
        row = dict(zip(keys, key, strict=True))
        out.append({**row, **named(key), **total, **ratios(total)})
    return out


def url_parts(url: str) -> dict:
    split = urlsplit(url)
    return {"url_host": split.hostname, "url_path": split.path or None, **utm_parameters(url)}


def by_grain(rows: Iterable[dict], grain: list[str]) -> list[dict]:
    return sorted(rows, key=lambda r: tuple((r[k] is not None, str(r[k])) for k in grain))


def pick(rows: list[dict], columns: list[str]) -> list[dict]:
    return [{c: r[c] for c in columns} for r in rows]


def utm_spend(world, ad_days: Iterable[dict], ads: Iterable[dict], currency: str) -> dict:
    """(date, utm_source, utm_medium, utm_campaign) -> the spend (reporting currency, each ad
    row converted on its own) of the ads whose final URL carries those tags (at least one)."""
    url_of = {(a["platform"], a["account_id"], a["ad_id"]): a["final_url"] for a in ads}
    found: dict = defaultdict(Decimal)
    for row in with_reporting(world, ad_days, currency, lambda platform, day: False):
        url = url_of.get((row["platform"], row["account_id"], row["ad_id"]))
        tags = utm_parameters(url) if url else {}
        key = (tags.get("utm_source"), tags.get("utm_medium"), tags.get("utm_campaign"))
        if any(v is not None for v in key):
            found[(row["date"], *key)] += row["spend"]
    return dict(found)
