"""`Sandbox`: every stand-in started in-process on free loopback ports, as one object.

    with Sandbox(as_of=date(2024, 6, 1)) as sandbox:
        os.environ.update(sandbox.env())
        ...                                   # run the pipeline against it
        sandbox.world.ground_truth("meta", start, end)
        sandbox.counters.count("meta", "meta.insights_sync")
        sandbox.faults.set("meta", rate_limit_first_n=2)

It owns one `World`, `SandboxFaults`, `RequestCounters` and `SandboxCredentials`, shared by the
HTTP stand-ins (every registered platform's, its spec's `standin`, and Google OAuth) and the
Google Ads gRPC server.
Only loopback addresses are ever bound.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import DEFAULT_ORDERS_URL_ENV_VAR as ORDERS_URL_ENV_VAR
from perfmkt_pipeline.sandbox import oauth
from perfmkt_pipeline.sandbox.anomalies import Injection
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import SandboxFaults
from perfmkt_pipeline.sandbox.google_ads_server import GoogleAdsServer
from perfmkt_pipeline.sandbox.http_server import PlatformApp, SandboxHTTPServer, check_loopback
from perfmkt_pipeline.sandbox.spec import PLATFORMS, WorldSpec
from perfmkt_pipeline.sandbox.tls import GRPC_ROOTS_ENV
from perfmkt_pipeline.sandbox.world import World

# Registered platforms bring their own stand-ins (their spec's `standin`). Meta's base URL
# carries no version: the SDK appends "/vNN.0/...".
HTTP_APPS: dict[str, type[PlatformApp]] = {
    **{spec.name: spec.standin.load() for spec in platforms.all_specs() if spec.standin},
    "google_oauth": oauth.OAuthApp,
}


class Sandbox:
    """All stand-ins over one world. `start()`/`stop()` or use as a context manager."""

    def __init__(
        self,
        spec: WorldSpec | None = None,
        *,
        as_of: date,
        faults: SandboxFaults | None = None,
        host: str = "127.0.0.1",
        credentials: SandboxCredentials | None = None,
        google_ads: bool = True,
        ports: dict[str, int] | None = None,
        injections: tuple[Injection, ...] = (),
        orders: str | None = None,
        orders_folder: Path | None = None,
    ):
        """`ports` fixes ports per stand-in ("meta", ..., "google_ads"); the rest get free ones.
        `injections` are anomalies served on top of the world (sandbox/anomalies.py).
        `orders`: the shop's orders served from a database of their own on the MariaDB server
        ("mariadb", its URL in `env()` as PERFMKT_ORDERS_URL) or as a CSV export in
        `orders_folder` ("csv"); None: no shop (platforms/orders/standin/)."""
        if orders not in (None, "mariadb", "csv"):
            raise ValueError(f"orders={orders!r}: expected 'mariadb', 'csv' or None")
        if orders == "csv" and orders_folder is None:
            raise ValueError("orders='csv' needs orders_folder")
        self.orders, self.orders_folder = orders, orders_folder
        self.shop = None
        self.host = check_loopback(host)
        self._ports = dict(ports or {})
        unknown = set(self._ports) - set(HTTP_APPS) - {"google_ads"}
        if unknown:
            raise ValueError(
                f"no stand-in named {sorted(unknown)}; known: {[*HTTP_APPS, 'google_ads']}"
            )
        self.world = World(spec or WorldSpec.small(), as_of=as_of, injections=injections)
        self.faults = faults or SandboxFaults()
        self.counters = RequestCounters()
        self.credentials = credentials or SandboxCredentials()
        shared = (self.world, self.faults, self.counters, self.credentials)
        self.apps: dict[str, PlatformApp] = {name: cls(*shared) for name, cls in HTTP_APPS.items()}
        self._servers: dict[str, SandboxHTTPServer] = {}
        self.google_ads: GoogleAdsServer | None = (
            GoogleAdsServer(*shared, host=self.host, port=self._ports.get("google_ads", 0))
            if google_ads
            else None
        )
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._started:
            return self
        try:
            for name, app in self.apps.items():
                port = self._ports.get(name, 0)
                self._servers[name] = SandboxHTTPServer(app, self.host, port).start()
            if self.google_ads is not None:
                self.google_ads.start()
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
        if self.google_ads is not None:
            self.google_ads.stop()
        self._started = False

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------

    def url(self, platform: str) -> str:
        """Base URL of an HTTP stand-in ("meta", "impact", "cj", "awin", "ecb", "google_oauth")."""
        if platform not in self._servers:
            raise RuntimeError(f"sandbox not started or no HTTP stand-in for {platform!r}")
        return self._servers[platform].url

    def env(self) -> dict[str, str]:
        """Environment variables that point the pipeline (and the official clients) here."""
        creds = self.credentials
        env = {
            "PERFMKT_GOOGLE_OAUTH_URL": self.url("google_oauth") + oauth.TOKEN_PATH,
            **{
                spec.standin.url_env_var: self.url(spec.name) + spec.standin.path
                for spec in platforms.all_specs()
                if spec.standin
            },
            "GOOGLE_ADS_DEVELOPER_TOKEN": creds.google_developer_token,
            "GOOGLE_ADS_CLIENT_ID": creds.google_client_id,
            "GOOGLE_ADS_CLIENT_SECRET": creds.google_client_secret,
            "GOOGLE_ADS_REFRESH_TOKEN": creds.google_refresh_token,
            "GOOGLE_ADS_LOGIN_CUSTOMER_ID": self._login_customer_id(),
            "META_ACCESS_TOKEN": creds.meta_access_token,
            "META_APP_SECRET": creds.meta_app_secret,
        }
        for spec in platforms.all_specs():
            if spec.standin:
                env.update(spec.standin.secret_values(self))
        if self.shop is not None:
            env[ORDERS_URL_ENV_VAR] = self.shop.url
        if self.google_ads is not None:
            env["PERFMKT_GOOGLE_ADS_ENDPOINT"] = self.google_ads.endpoint
            env[GRPC_ROOTS_ENV] = self.google_ads.ca_file
        return env

    def account_ids(self) -> dict[str, list[str]]:
        """Account ids per platform with data (what a pipeline config should list).

        Google Ads: the client accounts (cancelled accounts and sub-managers excluded); the
        manager is `env()["GOOGLE_ADS_LOGIN_CUSTOMER_ID"]`. Meta: digits without "act_".
        impact.com: account SIDs (their program ids: `impact_program_ids()`).
        """
        return {p: [a.account_id for a in self.world.accounts(p)] for p in PLATFORMS}

    def impact_program_ids(self) -> dict[str, str]:
        return {a.account_id: a.program_id or "" for a in self.world.accounts("impact")}

    def _login_customer_id(self) -> str:
        managers = self.world.google_managers()
        return managers[0].customer_id if managers else ""
