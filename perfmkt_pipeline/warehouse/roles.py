"""PostgreSQL roles: a read-only analyst role that sees `core` and `marts` and nothing of `raw`.

`grant_analyst` is idempotent: it creates the role when missing (NOLOGIN, a group to grant to
people, or LOGIN with a password), grants USAGE on core and marts, SELECT on every table in them
and the same SELECT on tables created there later (default privileges of the role running it,
which must be the role that creates the warehouse tables: the pipeline's own), and revokes
anything on raw. It then checks, through PostgreSQL's own privilege functions, that the role can
read both schemas and can neither write nor create anywhere nor read raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from psycopg import sql

from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.tables import CORE, MARTS, RAW

READABLE_SCHEMAS = (CORE, MARTS)
# Unquoted PostgreSQL identifiers, at most 63 bytes: a name an analyst can type without quotes.
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


class RoleError(ValueError):
    """The role cannot be made a read-only analyst role (bad name, engine or privileges)."""


@dataclass(frozen=True)
class AnalystGrant:
    role: str
    created: bool
    readable_tables: int
    # What the role could still do beyond reading core and marts (empty when read-only).
    problems: tuple[str, ...]


def _sql(conn: sa.Connection, statement: sql.Composable) -> None:
    conn.exec_driver_sql(statement.as_string(conn.connection.driver_connection))


def _ensure_role(conn: sa.Connection, role: str, login: bool, password: str | None) -> bool:
    """Create the role or bring its LOGIN attribute in line; True when it was created."""
    existing = conn.execute(
        sa.text(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
            "FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role},
    ).first()
    if existing is not None and any(existing):
        raise RoleError(
            f"role {role!r} exists with SUPERUSER, CREATEDB, CREATEROLE or BYPASSRLS: it cannot "
            "be read-only; choose another name"
        )
    verb = sql.SQL("CREATE ROLE" if existing is None else "ALTER ROLE")
    options = [sql.SQL("LOGIN" if login else "NOLOGIN")]
    if login and password:
        options += [sql.SQL("PASSWORD"), sql.Literal(password)]
    _sql(conn, sql.SQL("{} {} {}").format(verb, sql.Identifier(role), sql.SQL(" ").join(options)))
    return existing is None


def _grant(conn: sa.Connection, role: str) -> None:
    name = sql.Identifier(role)
    database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    _sql(
        conn,
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name),
    )
    # Whatever was granted on raw before (by hand, or by an older version) goes.
    raw = sql.Identifier(RAW)
    _sql(conn, sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(raw, name))
    _sql(conn, sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(raw, name))
    _sql(
        conn,
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} REVOKE ALL ON TABLES FROM {}").format(
            raw, name
        ),
    )
    for schema in map(sql.Identifier, READABLE_SCHEMAS):
        # Read only: anything beyond SELECT and USAGE granted earlier is taken back first.
        _sql(conn, sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, name))
        _sql(conn, sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema, name))
        _sql(conn, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, name))
        _sql(conn, sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, name))
        _sql(
            conn,
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                schema, name
            ),
        )


def _problems(conn: sa.Connection, role: str) -> tuple[list[str], int]:
    """What the role can do beyond reading core and marts, and how many tables it can read."""
    problems: list[str] = []
    schemas = conn.execute(
        sa.text(
            "SELECT nspname, has_schema_privilege(:role, oid, 'USAGE'), "
            "has_schema_privilege(:role, oid, 'CREATE') FROM pg_namespace "
            "WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
        ),
        {"role": role},
    ).all()
    for schema, usage, create in sorted(schemas):
        if create:
            problems.append(f"can CREATE in schema {schema}")
        if schema == RAW and usage:
            problems.append(f"has USAGE on schema {RAW}")
        if schema in READABLE_SCHEMAS and not usage:
            problems.append(f"lacks USAGE on schema {schema}")
    if conn.execute(
        sa.text("SELECT has_database_privilege(:role, current_database(), 'CREATE')"),
        {"role": role},
    ).scalar_one():
        problems.append("can CREATE schemas in the database")
    tables = conn.execute(
        sa.text(
            "SELECT schemaname, tablename, "
            "has_table_privilege(:role, format('%I.%I', schemaname, tablename), 'SELECT'), "
            + ", ".join(
                f"has_table_privilege(:role, format('%I.%I', schemaname, tablename), '{w}')"
                for w in _WRITES
            )
            + " FROM pg_tables WHERE schemaname IN (:raw, :core, :marts)"
        ),
        {"role": role, "raw": RAW, "core": CORE, "marts": MARTS},
    ).all()
    readable = 0
    for schema, table, select, *writes in sorted(tables):
        if schema == RAW and select:
            problems.append(f"can SELECT {schema}.{table}")
        if schema in READABLE_SCHEMAS:
            readable += bool(select)
            if not select:
                problems.append(f"cannot SELECT {schema}.{table}")
        problems += [
            f"can {w} {schema}.{table}"
            for w, allowed in zip(_WRITES, writes, strict=True)
            if allowed
        ]
    return problems, readable


def grant_analyst(
    warehouse: Warehouse, role: str, *, login: bool = False, password: str | None = None
) -> AnalystGrant:
    """Create or update the read-only analyst `role` on a PostgreSQL warehouse (schema created
    or upgraded first). Raises RoleError for a bad name, another engine or a privileged role."""
    if warehouse.backend != "postgresql":
        raise RoleError(f"roles are a PostgreSQL feature; this warehouse is {warehouse.backend}")
    if not _ROLE_NAME.match(role):
        raise RoleError(f"{role!r} is not a role name: lower-case letters, digits and _ only")
    if password and not login:
        raise RoleError("a password needs a LOGIN role (--login)")
    warehouse.ensure_schema()
    with warehouse.begin() as conn:
        created = _ensure_role(conn, role, login, password)
        _grant(conn, role)
        problems, readable = _problems(conn, role)
    return AnalystGrant(role, created, readable, tuple(problems))
