"""The base measures and the ratios over them: declared once, here.

A measure is a number every platform may report per campaign and day. The core and mart tables
(tables.py) get their measure and ratio columns from `MEASURES` and `RATIOS`, and so do the
Arrow schemas and column lists of transform/, the restatement log, the asset checks and the
benchmarks. Adding a measure is one `Measure(...)` here plus a migration adding its columns
(`added_in` names it: ALTER TABLE appends, so its columns come after `loaded_at`); a platform
then fills it in its core mapping (a platform that does not report it leaves it NULL).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.warehouse.types import CONVERSIONS, COUNT, MONEY, arrow_type

LOCAL_SUFFIX = "_local"


@dataclass(frozen=True)
class Measure:
    name: str
    type: sa.types.TypeEngine
    mart_comment: str  # its column comment in the marts (reporting currency)
    # Its comment in core.ad_performance_daily; a money measure's come from the amount columns.
    core_comment: str | None = None
    # An amount: core keeps `<name>_local` (account currency) and `<name>` (reporting currency).
    money: bool = False
    never_negative: bool = False  # checked by no_negative_spend_clicks_impressions
    # The migration that added its columns; None: they are in the first schema, in this order.
    added_in: str | None = None

    def __post_init__(self) -> None:
        if self.money and self.type is not MONEY:
            raise ValueError(f"measure {self.name}: money is converted at the MONEY scale")
        if not self.money and self.core_comment is None:
            raise ValueError(f"measure {self.name} needs its core column comment")

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.type)

    @property
    def reported(self) -> str:
        """The core column holding the value as the platform reported it (money: before FX)."""
        return f"{self.name}{LOCAL_SUFFIX}" if self.money else self.name


MEASURES: tuple[Measure, ...] = (
    Measure("spend", MONEY, "spend in the reporting currency", money=True, never_negative=True),
    Measure(
        "impressions",
        COUNT,
        "impressions",
        "impressions (NULL where an affiliate network does not report them)",
        never_negative=True,
    ),
    Measure(
        "clicks",
        COUNT,
        "clicks",
        "clicks (NULL where an affiliate network does not report them)",
        never_negative=True,
    ),
    Measure(
        "conversions",
        CONVERSIONS,
        "conversions as each platform claims them",
        "conversions that count per the configured mapping",
    ),
    Measure("conversion_value", MONEY, "conversion value in the reporting currency", money=True),
)
NAMES: tuple[str, ...] = tuple(m.name for m in MEASURES)
BY_NAME: dict[str, Measure] = {m.name: m for m in MEASURES}


@dataclass(frozen=True)
class Ratio:
    """factor x numerator / denominator over two measures; NULL where the denominator is 0 or
    NULL (transform/metrics.py computes it exactly)."""

    name: str
    numerator: str
    denominator: str
    factor: int = 1

    def __post_init__(self) -> None:
        unknown = {self.numerator, self.denominator} - set(NAMES)
        if unknown:
            raise ValueError(f"ratio {self.name} is over unknown measure(s) {sorted(unknown)}")

    @property
    def comment(self) -> str:
        scaled = f"{self.factor} x " if self.factor != 1 else ""
        return (
            f"{scaled}{self.numerator} / {self.denominator}; "
            f"NULL when {self.denominator} is 0 or NULL"
        )


RATIOS: tuple[Ratio, ...] = (
    Ratio("ctr", "clicks", "impressions"),
    Ratio("cpc", "spend", "clicks"),
    Ratio("cpm", "spend", "impressions", factor=1000),
    Ratio("cvr", "conversions", "clicks"),
    Ratio("cpa", "spend", "conversions"),
    Ratio("roas", "conversion_value", "spend"),
)
RATIO_NAMES: tuple[str, ...] = tuple(r.name for r in RATIOS)
