"""The single Dagster `Definitions` object of the project (what `dagster dev` and the CLI load)."""

from perfmkt_pipeline import loading

with loading():
    from perfmkt_pipeline.defs.build import build_definitions

    defs = build_definitions()
