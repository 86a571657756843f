"""Fixtures shared by the sandbox tests."""

from __future__ import annotations

# --- Google Ads gRPC trust (helper "sandbox-grpc") --------------------------------------------
# gRPC reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once, when the process opens its first TLS
# channel, so the sandbox CA must be named before any test creates a Google Ads client.
import pytest

from perfmkt_pipeline.sandbox import tls


@pytest.fixture(scope="session", autouse=True)
def sandbox_grpc_trust() -> str:
    """Path of the sandbox CA, installed as gRPC's root store for this test process."""
    return tls.install_trust()


# --- end of Google Ads gRPC trust ---------------------------------------------------------------
