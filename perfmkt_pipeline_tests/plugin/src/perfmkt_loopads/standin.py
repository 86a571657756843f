"""A LoopAds stand-in on loopback: its API (package docstring) over the accounts it is given,
refusing any other token. The reference is this package's own API description: a report row per
campaign and day of the range, amounts as decimal strings in the account's currency."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_ACCOUNT = re.compile(r"^/v1/accounts/([^/]+)$")
_REPORT = re.compile(r"^/v1/accounts/([^/]+)/report$")


class LoopadsStandIn:
    """`accounts`: id -> {"name", "currency", "timezone", "rows": [report rows]}. Counts the
    requests it answered (`requests`)."""

    def __init__(self, accounts: Mapping[str, Mapping[str, Any]], token: str):
        self.accounts, self.token, self.requests = accounts, token, 0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, body = standin.answer(self.path, self.headers.get("Authorization"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopadsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, target: str, authorization: str | None) -> tuple[int, Any]:
        self.requests += 1
        if authorization != f"Bearer {self.token}":
            return 401, {"error": "invalid token"}
        parts = urlsplit(target)
        if match := _ACCOUNT.match(parts.path):
            account = self.accounts.get(match[1])
            if account is None:
                return 404, {"error": f"no account {match[1]}"}
            return 200, {k: account[k] for k in ("name", "currency", "timezone")}
        if match := _REPORT.match(parts.path):
            account = self.accounts.get(match[1])
            query = parse_qs(parts.query)
            if account is None or "since" not in query or "until" not in query:
                return 400, {"error": "an account, since and until are required"}
            since, until = query["since"][0], query["until"][0]
            rows = [row for row in account["rows"] if since <= row["date"] <= until]
            return 200, {"rows": rows}
        return 404, {"error": f"no route {parts.path}"}
