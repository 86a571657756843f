"""Bounded account-level concurrency for the connector assets.

A backfill spends most of its time waiting on the APIs (network latency, report runs being
prepared, rate-limit pacing), and the platforms' limits are per account. So a connector asset
reads several accounts at once, each in its own thread with its own connection, and still writes
each account's window in its own transaction: the warehouse serialises writers
(`Warehouse.begin()`), so threads queue for the writer like separate processes do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def for_each_account(
    accounts: Sequence[T], work: Callable[[T], R], max_workers: int, *, name: str
) -> list[R]:
    """`work(account)` for every account, at most `max_workers` at a time; results in the order
    of `accounts`. After a failure no further account is started; those running are let finish
    (their writes are whole), then the first failure is raised."""
    if max_workers <= 1 or len(accounts) <= 1:
        return [work(account) for account in accounts]
    queue = iter(enumerate(accounts))
    results: dict[int, R] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(
        max_workers=min(max_workers, len(accounts)), thread_name_prefix=name
    ) as pool:
        running: dict[Future[R], int] = {}

        def start_next() -> None:
            for index, account in queue:
                running[pool.submit(work, account)] = index
                return

        for _ in range(min(max_workers, len(accounts))):
            start_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                if future.exception() is not None:
                    failure = failure or future.exception()
                else:
                    results[index] = future.result()
                if failure is None:
                    start_next()
    if failure is not None:
        raise failure
    return [results[index] for index in range(len(accounts))]


class Progress:
    """Running totals shared by the threads of one asset, for the progress log lines."""

    def __init__(self, accounts: int):
        self.accounts = accounts
        self._lock = threading.Lock()
        self.rows = 0
        self.accounts_done = 0

    def add_rows(self, rows: int) -> int:
        """Count `rows` landed; returns the total so far."""
        with self._lock:
            self.rows += rows
            return self.rows

    def account_done(self) -> int:
        """Count one account finished; returns how many are."""
        with self._lock:
            self.accounts_done += 1
            return self.accounts_done
