"""`Sandbox`: every stand-in started in-process on free loopback ports, as one object.

    with Sandbox(as_of=date(2024, 6, 1)) as sandbox:
        os.environ.update(sandbox.env())
        ...                                   # run the pipeline against it
        sandbox.world.ground_truth(platform, start, end)
        sandbox.counters.count(platform, kind)
        sandbox.faults.set(platform, rate_limit_first_n=2)

It owns one `World`, `SandboxFaults`, `RequestCounters` and `SandboxCredentials`, shared by
every stand-in: the registered platforms' own (their spec's `standin`: an HTTP app served here,
or a server of its own such as a gRPC one) and any helper HTTP stand-in a platform's sandbox
part brings (an OAuth token endpoint, say). Only loopback addresses are ever bound.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import DEFAULT_ORDERS_URL_ENV_VAR as ORDERS_URL_ENV_VAR
from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.sandbox.anomalies import Injection
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import SandboxFaults
from perfmkt_pipeline.sandbox.http_server import PlatformApp, SandboxHTTPServer, check_loopback
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World


def http_apps() -> dict[str, type[PlatformApp]]:
    """Name -> class of every HTTP stand-in: the registered platforms' (spec `standin` without
    `server`), then the helper ones their sandbox parts bring."""
    own = {
        spec.name: spec.standin.load()
        for spec in platforms.all_specs()
        if spec.standin and not spec.standin.server
    }
    helpers = {name: parts.load(ref) for name, ref in parts.every("http_apps").items()}
    return {**own, **helpers}


def server_standins() -> list[str]:
    """The registered platforms whose stand-in is a server of its own (gRPC, say)."""
    return [s.name for s in platforms.all_specs() if s.standin and s.standin.server]


class Sandbox:
    """All stand-ins over one world. `start()`/`stop()` or use as a context manager.

    A registered platform whose stand-in is a server of its own is reachable as an attribute of
    its name (`sandbox.<name>`: the server, or None when left out) and can be left out with a
    keyword of its name (`Sandbox(..., <name>=False)`)."""

    def __init__(
        self,
        spec: WorldSpec | None = None,
        *,
        as_of: date,
        faults: SandboxFaults | None = None,
        host: str = "127.0.0.1",
        credentials: SandboxCredentials | None = None,
        ports: dict[str, int] | None = None,
        injections: tuple[Injection, ...] = (),
        orders: str | None = None,
        orders_folder: Path | None = None,
        **servers: bool,
    ):
        """`ports` fixes ports per stand-in (by name); the rest get free ones.
        `injections` are anomalies served on top of the world (sandbox/anomalies.py).
        `orders`: the shop's orders served from a database of their own on the MariaDB server
        ("mariadb", its URL in `env()` as PERFMKT_ORDERS_URL) or as a CSV export in
        `orders_folder` ("csv"); None: no shop (platforms/orders/standin/).
        `servers`: <platform>=False leaves that platform's server stand-in out."""
        if orders not in (None, "mariadb", "csv"):
            raise ValueError(f"orders={orders!r}: expected 'mariadb', 'csv' or None")
        if orders == "csv" and orders_folder is None:
            raise ValueError("orders='csv' needs orders_folder")
        self.orders, self.orders_folder = orders, orders_folder
        self.shop = None
        self.host = check_loopback(host)
        self._ports = dict(ports or {})
        apps, known_servers = http_apps(), server_standins()
        unknown_servers = sorted(set(servers) - set(known_servers))
        if unknown_servers:
            raise TypeError(
                f"Sandbox() got {unknown_servers}: no server stand-in of that name; known: "
                f"{known_servers}"
            )
        unknown = set(self._ports) - set(apps) - set(known_servers)
        if unknown:
            raise ValueError(
                f"no stand-in named {sorted(unknown)}; known: {[*apps, *known_servers]}"
            )
        self.world = World(spec or WorldSpec.small(), as_of=as_of, injections=injections)
        self.faults = faults or SandboxFaults()
        self.counters = RequestCounters()
        self.credentials = credentials or SandboxCredentials()
        shared = (self.world, self.faults, self.counters, self.credentials)
        self.apps: dict[str, PlatformApp] = {name: cls(*shared) for name, cls in apps.items()}
        self._servers: dict[str, SandboxHTTPServer] = {}
        self.servers: dict[str, Any] = {
            name: platforms.get(name).standin.load()(
                *shared, host=self.host, port=self._ports.get(name, 0)
            )
            for name in known_servers
            if servers.get(name, True)
        }
        self._server_names = frozenset(known_servers)
        self._started = False

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not found otherwise: a server stand-in by its platform.
        if name.startswith("_") or name not in self.__dict__.get("_server_names", ()):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.servers.get(name)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._started:
            return self
        try:
            for name, app in self.apps.items():
                port = self._ports.get(name, 0)
                self._servers[name] = SandboxHTTPServer(app, self.host, port).start()
            for server in self.servers.values():
                server.start()
            self._start_shop()
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def _start_shop(self) -> None:
        from perfmkt_pipeline.platforms.orders.standin.mariadb import ShopDatabase

        if self.orders == "mariadb":
            self.shop = ShopDatabase(self.world).start()
        self.sync_orders()

    def sync_orders(self) -> None:
        """Bring the shop's orders to the world's current as_of (after a test moved it): new
        orders, refunds and cancellations, as the shop's database or its next export shows."""
        from perfmkt_pipeline.platforms.orders.standin.export import write_csv

        if self.shop is not None:
            self.shop.sync()
        if self.orders == "csv":
            assert self.orders_folder is not None
            write_csv(self.world, self.orders_folder)

    def stop(self) -> None:
        if self.shop is not None:
            self.shop.stop()
            self.shop = None
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        for standin in self.servers.values():
            standin.stop()
        self._started = False

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------

    def url(self, platform: str) -> str:
        """Base URL of an HTTP stand-in (by name: a registered platform's, or a shared one)."""
        if platform not in self._servers:
            raise RuntimeError(f"sandbox not started or no HTTP stand-in for {platform!r}")
        return self._servers[platform].url

    def env(self) -> dict[str, str]:
        """Environment variables that point the pipeline (and the official clients) here."""
        env = {
            **{
                spec.standin.url_env_var: self.url(spec.name) + spec.standin.path
                for spec in platforms.all_specs()
                if spec.standin and spec.standin.url_env_var and spec.name in self._servers
            },
        }
        if self.shop is not None:
            env[ORDERS_URL_ENV_VAR] = self.shop.url
        for spec in platforms.all_specs():
            if spec.standin is None:
                continue
            env.update(spec.standin.secret_values(self))
            if spec.name in self.servers:
                env.update(self.servers[spec.name].env())
        return env

    def account_ids(self) -> dict[str, list[str]]:
        """Account ids per platform with data (what a pipeline config should list), as each
        platform writes them; closed accounts and sub-managers excluded (a platform with
        managers names its manager in `env()`)."""
        return {p: [a.account_id for a in self.world.accounts(p)] for p in self.world.spec.names}

    def program_ids(self, platform: str) -> dict[str, str]:
        """Account id -> its program, for a network whose accounts have programs."""
        return {a.account_id: a.program_id or "" for a in self.world.accounts(platform)}
