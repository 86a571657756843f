"""Shared HTTP machinery of the sandbox stand-ins: loopback-only threaded servers and fault plumbing.

Each platform is a `PlatformApp` that maps a parsed `Request` to a `Response`. `SandboxHTTPServer`
runs one app on a loopback port in a daemon thread. The app decides, per request, the endpoint
kind and account (for counters and limits), then asks its fault config what to do; the server
applies added latency and dropped connections, so every platform gets those for free.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import orjson

if TYPE_CHECKING:
    from perfmkt_pipeline.sandbox.counters import RequestCounters
    from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
    from perfmkt_pipeline.sandbox.faults import PlatformFaults, SandboxFaults
    from perfmkt_pipeline.sandbox.world import World

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("localhost",)
# How often a server thread checks for shutdown: small, so stopping a sandbox is quick.
_POLL_SECONDS = 0.05


class NonLoopbackBindError(ValueError):
    """The sandbox only ever listens on loopback addresses."""


def check_loopback(host: str) -> str:
    """Return `host` if it is a loopback address (or "localhost"), else raise."""
    if host in LOOPBACK_NAMES:
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise NonLoopbackBindError(
        f"refusing to bind {host!r}: the sandbox binds only loopback addresses "
        "(127.0.0.1, ::1 or localhost)"
    )


def _json_bytes(payload) -> bytes:
    """Compact UTF-8 JSON of a response payload, through orjson: encoding every page with the
    stdlib was much of the sandbox's CPU. What orjson refuses (integers beyond 64 bits, non-str
    keys) goes to the stdlib. (orjson writes a NaN as null; the sandbox serves none.)"""
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        return json.dumps(payload, separators=(",", ":")).encode()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    host: str  # the Host header, for absolute URLs in responses

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def form(self) -> dict[str, list[str]]:
        if "application/x-www-form-urlencoded" in self.headers.get("content-type", ""):
            return parse_qs(self.body.decode(), keep_blank_values=True)
        return {}

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status,
            _json_bytes(payload),
            {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        )

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=UTF-8"})


class ResultCache:
    """A small thread-safe LRU for query results, so that paging through them stays linear."""

    def __init__(self, size: int = 32):
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()

    def get_or_compute(self, key, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


class DropConnection(Exception):
    """Close the socket without sending a response."""


class PlatformApp:
    """One platform's stand-in. Subclasses implement `handle`; `guard` does counting and faults."""

    platform: str = ""

    def __init__(
        self,
        world: World,
        faults: SandboxFaults,
        counters: RequestCounters,
        credentials: SandboxCredentials,
    ):
        self.world = world
        self._faults = faults
        self.counters = counters
        self.credentials = credentials

    @property
    def faults(self) -> PlatformFaults:
        return self._faults.for_platform(self.platform)

    def guard(self, kind: str, account_id: str | None):
        """Count the request, add latency and return the fault decision (None = serve it)."""
        self.counters.record(self.platform, kind, account_id)
        config = self.faults
        decision = config.decide(kind, account_id)
        if config.latency_seconds:
            time.sleep(config.latency_seconds)
        if decision is not None:
            if decision == "limit_exceeded":
                self.counters.record_violation(self.platform, account_id)
            self.counters.record_fault(self.platform, decision, kind, account_id)
        if decision == "drop":
            raise DropConnection()
        return decision

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


def _handler_for(app: PlatformApp):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "perfmkt-sandbox"
        sys_version = ""

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                host=self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2]),
            )
            try:
                response = app.handle(request)
            except DropConnection:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            except Exception:  # a sandbox bug must surface as a 500, not hang the client
                log.exception("sandbox %s failed on %s %s", app.platform, self.command, self.path)
                response = Response.json({"error": "sandbox internal error"}, 500)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            log.debug("sandbox %s: " + format, app.platform, *args)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Clients keep connections alive; stopping must not wait for them to hang up.
    block_on_close = False
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class SandboxHTTPServer:
    """One app served on a loopback port (port 0 picks a free one)."""

    def __init__(self, app: PlatformApp, host: str = "127.0.0.1", port: int = 0):
        check_loopback(host)
        bind_host = "127.0.0.1" if host == "localhost" else host
        server_cls = _Server6 if ":" in bind_host else _Server
        self.app = app
        self._server = server_cls((bind_host, port), _handler_for(app))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"sandbox-{app.platform}",
            daemon=True,
        )

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
