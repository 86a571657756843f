"""Each platform's part of the sandbox, found through the registry: what the shared sandbox
(world.py, ground_truth.py, faults.py, credentials.py, anomalies.py, runner.py) needs to know
about a platform besides its stand-in app.

A platform's spec names its part in `StandIn(sandbox="module:OBJECT")`; the object is a
`SandboxPart` (a network's a `NetworkPart`, whose data the shared affiliate_data.py makes). It
gives the platform's accounts and knobs in each world preset (`world`), its campaigns and its
rows for the ground truth, its fault switches and the credentials its stand-in accepts, its
section of a pipeline configuration that lists a world's accounts (the bundled sandbox
configuration is made of them: sandbox/bundled.py), the shop's orders behind the purchases it
claims (sandbox/claims.py), the FX source's reference rates, and checks a world spec against what
the platform can serve. No platform is named here.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perfmkt_pipeline import platforms
from perfmkt_pipeline.sandbox.credentials import TokenCredentials
from perfmkt_pipeline.sandbox.faults import NetworkFaults, PlatformFaults, RateLimit
from perfmkt_pipeline.sandbox.spec import PlatformWorld, SandboxAccount

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.anomalies import Injection
    from perfmkt_pipeline.sandbox.claims import OrderDraft
    from perfmkt_pipeline.sandbox.spec import WorldSpec
    from perfmkt_pipeline.sandbox.world import World

# What a platform's rows give the ground truth: (account, campaign id, day, measure -> value).
PerformanceRow = tuple[SandboxAccount, str, date, dict[str, Any]]
# (account, campaign id, day, conversion name, conversions, conversion value).
ConversionRow = tuple[SandboxAccount, str, date, str, Decimal, Decimal]


@dataclass(frozen=True)
class SandboxCampaign:
    platform: str
    account_id: str
    campaign_id: str
    name: str
    status: str  # as the platform names it (a network's partners: ACTIVE)


class SandboxPart:
    """One platform's part of the sandbox (see the module docstring). Subclasses override what
    their platform has; the defaults describe a source without accounts (rates, say)."""

    name: str = ""
    # Stand-in name -> its fault switches (sandbox/faults.py); the platform's own stand-in and
    # any helper stand-in it brings (an OAuth endpoint, say).
    faults: Mapping[str, type[PlatformFaults]] = {}
    # Helper HTTP stand-ins it brings besides its own: name -> "module:Class" (a PlatformApp),
    # the ports `perfmkt sandbox` binds for them, and the path of each one's endpoint after its
    # base URL (an OAuth token endpoint's, say): the bundled configuration's `endpoints`.
    http_apps: Mapping[str, str] = {}
    ports: Mapping[str, int] = {}
    paths: Mapping[str, str] = {}
    # The credentials its stand-in accepts (a class whose defaults are the sandbox's values, with
    # `secrets()`: the values no cassette or log may hold), or None.
    credentials: Callable[[], Any] | None = None
    # Whether anomalies (sandbox/anomalies.py) can be injected into its rows (it applies them).
    injectable: bool = False
    # The limit its API documents, enforced by SandboxFaults.realistic_limits() (None: none).
    documented_limit: RateLimit | None = None
    # lru_caches of its generated data, cleared by generation.clear_caches.
    caches: tuple[Any, ...] = ()

    def world(self, preset: str) -> PlatformWorld | None:
        """Its accounts and knobs in a world preset ("small": tests and the demo; "benchmark":
        the benchmarks' scale); None: no accounts."""
        return None

    def check(self, spec: WorldSpec) -> None:
        """Refuse a world spec the platform could not serve (raise ValueError)."""

    def configuration(self, world: World) -> Mapping[str, Any] | None:
        """Its section of a pipeline configuration that syncs `world`'s accounts (the bundled
        sandbox configuration is made of them); None: it has no section."""
        return None

    def campaigns(self, world: World, account: SandboxAccount) -> list[SandboxCampaign]:
        raise KeyError(f"{self.name!r} has no campaigns in the sandbox")

    def performance(
        self, world: World, start: date, end: date, as_of: date
    ) -> Iterator[PerformanceRow]:
        """Its served rows, what World.ground_truth sums."""
        raise KeyError(f"{self.name!r} has no performance rows in the sandbox")

    def conversions(
        self, world: World, start: date, end: date, as_of: date
    ) -> Iterator[ConversionRow]:
        """Its served conversions, what World.ground_truth_conversions sums."""
        raise KeyError(f"{self.name!r} has no conversions in the sandbox")

    def demo_injections(self, as_of: date) -> tuple[Injection, ...]:
        """The anomalies `perfmkt demo --anomalies` injects into its accounts of the small world."""
        return ()

    def claimed_orders(self, world: World, day: date, rng: Any) -> Iterator[OrderDraft]:
        """The sandbox shop's orders behind the purchases it claims on `day` (its accounts' own
        day, final numbers), drawn from the shop's `rng` for that day (sandbox/claims.py)."""
        return iter(())

    def reference_rates(
        self, world: World, start: date, end: date
    ) -> dict[date, dict[str, Decimal | None]] | None:
        """The FX source's published fixes in [start, end] (day -> currency -> units per unit
        of its base currency, None where it published none); None: not an FX source."""
        return None


class NetworkPart(SandboxPart):
    """An affiliate network: its actions are the shared ones of affiliate_data.py, served its
    own way; its partners play the role of campaigns (WAREHOUSE.md).

    `accounts`: its one account in each world preset ("small", "benchmark"); `partner_id_base`:
    its partner ids are this base plus multiples of 37; `conversion_name`: its actions'
    conversion name in core (its action type); `action_id(account, day_number, seq)`: the id of
    the `seq`-th (0-based) action of an event day, as the network writes it; `token`: the token
    its stand-in accepts; `faults`: its fault switches (default: NetworkFaults); `settings`:
    what its configuration section needs besides the account ids, from its accounts (a
    timezone, a currency, program ids). Most of its actions are the shop's orders
    (`real_share`), tagged with the network and the partner; a reversed action's order is
    refunded in full a day before the network reverses it."""

    real_share = 0.85

    def __init__(
        self,
        name: str,
        *,
        accounts: Mapping[str, SandboxAccount],
        partner_id_base: int,
        conversion_name: str,
        action_id: Callable[[SandboxAccount, int, int], str],
        token: str,
        faults: type[PlatformFaults] = NetworkFaults,
        documented_limit: RateLimit | None = None,
        settings: Callable[[Sequence[SandboxAccount]], Mapping[str, Any]] = lambda accounts: {},
    ):
        self.name = name
        self.accounts = dict(accounts)
        self.partner_id_base = partner_id_base
        self.conversion_name = conversion_name
        self.action_id = action_id
        self.credentials = functools.partial(TokenCredentials, token)
        self.faults = {name: faults}
        self.documented_limit = documented_limit
        self.settings = settings

    def world(self, preset: str) -> PlatformWorld:
        return PlatformWorld(self.name, (self.accounts[preset],))

    def configuration(self, world: World) -> Mapping[str, Any]:
        accounts = world.accounts(self.name)
        return {"account_ids": [a.account_id for a in accounts], **self.settings(accounts)}

    def campaigns(self, world: World, account: SandboxAccount) -> list[SandboxCampaign]:
        from perfmkt_pipeline.sandbox.generation import affiliate_partners

        partners = affiliate_partners(world.spec, account)
        return [
            SandboxCampaign(self.name, account.account_id, pid, partners.names[i], "ACTIVE")
            for i, pid in enumerate(partners.ids)
        ]

    def performance(self, world: World, start: date, end: date, as_of: date) -> Iterator:
        for acc in world.accounts(self.name):
            for a in world.affiliate_actions(self.name, acc.account_id, start, end, as_of=as_of):
                if a.status == "reversed":
                    continue
                yield (
                    acc,
                    a.partner_id,
                    a.event_day,
                    {
                        "spend": a.commission,
                        "impressions": None,
                        "clicks": None,
                        "conversions": Decimal(1),
                        "conversion_value": a.sale_amount,
                    },
                )

    def claimed_orders(self, world: World, day: date, rng: Any) -> Iterator[OrderDraft]:
        from perfmkt_pipeline.sandbox.claims import FINAL  # claims -> generation -> parts

        for acc in world.accounts(self.name):
            for action in world.affiliate_actions(self.name, acc.account_id, day, day, as_of=FINAL):
                if rng.random() >= self.real_share:
                    continue
                refund_at = None
                if action.status == "reversed" and action.decided_at is not None:
                    refund_at = max(
                        action.decided_at - timedelta(days=1),
                        action.event_time + timedelta(hours=2),
                    ).astimezone(UTC)
                tags = (self.name, "affiliate", action.partner_id, None, None)
                placed = action.event_time.astimezone(UTC)
                yield placed, action.currency, action.sale_amount, tags, refund_at

    def conversions(self, world: World, start: date, end: date, as_of: date) -> Iterator:
        for acc, campaign_id, day, v in self.performance(world, start, end, as_of):
            yield (
                acc,
                campaign_id,
                day,
                self.conversion_name,
                v["conversions"],
                v["conversion_value"],
            )


def load(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@functools.cache
def _parts() -> dict[str, SandboxPart]:
    found = {}
    for spec in platforms.all_specs():
        if spec.standin is None or spec.standin.sandbox is None:
            continue
        part = load(spec.standin.sandbox)
        if not isinstance(part, SandboxPart):
            raise TypeError(f"{spec.name}: StandIn.sandbox gives {part!r}, not a SandboxPart")
        found[spec.name] = part
    return found


def refresh() -> None:
    """Forget the parts found (after platforms.refresh())."""
    _parts.cache_clear()


def all_parts() -> list[SandboxPart]:
    """Every registered platform's part, in registry order."""
    return list(_parts().values())


def part(name: str) -> SandboxPart:
    """The part of platform `name`; an unknown name is an error naming it."""
    found = _parts()
    if name not in found:
        raise KeyError(f"no sandbox part for platform {name!r}; known: {sorted(found)}")
    return found[name]


def network(name: str) -> NetworkPart:
    found = part(name)
    if not isinstance(found, NetworkPart):
        raise KeyError(f"{name!r} is not an affiliate platform")
    return found


def reference_rates(world: World, start: date, end: date) -> dict[date, dict[str, Decimal | None]]:
    """The registered FX source's published fixes in [start, end] (`SandboxPart.reference_rates`)."""
    for p in all_parts():
        found = p.reference_rates(world, start, end)
        if found is not None:
            return found
    raise LookupError("no registered platform's sandbox part publishes reference rates")


def networks() -> list[str]:
    """The affiliate networks among the registered platforms, in registry order."""
    return [p.name for p in all_parts() if isinstance(p, NetworkPart)]


def every(attribute: str) -> dict[str, Any]:
    """name -> entry of every part's mapping `attribute` (faults, http_apps), in registry order."""
    merged: dict[str, Any] = {}
    for p in all_parts():
        merged.update(getattr(p, attribute))
    return merged


def default_ports() -> dict[str, int]:
    """Stand-in name -> the port `perfmkt sandbox` binds for it unless told otherwise: a
    registered platform's is its stand-in's `port`, a helper stand-in's its part's `ports`."""
    own = {
        spec.name: spec.standin.port
        for spec in platforms.all_specs()
        if spec.standin is not None and spec.standin.port is not None
    }
    return {**own, **every("ports")}


def default_endpoints(host: str) -> dict[str, str]:
    """Endpoint key -> the URL of its stand-in on `host` at the default ports, as the started
    sandbox's `env()` gives it: a server of its own (gRPC) as host:port, an HTTP stand-in as
    its base URL followed by its path."""
    endpoints = {}
    for spec in platforms.all_specs():
        standin = spec.standin
        if standin is None or standin.port is None:
            continue
        if standin.server:
            endpoints[spec.name] = f"{host}:{standin.port}"
        elif standin.url_env_var:
            endpoints[spec.name] = f"http://{host}:{standin.port}{standin.path}"
    paths = every("paths")
    for name, port in every("ports").items():
        endpoints[name] = f"http://{host}:{port}{paths.get(name, '')}"
    return endpoints
