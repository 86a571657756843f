"""`connections_shared`: the units of work of a block (a step) share one DuckDB connection, each
still its own transaction, and the file and its writer lock are free again when the block ends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from filelock import FileLock, Timeout

from perfmkt_pipeline.warehouse.engine import Warehouse, connections_shared


@pytest.fixture
def duckdb_warehouse(duckdb_url: str) -> Iterator[Warehouse]:
    wh = Warehouse(duckdb_url)
    with wh.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield wh
    wh.dispose()


def _count_opens(wh: Warehouse) -> list[int]:
    opens = [0]
    sa.event.listen(wh.engine, "connect", lambda *_: opens.__setitem__(0, opens[0] + 1))
    return opens


def _rows(wh: Warehouse) -> list[int]:
    with wh.begin() as conn:
        return [n for (n,) in conn.exec_driver_sql("SELECT n FROM t ORDER BY n")]


def _lock_is_free(wh: Warehouse) -> bool:
    """Whether another holder (another open of the lock file, as another process makes) could
    take the writer lock now."""
    other = FileLock(f"{wh.url.database}.lock", thread_local=False)
    try:
        other.acquire(timeout=0)
    except Timeout:
        return False
    other.release()
    return True


def _another_process_opens(path: str) -> bool:
    code = f"import duckdb; duckdb.connect({path!r}).close()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_units_of_a_block_share_one_connection_and_outside_each_opens_its_own(
    duckdb_warehouse: Warehouse,
) -> None:
    wh = duckdb_warehouse
    opens = _count_opens(wh)
    with connections_shared():
        for n in (1, 2, 3):
            with wh.begin() as conn:
                conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
    assert opens == [1]
    for n in (4, 5, 6):
        with wh.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
    assert opens == [4]
    assert _rows(wh) == [1, 2, 3, 4, 5, 6]


def test_a_failed_unit_rolls_back_only_itself_and_the_next_opens_a_new_connection(
    duckdb_warehouse: Warehouse,
) -> None:
    wh = duckdb_warehouse
    opens = _count_opens(wh)
    with connections_shared():
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError, match="second unit fails"), wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            raise RuntimeError("second unit fails")
        assert _lock_is_free(wh)  # the failed unit's connection is closed, its lock released
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (3)")
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (4)")
    assert opens == [2]
    assert _rows(wh) == [1, 3, 4]


def test_the_lock_and_the_file_are_held_in_the_block_and_free_when_it_ends(
    duckdb_warehouse: Warehouse,
) -> None:
    wh = duckdb_warehouse
    path = str(wh.url.database)
    with connections_shared():
        assert _lock_is_free(wh)  # nothing is taken before the first unit of work
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert not _lock_is_free(wh)
        assert not _another_process_opens(path)
    assert _lock_is_free(wh)
    assert _another_process_opens(path)
    assert _rows(wh) == [1]


def test_a_unit_begun_inside_another_gets_its_own_connection(
    duckdb_warehouse: Warehouse,
) -> None:
    wh = duckdb_warehouse
    opens = _count_opens(wh)
    with connections_shared():
        with wh.begin() as outer:
            outer.exec_driver_sql("INSERT INTO t VALUES (1)")
            with wh.begin() as inner:
                assert inner is not outer
                inner.exec_driver_sql("INSERT INTO t VALUES (2)")
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (3)")
    assert opens == [2]
    assert _rows(wh) == [1, 2, 3]


def test_nested_blocks_release_at_the_outermost_end(duckdb_warehouse: Warehouse) -> None:
    wh = duckdb_warehouse
    opens = _count_opens(wh)
    with connections_shared():
        with connections_shared(), wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert not _lock_is_free(wh)
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert _lock_is_free(wh)
    assert opens == [1]


def test_an_error_raised_in_the_block_outside_a_unit_still_releases(
    duckdb_warehouse: Warehouse,
) -> None:
    wh = duckdb_warehouse
    with pytest.raises(KeyError), connections_shared():
        with wh.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        raise KeyError("after the unit")
    assert _lock_is_free(wh)
    assert _rows(wh) == [1]


@pytest.mark.postgres
def test_on_postgresql_the_block_changes_nothing(postgres_url: str) -> None:
    wh = Warehouse(postgres_url)
    try:
        with wh.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        with connections_shared(), wh.begin() as first:
            first.exec_driver_sql("INSERT INTO t VALUES (1)")
            with wh.begin() as second:  # its own connection, as outside the block
                assert second is not first
                second.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert _rows(wh) == [1, 2]
    finally:
        wh.dispose()
