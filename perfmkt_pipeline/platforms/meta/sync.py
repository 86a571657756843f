"""Meta's raw landing: ad-level daily insights of every configured ad account, into
raw.meta_accounts, raw.meta_ad_insights and raw.meta_ad_actions, and the account's ad sets and
ads (names, statuses, creative links) into raw.meta_adsets and raw.meta_ads, listed once per
account per run whatever the window (upserted: an object the listing no longer shows keeps its
last description).

Per account it describes the account, then fetches the run's window chunk by chunk (client.py)
and replaces each chunk's days for that account in one transaction. Pages are spooled to local
disk as they arrive (base/spool.py), so memory stays at one page. Several accounts are read at
once (`meta.max_concurrent_accounts` threads, one client each).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.platforms.base import row_loss
from perfmkt_pipeline.platforms.base.parallel import Progress, for_each_account
from perfmkt_pipeline.platforms.base.spec import Landed, Logger, SyncRequest
from perfmkt_pipeline.platforms.base.spool import ArrowSpool
from perfmkt_pipeline.platforms.meta.client import Chunk, MetaClient
from perfmkt_pipeline.platforms.meta.parsing import (
    AccountInfo,
    action_columns,
    ad_row,
    adset_row,
    counted_in_columns,
    insight_row,
)
from perfmkt_pipeline.platforms.meta.tables import (
    meta_accounts,
    meta_ad_actions,
    meta_ad_insights,
    meta_ads,
    meta_adsets,
)
from perfmkt_pipeline.platforms.meta.transport import Clock
from perfmkt_pipeline.platforms.meta.usage import UsageGovernor
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.loss import LossGuard
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice, upsert_rows

ACCOUNTS_KEY = ("raw", "meta_accounts")
INSIGHTS_KEY = ("raw", "meta_ad_insights")
ACTIONS_KEY = ("raw", "meta_ad_actions")
ADSETS_KEY = ("raw", "meta_adsets")
ADS_KEY = ("raw", "meta_ads")
# Said when a re-read that lost too many rows is refused (PLATFORMS.md).
ROW_LOSS_REASON = "Meta omits zero-activity rows and re-attributes actions for 28 days"


def client(
    settings: Settings,
    credentials: dict[str, str | None],
    logger: Any = None,
    clock: Clock | None = None,
    governor: UsageGovernor | None = None,
) -> MetaClient:
    """A client for the configured endpoint and API version (no I/O until it is used). Clients
    used at once by several threads share one `governor`."""
    return MetaClient(
        settings.meta,
        settings.endpoints.meta,
        credentials["access_token"] or "",
        credentials.get("app_secret") or None,
        logger=logger,
        clock=clock,
        governor=governor,
    )


def _table(table: sa.Table, rows: list[dict[str, Any]]) -> pa.Table:
    columns = [c.name for c in table.columns if c.name != "loaded_at"]
    return pa.Table.from_pylist(rows, schema=arrow_schema(table, columns))


class _Pages:
    """Where one ad account's records go page by page (a `RowSink`): parsed at once into raw
    rows, spooled to disk per table, with the spend and counted conversions of each page."""

    def __init__(self, account_id: str, folder: Path, action_types: list[str]):
        self.account_id = account_id
        self.action_types = action_types
        self.insights = ArrowSpool(meta_ad_insights, folder)
        self.actions = ArrowSpool(meta_ad_actions, folder)
        self.totals: list[tuple[Decimal, Decimal]] = []  # (spend, conversions) per page

    def add(self, records: list[dict[str, Any]]) -> None:
        insights = [insight_row(self.account_id, record) for record in records]
        # The actions as columns: about six rows a record, no dict built for each (issue #18).
        actions = action_columns(self.account_id, records, insights)
        self.insights.add(insights)
        self.actions.add_columns(actions)
        spend = sum((row["spend"] or Decimal(0) for row in insights), Decimal(0))
        counted, _ = counted_in_columns(actions, self.action_types)
        self.totals.append((spend, counted))

    def mark(self) -> tuple[int, int, int]:
        return self.insights.mark(), self.actions.mark(), len(self.totals)

    def rollback(self, mark: tuple[int, int, int]) -> None:
        self.insights.rollback(mark[0])
        self.actions.rollback(mark[1])
        del self.totals[mark[2] :]

    def clear(self) -> None:
        self.insights.clear()
        self.actions.clear()
        self.totals = []


def _write_chunk(
    wh: Warehouse,
    account: dict[str, Any] | None,
    chunk: Chunk,
    pages: _Pages,
    guard: LossGuard,
    listings: tuple[list[dict], list[dict]] | None = None,
) -> None:
    """Replace the chunk's days of one account in both tables (and the account's row and its
    listings, when given: with the first chunk) in one transaction, from the spooled pages (an
    answer that lost too many of a table's rows is refused by `guard` and nothing of the chunk
    is written)."""
    account_id = pages.account_id
    days = Slice({"account_id": account_id}, "date", chunk.since, chunk.until)
    with wh.begin() as conn:
        if account is not None:
            rows = _table(meta_accounts, [account])
            replace_slice(
                wh, meta_accounts, rows, Slice({"account_id": account_id}), connection=conn
            )
        for table, spool in (
            (meta_ad_insights, pages.insights),
            (meta_ad_actions, pages.actions),
        ):
            replace_slice(wh, table, spool.frames(), days, connection=conn, guard=guard)
        if listings is not None:  # upserted: an object no longer listed keeps its row
            for table, rows in zip((meta_adsets, meta_ads), listings, strict=True):
                upsert_rows(wh, table, _table(table, rows), connection=conn)


def _listings(client_: MetaClient, account_id: str) -> tuple[list[dict], list[dict]]:
    """The account's ad sets and ads as raw rows, listed once per run."""
    adsets = [adset_row(account_id, record) for record in client_.adsets(account_id)]
    ads = [ad_row(account_id, record) for record in client_.ads(account_id)]
    return adsets, ads


