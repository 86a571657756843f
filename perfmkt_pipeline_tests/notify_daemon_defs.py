"""The project's definitions plus one asset that fails the way a client library echoing its
credential does, for the daemon notification test (a code location of its own)."""

import os

from dagster import Definitions, asset

from perfmkt_pipeline.defs.build import build_definitions


@asset
def leaky_export() -> None:
    """Fails with the value of $PERFMKT_TEST_API_TOKEN in its error message."""
    raise RuntimeError(f"export refused: token {os.environ['PERFMKT_TEST_API_TOKEN']} is revoked")


defs = Definitions.merge(build_definitions(), Definitions(assets=[leaky_export]))
