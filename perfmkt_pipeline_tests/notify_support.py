"""Real servers on loopback that receive notifications, for the tests: a JSON webhook receiver
and a Slack Web API stand-in (http.server in a thread) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Receiver:
    """An HTTP server on 127.0.0.1 recording every POST (path, headers, body)."""

    answer: bytes = b"{}"

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [r["body"] for r in self.requests]

    def wait_for(self, count: int, timeout: float) -> float:
        """Seconds until `count` requests arrived (AssertionError after `timeout`)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if len(self.bodies()) >= count:
                return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"{len(self.bodies())} of {count} requests after {timeout} s")


class WebhookReceiver(_Receiver):
    def payloads(self) -> list[dict]:
        return [json.loads(body) for body in self.bodies()]


class SlackStandIn(_Receiver):
    """Answers chat.postMessage as Slack's Web API does when it works."""

    answer = json.dumps({"ok": True, "channel": "C0TEST", "ts": "1.0"}).encode()

    def posts(self) -> list[dict]:
        found = []
        for request in self.requests:
            text = request["body"].decode()
            if request["headers"].get("Content-Type", "").startswith("application/json"):
                fields = json.loads(text)
            else:
                fields = {k: v[0] for k, v in parse_qs(text).items()}
            found.append({"path": request["path"], "headers": request["headers"], **fields})
        return found


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 accepting one login (AUTH over plain SMTP: loopback only)."""

    def __init__(self, username: str, password: str) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                receiver.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                receiver.messages.append(
                    message_from_bytes(envelope.content, policy=policy.default)
                )
                return "250 OK"

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            ) == (username, password)
            if ok:
                receiver.logins.append(username)
            return AuthResult(success=ok)

        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticate,
            auth_require_tls=False,
        )  # fmt: skip

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def raw_texts(self) -> list[str]:
        return [m.as_string() for m in self.messages]
