"""The measure registry: the base measures are declared once, and everything that lists measures
(core and mart columns, the platforms' local rows, marts, restatements, checks) follows it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pyarrow as pa
import pytest

from perfmkt_pipeline.transform.core.common import PERFORMANCE_LOCAL, conform
from perfmkt_pipeline.warehouse import measures, tables


def test_the_base_measures_and_ratios_are_declared_with_their_types() -> None:
    declared = [(m.name, str(m.arrow_type), m.money, m.reported) for m in measures.MEASURES]
    assert declared == [
        ("spend", "decimal128(20, 6)", True, "spend_local"),
        ("impressions", "int64", False, "impressions"),
        ("clicks", "int64", False, "clicks"),
        ("conversions", "decimal128(20, 6)", False, "conversions"),
        ("conversion_value", "decimal128(20, 6)", True, "conversion_value_local"),
    ]
    assert [(r.name, r.numerator, r.denominator, r.factor) for r in measures.RATIOS] == [
        ("ctr", "clicks", "impressions", 1),
        ("cpc", "spend", "clicks", 1),
        ("cpm", "spend", "impressions", 1000),
        ("cvr", "conversions", "clicks", 1),
        ("cpa", "spend", "conversions", 1),
        ("roas", "conversion_value", "spend", 1),
    ]
    assert tables.converted_amounts(tables.ad_performance_daily) == {
        "spend_local": "spend",
        "conversion_value_local": "conversion_value",
    }


def test_a_ratio_over_an_unknown_measure_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"ratio vtr is over unknown measure\(s\) \['views'\]"):
        measures.Ratio("vtr", "views", "impressions")


def test_a_money_measure_must_have_the_money_type() -> None:
    with pytest.raises(ValueError, match="measure refunds: money is converted at the MONEY scale"):
        measures.Measure("refunds", measures.COUNT, "refunds", money=True)


def test_a_measure_a_platform_does_not_report_is_null_but_a_missing_key_is_refused() -> None:
    day = dt.date(2026, 11, 5)
    local = pa.table(
        {"date": [day], "platform": ["cj"], "account_id": ["7"], "campaign_id": ["p"],
         "currency": ["EUR"], "conversions": [Decimal("2")], "spend_local": [Decimal("7")],
         "conversion_value_local": [Decimal("70")]}
    )  # fmt: skip
    (row,) = conform(local, PERFORMANCE_LOCAL).to_pylist()
    assert (row["impressions"], row["clicks"], row["spend_local"]) == (None, None, Decimal("7"))
    with pytest.raises(KeyError, match="campaign_id"):
        conform(local.drop_columns(["campaign_id"]), PERFORMANCE_LOCAL)


# A fresh interpreter declares one more measure, as a later migration would add it, and reports
# where it shows up: nothing else is edited.
_NEW_MEASURE = r"""
import datetime as dt, json
from decimal import Decimal as D
import pyarrow as pa
from perfmkt_pipeline.warehouse import measures as m
views = m.Measure("video_views", m.COUNT, "video views", "video views (NULL where not reported)",
                  never_negative=True, added_in="0099")
m.MEASURES = (*m.MEASURES, views)
m.NAMES, m.BY_NAME = tuple(x.name for x in m.MEASURES), {x.name: x for x in m.MEASURES}
from perfmkt_pipeline.defs import checks
from perfmkt_pipeline.transform import marts, restatements
from perfmkt_pipeline.transform.core.common import finish_performance
from perfmkt_pipeline.transform.fx import FX_COLUMNS
from perfmkt_pipeline.warehouse import tables

day = dt.date(2026, 11, 5)
def local(platform, campaign, views):
    row = {"date": day, "platform": platform, "account_id": "1", "campaign_id": campaign,
           "currency": "EUR", "impressions": 100, "clicks": 5, "conversions": D(1),
           "spend_local": D(2), "conversion_value_local": D(3)}
    return row if views is None else {**row, "video_views": views}
def core(*rows):
    rates = tables.arrow_schema(tables.fx_rates, FX_COLUMNS).empty_table()
    return finish_performance(pa.Table.from_pylist(list(rows)), rates, "EUR", day,
                              {"meta": 1, "google_ads": 1})
meta = core(local("meta", "a", 7), local("meta", "b", 8))
google = core(local("google_ads", "g", None))
channel = marts.channel_daily(pa.concat_tables([meta, google]))
changed = core(local("meta", "a", 9), local("meta", "b", 8))
restated = restatements.restatements(meta, changed, dt.datetime(2026, 11, 6, tzinfo=dt.UTC))
print(json.dumps({
    "core": [c.name for c in tables.ad_performance_daily.columns][-3:],
    "channel_daily": [c.name for c in tables.channel_daily.columns][-3:],
    "google_core": google["video_views"].to_pylist(),
    "channel_views": {r["platform"]: r["video_views"] for r in channel.to_pylist()},
    "restated": [(r["campaign_id"], r["metric"], str(r["old_value"]), str(r["new_value"]))
                 for r in restated.to_pylist()],
    "mart_checked": checks.MART_MEASURES[-1],
    "never_negative": checks.NEVER_NEGATIVE,
}))
"""


def test_a_new_measure_reaches_core_marts_restatements_and_checks_from_its_declaration() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NEW_MEASURE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        # ALTER TABLE ... ADD COLUMN appends: the declaration puts it where the migration does.
        "core": ["settled", "loaded_at", "video_views"],
        "channel_daily": ["settled", "loaded_at", "video_views"],
        "google_core": [None],  # a platform whose mapping does not fill it: NULL
        "channel_views": {"google_ads": None, "meta": 15},
        "restated": [["a", "video_views", "7.000000", "9.000000"]],
        "mart_checked": "video_views",
        "never_negative": ["spend_local", "spend", "impressions", "clicks", "video_views"],
    }