@dataclass
class _Landed:
    """What was landed for one ad account, for the materialization metadata."""

    spend: str
    conversions: str
    insights: int
    actions: int
    waited_seconds: float
    adsets: int = 0
    ads: int = 0


def _load_account(
    log: Logger, wh, client_: MetaClient, settings: Settings, info: AccountInfo, span, progress
):
    """Every chunk of one ad account's range, each landed in its own transaction. Records are
    spooled to local disk page by page, so memory stays at one page however long a chunk."""
    start, end = span
    account_id = info.account_id
    account: dict[str, Any] | None = info.row()
    guard = row_loss.guard("meta", settings.meta, log, why=ROW_LOSS_REASON)
    total_spend = total_conversions = Decimal(0)
    insight_count = action_count = 0
    listings: tuple[list[dict], list[dict]] | None = _listings(client_, account_id)
    adsets, ads = (len(found) for found in listings)
    with tempfile.TemporaryDirectory(prefix="perfmkt-meta-") as folder:
        pages = _Pages(account_id, Path(folder), settings.meta.conversion_action_types)
        for chunk in client_.insights_into(account_id, start, end, pages):
            _write_chunk(wh, account, chunk, pages, guard, listings)
            account = listings = None  # written with the first chunk
            rows = pages.insights.rows
            insight_count += rows
            action_count += pages.actions.rows
            total_spend += sum((spend for spend, _ in pages.totals), Decimal(0))
            total_conversions += sum((counted for _, counted in pages.totals), Decimal(0))
            pages.clear()
            so_far = progress.add_rows(rows)
            log.info(
                f"meta act_{account_id}: {chunk.since}..{chunk.until}: {rows} rows; {so_far} "
                f"rows so far ({progress.accounts_done}/{progress.accounts} accounts done)"
            )
    progress.account_done()
    return _Landed(
        f"{total_spend} {info.currency}",
        str(total_conversions),
        insight_count,
        action_count,
        client_.transport.waited_seconds,
        adsets,
        ads,
    )


def sync(request: SyncRequest) -> Iterator[Landed]:
    """Land the request's window of every configured ad account (the spec's `sync`)."""
    settings, log, wh = request.settings, request.log, request.warehouse
    start, end = request.start, request.end
    credentials = dict(request.credentials)
    accounts = settings.meta.account_ids
    # Graph's usage is per ad account and per app: one governor sees every thread's responses.
    governor = UsageGovernor(
        settings.meta.throttle_start_pct, settings.meta.throttle_max_wait_seconds
    )
    progress = Progress(len(accounts))
    log.info(
        f"meta {start}..{end}: {len(accounts)} ad account(s) to read, "
        f"{settings.meta.max_concurrent_accounts} at a time"
    )

    # Accounts are described one after another first: bad credentials fail on the first call.
    describer = client(settings, credentials, logger=log, governor=governor)
    infos = [describer.account(account_id) for account_id in accounts]

    def land(info: AccountInfo) -> _Landed:
        # One client (one HTTP session) per account: the SDK session is not shared by threads.
        one = client(settings, credentials, logger=log, governor=governor)
        return _load_account(log, wh, one, settings, info, (start, end), progress)

    landed = for_each_account(infos, land, settings.meta.max_concurrent_accounts, name="meta")
    wh.refresh_statistics([meta_accounts, meta_ad_insights, meta_ad_actions, meta_adsets, meta_ads])
    insight_count = sum(a.insights for a in landed)
    action_count = sum(a.actions for a in landed)
    window_metadata = {
        "accounts": len(accounts),
        "days": (end - start).days + 1,
        "window": f"{start}..{end}",
    }
    yield Landed(ACCOUNTS_KEY, {"dagster/row_count": len(accounts), "accounts": len(accounts)})
    yield Landed(
        INSIGHTS_KEY,
        {
            "dagster/row_count": insight_count,
            "rows": insight_count,
            **window_metadata,
            "spend_by_account": {a: x.spend for a, x in zip(accounts, landed, strict=True)},
            "conversions_by_account": {
                a: x.conversions for a, x in zip(accounts, landed, strict=True)
            },
            "rate_limit_wait_seconds": round(
                describer.transport.waited_seconds + sum(a.waited_seconds for a in landed), 1
            ),
        },
    )
    yield Landed(
        ACTIONS_KEY, {"dagster/row_count": action_count, "rows": action_count, **window_metadata}
    )
    for key, count in ((ADSETS_KEY, sum(a.adsets for a in landed)),
                       (ADS_KEY, sum(a.ads for a in landed))):  # fmt: skip
        yield Landed(key, {"listed": count, "accounts": len(accounts)})
