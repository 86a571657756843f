"""`transport._GraphApi.call` restates the SDK's `FacebookAdsApi.call` (to decode each body once,
issue #18): against a recording server on loopback, both send byte-for-byte the same requests
(method, path, query, headers, body) and give the same answer or raise the same error. Run on
every install, so a facebook-business release whose `call` sends something else fails here."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from perfmkt_pipeline.platforms.meta.transport import _GraphApi

TOKEN, SECRET = "test-token-not-a-secret", "test-app-secret"
PAGE = {"data": [{"spend": "1.50", "actions": [{"action_type": "purchase", "value": "2"}]}]}
FAILURE = {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                     "error_subcode": 1487534, "fbtrace_id": "Atrace"}}  # fmt: skip


class _Recorder(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # Everything but the connection's own headers, in the order sent.
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in {"host"}]
        self.server.seen.append((self.command, self.path, headers, body))
        failed = "fail" in self.path
        payload = json.dumps(FAILURE if failed else PAGE).encode()
        self.send_response(400 if failed else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _api(cls, server):
    session = FacebookSession(access_token=TOKEN, app_secret=SECRET, timeout=10)
    session.GRAPH = f"http://127.0.0.1:{server.server_address[1]}"
    return cls(session, api_version="v26.0")


CALLS = [
    ("GET", ("act_101", "insights"), {"fields": ["spend", "actions"], "limit": 5000,
                                      "time_range": {"since": "2026-11-01", "until": "2026-11-07"}}),
    ("POST", ("act_101", "insights"), {"level": "ad", "time_increment": 1,
                                       "action_attribution_windows": ["7d_click", "1d_view"]}),
    ("DELETE", ("12345",), {}),
    ("GET", "http://127.0.0.1:{port}/v26.0/act_101/ads?after=cursor%3D%3D", None),
]  # fmt: skip


@pytest.mark.parametrize("method, path, params", CALLS)
def test_the_same_request_and_answer_as_the_sdks_call(server, method, path, params) -> None:
    if isinstance(path, str):
        path = path.format(port=server.server_address[1])
    theirs = _api(FacebookAdsApi, server).call(method, path, params=params)
    ours = _api(_GraphApi, server).call(method, path, params=params)
    first, second = server.seen
    assert second == first
    assert (ours.json(), ours.status(), ours.body()) == (
        theirs.json(),
        theirs.status(),
        theirs.body(),
    )
    assert ours.json() == PAGE
    assert ours.json() is ours.json()  # decoded once, the same value for every reader


def test_a_failed_call_raises_the_sdks_error(server) -> None:
    errors = []
    for cls in (FacebookAdsApi, _GraphApi):
        with pytest.raises(FacebookRequestError) as caught:
            _api(cls, server).call("GET", ("act_fail", "insights"), params={"limit": 10})
        e = caught.value
        errors.append((e.http_status(), e.api_error_code(), e.api_error_subcode(), e.body()))
    assert errors[0] == errors[1]
    assert errors[1][:3] == (400, 100, 1487534)
