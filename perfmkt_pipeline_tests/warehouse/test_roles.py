"""The analyst role (acceptance 4): on a PostgreSQL warehouse it reads every core and marts table,
including tables created later, and cannot write, create or read raw; granting is idempotent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from perfmkt_pipeline.cli import main
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.roles import RoleError, grant_analyst

pytestmark = pytest.mark.postgres

LOADED_AT = "2026-11-20 06:00:00+00"


@pytest.fixture
def pg_warehouse(postgres_url: str) -> Iterator[Warehouse]:
    """A migrated warehouse with one row in a core, a marts and a raw table."""
    wh = Warehouse(postgres_url)
    wh.ensure_schema()
    with wh.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO core.fx_rates (date, currency, units_per_eur, loaded_at) "
                "VALUES ('2026-11-19', 'USD', 1.05, :at)"
            ),
            {"at": LOADED_AT},
        )
        conn.execute(
            sa.text(
                "INSERT INTO marts.channel_daily (date, channel, platform, reporting_currency, "
                "spend, settled, loaded_at) "
                "VALUES ('2026-11-19', 'search', 'google_ads', 'USD', 12.5, false, :at)"
            ),
            {"at": LOADED_AT},
        )
        conn.execute(
            sa.text(
                "INSERT INTO raw.ecb_rates (date, currency, units_per_eur, loaded_at) "
                "VALUES ('2026-11-19', 'USD', 1.05, :at)"
            ),
            {"at": LOADED_AT},
        )
    yield wh
    wh.dispose()


@pytest.fixture
def role(pg_warehouse: Warehouse) -> Iterator[str]:
    """A role name unique to the test; roles are cluster-wide, so it is dropped afterwards."""
    name = f"perfmkt_analyst_{uuid.uuid4().hex[:10]}"
    yield name
    with pg_warehouse.begin() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}
        ).first()
        if exists:
            conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
            conn.exec_driver_sql(f'DROP ROLE "{name}"')


def _as(wh: Warehouse, role: str, statement: str) -> list[tuple]:
    """Run one statement as `role` (SET ROLE in a session of the warehouse's owner)."""
    with wh.engine.connect() as conn:
        try:
            conn.exec_driver_sql(f'SET ROLE "{role}"')
            result = conn.exec_driver_sql(statement)
            return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            conn.rollback()


def _refused(wh: Warehouse, role: str, statement: str) -> str:
    with pytest.raises(sa.exc.ProgrammingError) as error:
        _as(wh, role, statement)
    assert isinstance(error.value.orig, psycopg.errors.InsufficientPrivilege)
    return error.value.orig.diag.message_primary or ""


def test_the_analyst_reads_core_and_marts(pg_warehouse: Warehouse, role: str) -> None:
    grant = grant_analyst(pg_warehouse, role)
    assert (grant.role, grant.created, grant.problems) == (role, True, ())
    assert _as(pg_warehouse, role, "SELECT date, currency FROM core.fx_rates") == [
        (dt.date(2026, 11, 19), "USD")
    ]
    assert _as(pg_warehouse, role, "SELECT platform, spend FROM marts.channel_daily") == [
        ("google_ads", pytest.approx(12.5))
    ]
    # Every core and marts table of the contract is readable: 7 core + 2 marts.
    # core: 7 + orders; marts: 2 + blended_daily, utm_daily
    assert grant.readable_tables == 21  # 12 + the 9 below the campaign (issue #17)


def test_the_analyst_cannot_write_create_or_read_raw(pg_warehouse: Warehouse, role: str) -> None:
    grant_analyst(pg_warehouse, role)
    denied = {
        "INSERT INTO marts.channel_daily (date, channel, platform, reporting_currency, settled, "
        "loaded_at) VALUES ('2026-11-20', 'search', 'x', 'USD', false, now())": (
            "permission denied for table channel_daily"
        ),
        "UPDATE core.fx_rates SET units_per_eur = 2": "permission denied for table fx_rates",
        "DELETE FROM marts.channel_daily": "permission denied for table channel_daily",
        "TRUNCATE core.fx_rates": "permission denied for table fx_rates",
        "CREATE TABLE core.mine (x int)": "permission denied for schema core",
        "CREATE TABLE marts.mine (x int)": "permission denied for schema marts",
        "CREATE TABLE raw.mine (x int)": "permission denied for schema raw",
        "CREATE TABLE public.mine (x int)": "permission denied for schema public",
        "CREATE SCHEMA mine": f"permission denied for database {pg_warehouse.url.database}",
        "SELECT * FROM raw.ecb_rates": "permission denied for schema raw",
    }
    assert {s: _refused(pg_warehouse, role, s) for s in denied} == denied


def test_tables_created_later_in_core_and_marts_are_readable_but_not_in_raw(
    pg_warehouse: Warehouse, role: str
) -> None:
    grant_analyst(pg_warehouse, role)
    with pg_warehouse.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE marts.weekly (week date)")
        conn.exec_driver_sql("INSERT INTO marts.weekly VALUES ('2026-11-16')")
        conn.exec_driver_sql("CREATE TABLE raw.later (x int)")
    assert _as(pg_warehouse, role, "SELECT week FROM marts.weekly") == [(dt.date(2026, 11, 16),)]
    assert _refused(pg_warehouse, role, "SELECT * FROM raw.later") == (
        "permission denied for schema raw"
    )


def test_granting_again_changes_nothing_and_takes_back_extra_privileges(
    pg_warehouse: Warehouse, role: str
) -> None:
    grant_analyst(pg_warehouse, role)
    with pg_warehouse.begin() as conn:  # someone widened the role by hand
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA raw TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON raw.ecb_rates TO "{role}"')
        conn.exec_driver_sql(f'GRANT INSERT ON marts.channel_daily TO "{role}"')
    again = grant_analyst(pg_warehouse, role)
    assert (again.created, again.problems, again.readable_tables) == (False, (), 21)
    assert _refused(pg_warehouse, role, "SELECT * FROM raw.ecb_rates") == (
        "permission denied for schema raw"
    )


def test_a_login_role_can_log_in_and_a_group_role_cannot(
    pg_warehouse: Warehouse, role: str
) -> None:
    grant_analyst(pg_warehouse, role, login=True, password="s3cret'quote")
    with pg_warehouse.begin() as conn:
        assert conn.execute(
            sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).scalar_one()
    grant_analyst(pg_warehouse, role)  # back to a group role (NOLOGIN)
    with pg_warehouse.begin() as conn:
        assert not conn.execute(
            sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).scalar_one()


def test_bad_names_privileged_roles_and_duckdb_are_refused(
    pg_warehouse: Warehouse, duckdb_url: str
) -> None:
    with pytest.raises(RoleError, match="is not a role name"):
        grant_analyst(pg_warehouse, 'analyst"; DROP TABLE core.fx_rates; --')
    with pytest.raises(RoleError, match="'postgres' exists with SUPERUSER"):
        grant_analyst(pg_warehouse, "postgres")
    with pytest.raises(RoleError, match="this warehouse is duckdb"):
        grant_analyst(Warehouse(duckdb_url), "analyst")


def test_the_command_grants_the_role_on_the_configured_warehouse(
    pg_warehouse: Warehouse,
    role: str,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", postgres_url)
    monkeypatch.delenv("PERFMKT_ANALYST_PASSWORD", raising=False)
    assert main(["grant-analyst", "--role", role, "--login"]) == 2
    assert "--login needs PERFMKT_ANALYST_PASSWORD set" in capsys.readouterr().err

    assert main(["grant-analyst", "--role", role]) == 0
    assert capsys.readouterr().out == (
        f"role {role} (NOLOGIN) created: SELECT on 21 tables in core and marts (and their future "
        "tables), nothing on raw\n"
    )
    monkeypatch.setenv("PERFMKT_ANALYST_PASSWORD", "s3cret")
    assert main(["grant-analyst", "--role", role, "--login"]) == 0
    assert capsys.readouterr().out.startswith(f"role {role} (LOGIN) updated: ")
