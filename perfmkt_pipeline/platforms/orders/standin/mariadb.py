"""The sandbox shop's database on a real MariaDB server (127.0.0.1:3306 on this machine).

`ShopDatabase(world).start()` creates a database of its own on the server, with the `orders`
table of shop_table.py holding the last `history_days` of the world's order stream as of the
world's `as_of`; `sync()` brings it to the world's current `as_of` (new orders inserted, refunds
and cancellations updated in place, as a shop's database changes); `stop()` drops it. `url` is
the SQLAlchemy URL a pipeline reads it with. The server's address comes from
`PERFMKT_SANDBOX_MARIADB_URL` (default root without a password on 127.0.0.1:3306; loopback only).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from urllib.parse import urlsplit

import pymysql

from perfmkt_pipeline.platforms.orders.standin import shop_table
from perfmkt_pipeline.platforms.orders.standin.stream import orders_between, shop_now

SERVER_ENV_VAR = "PERFMKT_SANDBOX_MARIADB_URL"
DEFAULT_SERVER = "mysql+pymysql://root@127.0.0.1:3306"
HISTORY_DAYS = 120
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_BATCH = 5_000


class MariaDbUnavailable(RuntimeError):
    """The MariaDB server of the sandbox cannot be reached (the message says where and why)."""


def server_url() -> str:
    return os.environ.get(SERVER_ENV_VAR) or DEFAULT_SERVER


def _connect_kwargs(url: str) -> dict:
    parts = urlsplit(url.replace("mysql+pymysql://", "mysql://", 1))
    host = parts.hostname or "127.0.0.1"
    if host not in _LOOPBACK:
        raise ValueError(f"{SERVER_ENV_VAR}: the sandbox binds loopback only, not {host!r}")
    return {
        "host": host,
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
        "connect_timeout": 5,
        "autocommit": True,
    }


def connect(url: str | None = None, database: str | None = None) -> pymysql.Connection:
    url = url or server_url()
    try:
        return pymysql.connect(**_connect_kwargs(url), database=database)
    except pymysql.err.OperationalError as error:
        where = urlsplit(url.replace("mysql+pymysql://", "mysql://", 1))
        raise MariaDbUnavailable(
            f"MariaDB at {where.hostname}:{where.port or 3306} is not reachable: {error.args[-1]}"
        ) from None


class ShopDatabase:
    """The sandbox shop's orders on MariaDB (see the module docstring)."""

    def __init__(
        self,
        world,
        *,
        database: str | None = None,
        history_days: int = HISTORY_DAYS,
        server: str | None = None,
    ):
        self.world = world
        self.server = server or server_url()
        self.database = database or f"perfmkt_shop_{uuid.uuid4().hex[:12]}"
        self.history_days = history_days
        self._connection: pymysql.Connection | None = None
        self.synced_as_of: dt.date | None = None

    @property
    def url(self) -> str:
        return f"{self.server.rstrip('/')}/{self.database}"

    def start(self) -> ShopDatabase:
        admin = connect(self.server)
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{self.database}`")
            cursor.execute(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
        admin.close()
        self._connection = connect(self.server, self.database)
        with self._connection.cursor() as cursor:
            cursor.execute(shop_table.CREATE_TABLE)
        self.sync()
        return self

    def sync(self) -> int:
        """Bring the table to the world's as_of: every order of the history in its state then
        (inserted, or updated where it changed). Returns how many rows were written."""
        assert self._connection is not None, "start() first"
        as_of = self.world.as_of
        now = shop_now(as_of)
        first = now - dt.timedelta(days=self.history_days)
        rows = [shop_table.db_row(order, now) for order in orders_between(self.world, first, now)]
        columns = ", ".join(shop_table.COLUMNS)
        marks = ", ".join(["%s"] * len(shop_table.COLUMNS))
        updates = ", ".join(f"{c} = VALUES({c})" for c in shop_table.COLUMNS if c != "id")
        statement = (
            f"INSERT INTO orders ({columns}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {updates}"
        )
        with self._connection.cursor() as cursor:
            for start in range(0, len(rows), _BATCH):
                cursor.executemany(statement, rows[start : start + _BATCH])
        self.synced_as_of = as_of
        return len(rows)

    def execute(self, statement: str, *args) -> int:
        """Run a statement on the shop's database (tests: a broken row, a dropped column)."""
        assert self._connection is not None
        with self._connection.cursor() as cursor:
            return cursor.execute(statement, args or None)

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        try:
            admin = connect(self.server)
        except MariaDbUnavailable:
            return
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{self.database}`")
        admin.close()
