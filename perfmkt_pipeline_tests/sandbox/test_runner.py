"""The Sandbox object: loopback only, its environment, determinism, ECB and OAuth endpoints."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import requests

from perfmkt_pipeline.platforms.ecb.standin import sandbox as ecb_sandbox
from perfmkt_pipeline.platforms.google_ads.standin.oauth import OAuthApp
from perfmkt_pipeline.sandbox.http_server import (
    NonLoopbackBindError,
    Response,
    SandboxHTTPServer,
)
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec

AS_OF = date(2024, 6, 1)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(as_of=AS_OF) as sb:
        yield sb


@pytest.fixture(autouse=True)
def clean(sandbox: Sandbox) -> None:
    sandbox.faults.clear()
    sandbox.counters.reset()
    sandbox.credentials.google_ads.revoke_refresh_token(False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", ""])
def test_refuses_to_bind_anything_but_loopback(sandbox, host):
    with pytest.raises(NonLoopbackBindError, match="only loopback"):
        Sandbox(as_of=AS_OF, host=host)
    app = OAuthApp(sandbox.world, sandbox.faults, sandbox.counters, sandbox.credentials)
    with pytest.raises(NonLoopbackBindError):
        SandboxHTTPServer(app, host)


def test_json_responses_are_compact_utf8_and_keep_what_orjson_cannot_write():
    response = Response.json({"siteName": "Café Crème", "amounts": [12.5, 3], "ok": None})
    assert response.body == '{"siteName":"Café Crème","amounts":[12.5,3],"ok":null}'.encode()
    assert response.headers == {"Content-Type": "application/json; charset=UTF-8"}
    # Integers beyond 64 bits and non-str keys: the stdlib's text, as before.
    assert Response.json({"id": 2**64, 7: "a"}).body == b'{"id":18446744073709551616,"7":"a"}'


def test_env_names_every_endpoint_and_dummy_credential_on_loopback(sandbox):
    env = sandbox.env()
    assert set(env) == {
        "PERFMKT_GOOGLE_ADS_ENDPOINT", "PERFMKT_GOOGLE_OAUTH_URL", "PERFMKT_META_URL",
        "PERFMKT_IMPACT_URL", "PERFMKT_CJ_URL", "PERFMKT_AWIN_URL", "PERFMKT_ECB_URL",
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "GOOGLE_ADS_DEVELOPER_TOKEN", "GOOGLE_ADS_CLIENT_ID",
        "GOOGLE_ADS_CLIENT_SECRET", "GOOGLE_ADS_REFRESH_TOKEN", "GOOGLE_ADS_LOGIN_CUSTOMER_ID",
        "META_ACCESS_TOKEN", "META_APP_SECRET", "IMPACT_ACCOUNT_SID", "IMPACT_AUTH_TOKEN",
        "CJ_ACCESS_TOKEN", "AWIN_ACCESS_TOKEN",
    }  # fmt: skip
    for name in ("PERFMKT_META_URL", "PERFMKT_IMPACT_URL", "PERFMKT_CJ_URL", "PERFMKT_AWIN_URL"):
        assert env[name].startswith("http://127.0.0.1:")
    assert env["PERFMKT_GOOGLE_ADS_ENDPOINT"].startswith("127.0.0.1:")
    assert env["GOOGLE_ADS_LOGIN_CUSTOMER_ID"] == "1000000001"
    assert sandbox.account_ids() == {
        "google_ads": ["1234567890", "2345678901", "3456789012"],
        "meta": ["101000000000001", "101000000000002", "101000000000003"],
        "impact": ["IRsbxAcme0000000000000000000000001"],
        "cj": ["5551234"],
        "awin": ["45678"],
    }
    assert sandbox.program_ids("impact") == {"IRsbxAcme0000000000000000000000001": "12345"}


def _responses(sb: Sandbox) -> list[bytes]:
    env = sb.env()
    meta = requests.get(
        f"{env['PERFMKT_META_URL']}/v26.0/act_101000000000002/insights",
        params={
            "access_token": env["META_ACCESS_TOKEN"],
            "level": "ad",
            "time_increment": "1",
            "time_range": '{"since":"2024-05-01","until":"2024-05-31"}',
            "fields": "ad_id,spend,impressions,clicks,actions,action_values",
            "action_attribution_windows": '["7d_click","1d_view"]',
            "limit": "1000",
        },
    )
    impact = requests.get(
        f"{env['PERFMKT_IMPACT_URL']}/Advertisers/{env['IMPACT_ACCOUNT_SID']}/Actions",
        params={
            "CampaignId": "12345",
            "StartDate": "2024-05-01T00:00:00Z",
            "EndDate": "2024-05-31T00:00:00Z",
            "PageSize": "5000",
        },
        auth=(env["IMPACT_ACCOUNT_SID"], env["IMPACT_AUTH_TOKEN"]),
        headers={"Accept": "application/json"},
    )
    awin = requests.get(
        f"{env['PERFMKT_AWIN_URL']}/advertisers/45678/transactions/",
        params={
            "startDate": "2024-05-01T00:00:00",
            "endDate": "2024-05-31T00:00:00",
            "timezone": "UTC",
        },
        headers={"Authorization": f"Bearer {env['AWIN_ACCESS_TOKEN']}"},
    )
    ecb = requests.get(env["PERFMKT_ECB_URL"])
    return [r.content for r in (meta, impact, awin, ecb)]


def test_same_seed_and_as_of_serve_byte_identical_responses(sandbox):
    with Sandbox(WorldSpec.small(), as_of=AS_OF, google_ads=False) as other:
        assert _responses(other) == _responses(sandbox)
    with Sandbox(WorldSpec.small(seed=99), as_of=AS_OF, google_ads=False) as reseeded:
        different = _responses(reseeded)
    assert all(a != b for a, b in zip(different[:3], _responses(sandbox)[:3], strict=True))


def test_ecb_serves_the_history_zip_and_plain_csv(sandbox):
    env = sandbox.env()
    archive = zipfile.ZipFile(io.BytesIO(requests.get(env["PERFMKT_ECB_URL"]).content))
    assert archive.namelist() == ["eurofxref-hist.csv"]
    csv_text = archive.read("eurofxref-hist.csv").decode()
    assert csv_text == ecb_sandbox.history_csv(sandbox.world)
    plain = requests.get(env["PERFMKT_ECB_URL"].replace(".zip", ".csv"))
    assert plain.text == csv_text
    assert sandbox.counters.count("ecb", "ecb.history_zip") == 1
    sandbox.faults.set("ecb", fail_first_n=1)
    assert requests.get(env["PERFMKT_ECB_URL"]).status_code == 503


def _refresh(env: dict, refresh_token: str | None = None) -> requests.Response:
    return requests.post(
        env["PERFMKT_GOOGLE_OAUTH_URL"],
        data={
            "grant_type": "refresh_token",
            "client_id": env["GOOGLE_ADS_CLIENT_ID"],
            "client_secret": env["GOOGLE_ADS_CLIENT_SECRET"],
            "refresh_token": refresh_token or env["GOOGLE_ADS_REFRESH_TOKEN"],
        },
    )


def test_oauth_issues_tokens_the_google_ads_server_accepts_and_refuses_bad_grants(sandbox):
    env = sandbox.env()
    ok = _refresh(env)
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["token_type"] == "Bearer"
    assert sandbox.credentials.google_ads.is_valid_access_token(body["access_token"])
    invalid_grant = {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    bad = _refresh(env, "1//not-the-token")
    assert (bad.status_code, bad.json()) == (400, invalid_grant)
    sandbox.credentials.google_ads.revoke_refresh_token()
    assert (_refresh(env).status_code, _refresh(env).json()) == (400, invalid_grant)
    assert not sandbox.credentials.google_ads.is_valid_access_token(body["access_token"])
    sandbox.credentials.google_ads.revoke_refresh_token(False)
    sandbox.faults.set("google_oauth", expired_credentials=True)
    assert _refresh(env).json() == invalid_grant


def test_official_google_ads_client_reads_through_sandbox_env_and_matches_ground_truth(sandbox):
    import google.auth.transport.requests
    import google.oauth2.credentials
    from google.ads.googleads.client import GoogleAdsClient

    env = sandbox.env()
    credentials = google.oauth2.credentials.Credentials(
        None,
        refresh_token=env["GOOGLE_ADS_REFRESH_TOKEN"],
        token_uri=env["PERFMKT_GOOGLE_OAUTH_URL"],
        client_id=env["GOOGLE_ADS_CLIENT_ID"],
        client_secret=env["GOOGLE_ADS_CLIENT_SECRET"],
    )
    credentials.refresh(google.auth.transport.requests.Request())
    client = GoogleAdsClient(
        credentials=credentials,
        developer_token=env["GOOGLE_ADS_DEVELOPER_TOKEN"],
        login_customer_id=env["GOOGLE_ADS_LOGIN_CUSTOMER_ID"],
        endpoint=env["PERFMKT_GOOGLE_ADS_ENDPOINT"],
        use_proto_plus=True,
    )
    query = (
        "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions, "
        "metrics.clicks, metrics.conversions, metrics.conversions_value FROM campaign "
        "WHERE segments.date BETWEEN '2024-05-01' AND '2024-05-31'"
    )
    served = {}
    service = client.get_service("GoogleAdsService")
    for batch in service.search_stream(customer_id="3456789012", query=query):
        for row in batch.results:
            served[(str(row.campaign.id), date.fromisoformat(row.segments.date))] = (
                Decimal(row.metrics.cost_micros).scaleb(-6),
                row.metrics.impressions,
                row.metrics.clicks,
                Decimal(repr(row.metrics.conversions)),
                Decimal(repr(row.metrics.conversions_value)),
            )
    truth = sandbox.world.ground_truth("google_ads", date(2024, 5, 1), date(2024, 5, 31))
    truth = truth[truth.account_id == "3456789012"]
    assert served == {
        (t.campaign_id, t.day): (
            t.spend,
            t.impressions,
            t.clicks,
            t.conversions,
            t.conversion_value,
        )
        for t in truth.itertuples()
    }
    assert sandbox.counters.count("google_oauth", "google_oauth.token") == 1
    assert sandbox.counters.count("google_ads", "google_ads.search_stream", "3456789012") == 1
