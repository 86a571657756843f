"""The Google OAuth refresh (plain HTTP, unlike the gRPC API) replayed from vcrpy cassettes.

The cassettes in cassettes/google_ads/ were recorded from the sandbox's OAuth endpoint with the
shared recorder, which scrubs credentials. To record them again:

    PERFMKT_RECORD_CASSETTES=1 .venv/bin/pytest perfmkt_pipeline_tests/sources/test_google_ads_oauth.py

Replaying needs no server: requests match on method and path, never host or port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from perfmkt_pipeline.platforms.google_ads import (
    GoogleAdsAuthError,
    GoogleAdsConfig,
    GoogleAdsCredentials,
    GoogleAdsReader,
)
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline_tests.platforms.google_ads.google_ads_support import MANAGER, US, Sleeps
from perfmkt_pipeline_tests.recording import CASSETTES, SCRUBBED, recorder
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401 (registers it)

RECORDING = os.environ.get("PERFMKT_RECORD_CASSETTES") == "1"
# Replays never connect: this address only has to be well formed (port 9 is "discard").
UNUSED_TOKEN_URI = "http://127.0.0.1:9/token"
WRONG_REFRESH_TOKEN = "1//revoked-refresh-token-b41c"
SANDBOX = SandboxCredentials().google_ads


@pytest.fixture
def token_uri(request: pytest.FixtureRequest) -> Iterator[str]:
    if RECORDING:
        yield request.getfixturevalue("sandbox")().env()["PERFMKT_GOOGLE_OAUTH_URL"]
    else:
        yield UNUSED_TOKEN_URI


def make_reader(token_uri: str, refresh_token: str) -> GoogleAdsReader:
    credentials = GoogleAdsCredentials(
        developer_token=SANDBOX.developer_token,
        client_id=SANDBOX.client_id,
        client_secret=SANDBOX.client_secret,
        refresh_token=refresh_token,
        login_customer_id=MANAGER,
    )
    config = GoogleAdsConfig(endpoint="127.0.0.1:9", token_uri=token_uri, customer_ids=(US,))
    return GoogleAdsReader(credentials, config, sleep=Sleeps())


def cassette(name: str):
    if RECORDING:  # start the cassette afresh rather than appending to the old recording
        (CASSETTES / "google_ads" / name).unlink(missing_ok=True)
    return recorder("google_ads", "all" if RECORDING else "none").use_cassette(name)


def requests_sent(tape) -> int:
    """Requests the code under test made: recorded ones, or answers replayed from the tape."""
    return len(tape.requests) if RECORDING else tape.play_count


def test_the_refresh_posts_a_refresh_token_grant_and_caches_the_access_token(token_uri):
    with (
        cassette("oauth_refresh.yaml") as tape,
        make_reader(token_uri, SANDBOX.refresh_token) as ads,
    ):
        ads.authenticate()
        ads.authenticate()  # still valid: no second request (a replay would refuse one)

    assert requests_sent(tape) == 1
    request = tape.requests[0]
    assert (request.method, request.path) == ("POST", "/token")
    form = parse_qs(request.body.decode() if isinstance(request.body, bytes) else request.body)
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == form["client_secret"] == [SCRUBBED]
    assert tape.responses[0]["status"]["code"] == 200


def test_a_refused_refresh_token_fails_once_naming_the_account(token_uri):
    with (
        cassette("oauth_invalid_grant.yaml") as tape,
        make_reader(token_uri, WRONG_REFRESH_TOKEN) as ads,
        pytest.raises(GoogleAdsAuthError) as caught,
    ):
        ads.accounts()

    assert requests_sent(tape) == 1  # refused for good: not retried
    assert tape.responses[0]["status"]["code"] == 400
    message = str(caught.value)
    assert f"customer {MANAGER}" in message
    assert "invalid_grant: Token has been expired or revoked." in message
    assert WRONG_REFRESH_TOKEN not in message and SANDBOX.client_secret not in message


def test_no_cassette_holds_a_credential():
    texts = [path.read_text() for path in sorted((CASSETTES / "google_ads").glob("*.yaml"))]
    assert len(texts) >= 2
    secrets = (
        SANDBOX.refresh_token,
        SANDBOX.client_secret,
        SANDBOX.client_id,
        SANDBOX.developer_token,
        WRONG_REFRESH_TOKEN,
        "ya29.",  # any issued access token
    )
    for text in texts:
        for secret in secrets:
            assert secret not in text
