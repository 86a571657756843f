"""Bounded account-level concurrency (defs/parallel.py)."""

from __future__ import annotations

import threading
import time

import pytest

from perfmkt_pipeline.platforms.base.parallel import Progress, for_each_account


def test_results_come_back_in_account_order_with_at_most_the_bound_running_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def work(account: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02 * (5 - account))  # later accounts finish first
        with lock:
            running[0] -= 1
        return account * 10

    assert for_each_account([1, 2, 3, 4], work, 3, name="test") == [10, 20, 30, 40]
    assert peak[0] == 3


def test_one_account_at_a_time_runs_in_the_calling_thread():
    threads = []
    for_each_account(["a", "b"], lambda a: threads.append(threading.current_thread()), 1, name="t")
    assert threads == [threading.main_thread()] * 2


def test_after_a_failure_no_account_starts_and_the_running_one_finishes():
    started, finished = [], []

    def work(account: str) -> str:
        started.append(account)
        if account == "bad":
            raise ValueError("meta act_bad: refused")
        time.sleep(0.2)  # still running when "bad" fails
        finished.append(account)
        return account

    with pytest.raises(ValueError, match="meta act_bad: refused"):
        for_each_account(["slow", "bad", "later", "last"], work, 2, name="t")
    assert sorted(started) == ["bad", "slow"]
    assert finished == ["slow"]


def test_progress_counts_rows_and_accounts_across_threads():
    progress = Progress(accounts=4)
    for_each_account(
        range(4), lambda _: (progress.add_rows(5), progress.account_done()), 4, name="t"
    )
    assert (progress.rows, progress.accounts_done, progress.accounts) == (20, 4, 4)
