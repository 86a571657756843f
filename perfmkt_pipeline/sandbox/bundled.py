"""The bundled sandbox configuration: what `perfmkt` uses when no configuration file is given,
so that a fresh clone runs end to end against the sandbox without credentials.

Its shared part is the package's sandbox.yaml (the reporting currency, the first day, the shop's
orders); the rest comes from the registry: `endpoints` at the ports `perfmkt sandbox` binds by
default, and each registered platform's section listing its accounts in the sandbox's small
world (its sandbox part's `configuration`). A platform installed from another package is in it
as soon as it is registered.
"""

from __future__ import annotations

from importlib import resources

import yaml

from perfmkt_pipeline.sandbox import parts
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline.sandbox.world import World

# The host the sandbox binds (runner.Sandbox's default).
HOST = "127.0.0.1"


def configuration_text() -> str:
    """The bundled configuration as YAML: the shared part with its comments, then the rest."""
    shared = resources.files("perfmkt_pipeline").joinpath("sandbox.yaml").read_text()
    spec = WorldSpec.small()
    world = World(spec, as_of=spec.history_start)  # its accounts do not depend on the day
    sections = {
        part.name: dict(section)
        for part in parts.all_parts()
        if (section := part.configuration(world)) is not None
    }
    added = {"endpoints": parts.default_endpoints(HOST), **sections}
    return shared + yaml.safe_dump(added, sort_keys=False)
