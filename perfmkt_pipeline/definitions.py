"""The single Dagster `Definitions` object of the project (what `dagster dev` and the CLI load)."""

from perfmkt_pipeline import loaded
from perfmkt_pipeline.defs.build import build_definitions

defs = build_definitions()
loaded()
