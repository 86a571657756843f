"""Test foundation: temporary warehouses on DuckDB and on the local PostgreSQL server.

PostgreSQL tests use a throwaway database on the server at `PERFMKT_TEST_POSTGRES_URL` (default the
local trust-auth server). Outside CI a missing server skips them, saying why; with `CI=true` it is
a failure, so CI can never go green without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from perfmkt_pipeline.sandbox import tls
from perfmkt_pipeline.warehouse.engine import Warehouse

POSTGRES_URL = os.environ.get(
    "PERFMKT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    # gRPC reads its root certificates once per process, at the first TLS channel: name the
    # sandbox CA before any test builds a Google Ads client.
    # (Set directly: the machine may name the system bundle, which install_trust would warn of.)
    os.environ[tls.GRPC_ROOTS_ENV] = tls.ca_file()


def _postgres_admin_engine() -> sa.Engine:
    engine = sa.create_engine(
        Warehouse(POSTGRES_URL).url,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        engine.dispose()
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {error.orig}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    return engine


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[sa.Engine]:
    engine = _postgres_admin_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_server: sa.Engine) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"perfmkt_test_{uuid.uuid4().hex[:12]}"
    with postgres_server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.url.set(database=name)
    yield url.render_as_string(hide_password=False)
    with postgres_server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on DuckDB and once on PostgreSQL."""
    if request.param == "duckdb":
        return request.getfixturevalue("duckdb_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    """A migrated, empty warehouse on each engine."""
    wh = Warehouse(warehouse_url)
    wh.ensure_schema()
    yield wh
    wh.dispose()
