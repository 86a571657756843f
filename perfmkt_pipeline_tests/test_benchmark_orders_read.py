"""The orders benchmark (benchmarks/orders_read.py) end to end through its own `run()` at 1,000
orders (`PERFMKT_BENCH_ORDERS`; 1,000,000 at full scale): the generated orders loaded into a
MariaDB database of its own, then read by two fresh processes as the raw orders asset reads
them, every order of each table landed, and the figure says so."""

from __future__ import annotations

from benchmarks import orders_read
from benchmarks.common import Figure
from perfmkt_pipeline_tests.platforms.orders.support import mariadb_server  # noqa: F401


def test_orders_read_lands_every_order_of_both_tables(
    mariadb_server,  # noqa: F811
    postgres_server,
    monkeypatch,
    capsys,
):
    monkeypatch.setenv("PERFMKT_BENCH_ORDERS", "1000")

    [figure] = orders_read.run()

    printed = capsys.readouterr().out
    # Both reads in one chunk of 20,000 rows at most.
    assert "  small: 100 orders in 1 chunks" in printed
    assert "  large: 1,000 orders in 1 chunks" in printed
    assert figure == Figure(
        "peak memory, 1,000 vs 100 orders from MariaDB",
        figure.value,
        figure.baseline,
        "MB",
        False,
        1 / 1.2,
        condition="every order read (1,000 and 100)",
        condition_met=True,
    )
    assert 20 < figure.baseline < 2000 and 20 < figure.value < 2000
