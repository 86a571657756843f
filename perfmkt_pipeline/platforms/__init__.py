"""The platform registry: every source the pipeline knows, each described once by a
`PlatformSpec` (platforms/base/spec.py).

Built-in platforms are listed once, in `BUILT_IN`; another installed package adds its own
through the entry-point group `perfmkt_pipeline.platforms` (each entry point names a
`PlatformSpec`, or a callable returning one). Shared layers ask the registry instead of naming
platforms: `get(name)`, `all_specs()`, `configured(settings)`.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from perfmkt_pipeline.platforms.base.spec import PlatformSpec, resolve

if TYPE_CHECKING:
    from perfmkt_pipeline.config import Settings

ENTRY_POINT_GROUP = "perfmkt_pipeline.platforms"
# "module:attribute" of each built-in platform's spec, in the order assets are built.
BUILT_IN = (
    "perfmkt_pipeline.platforms.google_ads.spec:SPEC",
    "perfmkt_pipeline.platforms.meta.spec:SPEC",
    "perfmkt_pipeline.platforms.impact.spec:SPEC",
    "perfmkt_pipeline.platforms.cj.spec:SPEC",
    "perfmkt_pipeline.platforms.awin.spec:SPEC",
    "perfmkt_pipeline.platforms.file_feeds.spec:SPEC",
    "perfmkt_pipeline.platforms.ecb.spec:SPEC",
)


class UnknownPlatformError(LookupError):
    """A platform name the registry does not know."""

    def __init__(self, name: str, known: list[str]):
        super().__init__(f"unknown platform {name!r}; known platforms: {', '.join(known)}")
        self.name = name


def _load(reference: str) -> PlatformSpec:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _from_entry_point(entry_point) -> PlatformSpec:
    loaded = entry_point.load()
    spec = loaded if isinstance(loaded, PlatformSpec) else loaded()
    if not isinstance(spec, PlatformSpec):
        raise TypeError(
            f"entry point {entry_point.name!r} ({entry_point.value}) in group "
            f"{ENTRY_POINT_GROUP!r} gives {spec!r}, not a PlatformSpec"
        )
    return spec


@functools.cache
def _registry() -> dict[str, PlatformSpec]:
    specs = [_load(reference) for reference in BUILT_IN]
    specs += [_from_entry_point(ep) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return resolve(specs)


def refresh() -> None:
    """Forget what was discovered (a package installed or an entry point added since)."""
    _registry.cache_clear()


def all_specs() -> list[PlatformSpec]:
    """Every known platform: the built-ins, then those of installed packages."""
    return list(_registry().values())


def get(name: str) -> PlatformSpec:
    """The spec of `name`; an unknown name is an error naming it, never a default."""
    registry = _registry()
    if name not in registry:
        raise UnknownPlatformError(name, sorted(registry))
    return registry[name]


def configured(settings: Settings) -> list[PlatformSpec]:
    """The platforms the settings configure, in registry order; a source configured several
    times (file feeds) as one spec per configured instance, each under its own name. A source
    without settings of its own (the FX rates) is always on and not listed."""
    return [
        instance
        for spec in all_specs()
        if spec.config_section is not None
        for instance in spec.instances(settings)
    ]


def configured_instance(settings: Settings, name: str) -> PlatformSpec:
    """The configured instance named `name` (a platform, or one of a source's instances such as
    a file feed); an unknown name is an error naming it."""
    found = {spec.name: spec for spec in configured(settings)}
    if name not in found:
        raise UnknownPlatformError(name, sorted(found))
    return found[name]


__all__ = [
    "ENTRY_POINT_GROUP",
    "PlatformSpec",
    "UnknownPlatformError",
    "all_specs",
    "configured",
    "configured_instance",
    "get",
    "refresh",
]
