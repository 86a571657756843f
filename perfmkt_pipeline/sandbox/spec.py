"""What the sandbox world contains: accounts per platform, scale knobs and the seed.

A `WorldSpec` is a frozen, hashable description; `World` (world.py) turns it into data. Two
presets: `WorldSpec.small()` (tests and the demo) and `WorldSpec.benchmark()` (the scale the
benchmarks need), each made of every registered platform's part of that preset (its sandbox
part's `world(preset)`, sandbox/parts.py). Everything else about the data is derived from
`seed`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

# The status of an account that serves data; any other (a closed account's) serves none.
STATUS_ENABLED = "ENABLED"


@dataclass(frozen=True)
class SandboxAccount:
    """One account of one platform.

    `status`, `is_manager`, `manager_id` and `program_id` extend the contract in the World API
    document with defaults: a platform with managers lists closed accounts and sub-managers
    that discovery must skip, and a network may filter its actions by the account's program.
    """

    platform: str
    account_id: str  # as the platform writes it
    name: str
    currency: str  # ISO 4217
    timezone: str  # IANA zone
    manager_id: str | None = None  # the manager that owns it (a platform with managers)
    status: str = STATUS_ENABLED  # as the platform names it; only STATUS_ENABLED serves data
    is_manager: bool = False  # a sub-manager listed under the manager
    program_id: str | None = None  # the program its network's actions are filtered by

    @property
    def serves_data(self) -> bool:
        """True for accounts that have performance data (enabled, not a manager)."""
        return self.status == STATUS_ENABLED and not self.is_manager


@dataclass(frozen=True)
class PlatformWorld:
    """One platform's part of a world: its accounts. A platform whose data has knobs of its own
    (campaigns per account, say) subclasses it in its stand-in's folder."""

    platform: str
    accounts: tuple[SandboxAccount, ...] = ()


@dataclass(frozen=True)
class WorldSpec:
    """Seed, accounts and scale of a sandbox world.

    Data exists for days in `[history_start, as_of - 1]` (as_of is given to `World`, not here).
    `platforms` holds each platform's part (its accounts and knobs). Affiliate accounts have one
    program each; their partners play the role of campaigns (WAREHOUSE.md).
    """

    seed: int = 20240601
    history_start: date = date(2024, 1, 1)
    platforms: tuple[PlatformWorld, ...] = ()
    affiliate_partners_per_account: int = 5
    affiliate_actions_per_day: float = 12.0  # mean per account and event day

    @property
    def names(self) -> tuple[str, ...]:
        """The platforms of this world, in order."""
        return tuple(p.platform for p in self.platforms)

    def of(self, platform: str) -> PlatformWorld:
        """The part of `platform`; an unknown one is an error naming it."""
        for part in self.platforms:
            if part.platform == platform:
                return part
        raise KeyError(f"unknown platform {platform!r}; expected one of {self.names}")

    def accounts(self, platform: str) -> tuple[SandboxAccount, ...]:
        return self.of(platform).accounts

    def with_platform(self, platform: str, **changes) -> WorldSpec:
        """This spec with `changes` made to the part of `platform` (its accounts, its knobs)."""
        changed = replace(self.of(platform), **changes)
        return replace(
            self,
            platforms=tuple(changed if p.platform == platform else p for p in self.platforms),
        )

    @classmethod
    def preset(cls, preset: str, seed: int = 20240601, **knobs) -> WorldSpec:
        """Every registered platform's part of `preset`, in registry order."""
        from perfmkt_pipeline.sandbox import parts

        found = (p.world(preset) for p in parts.all_parts())
        return cls(
            seed=seed,
            history_start=date(2024, 1, 1),
            platforms=tuple(p for p in found if p is not None),
            **knobs,
        )

    @classmethod
    def small(cls, seed: int = 20240601) -> WorldSpec:
        """Tests and the demo: a few accounts per platform (and one per network)."""
        return cls.preset("small", seed)

    @classmethod
    def benchmark(cls, seed: int = 20240601) -> WorldSpec:
        """Benchmark scale: hundreds of campaigns or ads per platform, 1,000 actions a day per
        network."""
        return cls.preset(
            "benchmark",
            seed,
            affiliate_partners_per_account=40,
            affiliate_actions_per_day=1000.0,
        )
