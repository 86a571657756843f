"""The DDL of every declared table, for DuckDB and PostgreSQL, is byte-for-byte what it was when
the columns were still written out table by table (fixtures/ddl_<dialect>.sql, captured from main
at 0c406a9, before the measure registry). A change to a declaration that alters a table must come
with a migration, and then with a new fixture on purpose (run this file as a script): the orders
tables of migration 0007 were added so, Google Ads' ad and keyword conversions per action
(migration 0011) and raw.affiliate_actions' comments for any network (migration 0012)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import perfmkt_pipeline.platforms.orders.raw_tables  # noqa: F401  (raw.orders, not registered yet)
import perfmkt_pipeline.warehouse.raw  # noqa: F401  (declares the raw tables on the metadata)
from perfmkt_pipeline import platforms
from perfmkt_pipeline.warehouse import tables

platforms.all_specs()  # declares each platform's own raw tables (platforms/<name>/tables.py)

FIXTURES = Path(__file__).parent / "fixtures"
DIALECTS = {"duckdb": "duckdb:///:memory:", "postgresql": "postgresql+psycopg://"}


def table_ddl(url: str) -> str:
    """Every statement `create_all` emits for each table (CREATE TABLE, comments, indexes),
    compiled for the dialect of `url`, table by table in the metadata's order."""
    statements: list[str] = []

    def record(sql, *multiparams, **params) -> None:
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = sa.create_mock_engine(url, record)
    text = []
    for table in tables.metadata.sorted_tables:
        statements.clear()
        tables.metadata.create_all(engine, tables=[table], checkfirst=False)
        text.append(f"-- {table.fullname}\n" + "".join(f"{s};\n" for s in statements))
    return "\n".join(text)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_table_compiles_to_the_ddl_it_had_before_the_shared_declarations(
    dialect: str,
) -> None:
    expected = (FIXTURES / f"ddl_{dialect}.sql").read_text()
    assert table_ddl(DIALECTS[dialect]) == expected


if __name__ == "__main__":  # regenerate the fixtures: only together with a migration
    for name, url in DIALECTS.items():
        (FIXTURES / f"ddl_{name}.sql").write_text(table_ddl(url))
