"""The Google Ads API stand-in: `GoogleAdsService` (SearchStream, Search) and
`CustomerService.ListAccessibleCustomers` over real gRPC with TLS on loopback.

The official `google-ads` client runs against it unchanged: give it `endpoint=server.endpoint`,
an access token issued by the sandbox OAuth endpoint, the sandbox developer token, and trust the
CA in `server.ca_file` (tls.py; `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`). Requests and responses are
the library's own message types for the configured API version. Each call is counted, may get
an injected fault (faults.py, platform "google_ads"), is authenticated (bearer token,
developer token) and authorized (`login-customer-id` must be a manager above the customer);
errors end the call with a `GoogleAdsFailure` in the trailers (errors.py).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from concurrent import futures
from importlib import import_module
from typing import Any

import grpc
from google.protobuf import field_mask_pb2

from perfmkt_pipeline.platforms.google_ads.standin import gaql
from perfmkt_pipeline.platforms.google_ads.standin.accounts import CustomerDirectory
from perfmkt_pipeline.platforms.google_ads.standin.errors import (
    REQUEST_ID_KEY,
    AdsRpcError,
    abort,
    dropped_connection,
    internal_error,
    query_error,
    request_error,
)
from perfmkt_pipeline.platforms.google_ads.standin.gate import CallGate
from perfmkt_pipeline.platforms.google_ads.standin.query import (
    QueryPlan,
    page_token,
    read_page_token,
)
from perfmkt_pipeline.sandbox import tls
from perfmkt_pipeline.sandbox.counters import RequestCounters
from perfmkt_pipeline.sandbox.credentials import SandboxCredentials
from perfmkt_pipeline.sandbox.faults import SandboxFaults
from perfmkt_pipeline.sandbox.http_server import check_loopback
from perfmkt_pipeline.sandbox.world import World

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "v26"
# SearchStream sends a query's rows in messages of up to 10,000 rows.
STREAM_BATCH_ROWS = 10_000
# Search pages at a fixed 10,000 rows; the request's page_size is refused since API v17.
SEARCH_PAGE_ROWS = 10_000
# config.ENDPOINT_ENV_VARS["google_ads"]: the variable overriding the API endpoint.
ENDPOINT_ENV_VAR = "PERFMKT_GOOGLE_ADS_ENDPOINT"
KIND_SEARCH_STREAM = "google_ads.search_stream"
KIND_SEARCH = "google_ads.search"
KIND_LIST_ACCESSIBLE = "google_ads.list_accessible_customers"


class GoogleAdsServer:
    """In-process gRPC server on a free loopback port; a context manager (`start`/`stop`)."""

    def __init__(
        self,
        world: World,
        faults: SandboxFaults | None = None,
        counters: RequestCounters | None = None,
        credentials: SandboxCredentials | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str = DEFAULT_API_VERSION,
        search_page_rows: int = SEARCH_PAGE_ROWS,
        stream_batch_rows: int = STREAM_BATCH_ROWS,
        max_workers: int = 8,
        install_trust: bool = True,
    ):
        self.world = world
        self.faults = faults or SandboxFaults()
        self.counters = counters or RequestCounters()
        self.credentials = credentials or SandboxCredentials()
        self.host = check_loopback(host)
        self.api_version = api_version
        self.search_page_rows = search_page_rows
        self.stream_batch_rows = stream_batch_rows
        self._requested_port = port
        self._max_workers = max_workers
        self._install_trust = install_trust
        self._server: grpc.Server | None = None
        self.port: int | None = None
        services = f"google.ads.googleads.{api_version}.services"
        self._ads_types = import_module(f"{services}.types.google_ads_service")
        self._customer_types = import_module(f"{services}.types.customer_service")
        self._services = services
        self._gate = CallGate(self.faults, self.counters, self.credentials)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """`host:port` for `GoogleAdsClient(endpoint=...)`; the certificate names every
        loopback host the server may bind (localhost, 127.0.0.1, ::1)."""
        if self.port is None:
            raise RuntimeError("server not started")
        return f"{_bracketed(self.host)}:{self.port}"

    @property
    def ca_file(self) -> str:
        """PEM file of the CA a client must trust (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH)."""
        return tls.ca_file()

    def env(self) -> dict[str, str]:
        """The variables that point the pipeline (and the official client) at this server: its
        endpoint, and the CA file gRPC must trust (read once per process)."""
        return {ENDPOINT_ENV_VAR: self.endpoint, tls.GRPC_ROOTS_ENV: self.ca_file}

    def start(self) -> GoogleAdsServer:
        if self._server is not None:
            return self
        material = tls.loopback_tls()
        if self._install_trust:
            tls.install_trust()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=self._max_workers))
        server.add_generic_rpc_handlers(self._handlers())
        credentials = grpc.ssl_server_credentials(
            [(material.server_key_pem, material.server_cert_pem)]
        )
        address = f"{_bracketed(self.host)}:{self._requested_port}"
        port = server.add_secure_port(address, credentials)
        if not port:
            raise OSError(f"could not bind the Google Ads stand-in to {self.host}")
        server.start()
        self._server, self.port = server, port
        log.info("Google Ads stand-in listening on %s (TLS)", self.endpoint)
        return self

    def stop(self, grace: float | None = None) -> None:
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None

    def __enter__(self) -> GoogleAdsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handlers(self) -> tuple[grpc.GenericRpcHandler, ...]:
        ads, cust = self._ads_types, self._customer_types

        def serialize(message: Any) -> bytes:
            return message.SerializeToString()

        google_ads = grpc.method_handlers_generic_handler(
            f"{self._services}.GoogleAdsService",
            {
                "SearchStream": grpc.unary_stream_rpc_method_handler(
                    self._search_stream,
                    request_deserializer=ads.SearchGoogleAdsStreamRequest.deserialize,
                    response_serializer=serialize,
                ),
                "Search": grpc.unary_unary_rpc_method_handler(
                    self._search,
                    request_deserializer=ads.SearchGoogleAdsRequest.deserialize,
                    response_serializer=serialize,
                ),
            },
        )
        customers = grpc.method_handlers_generic_handler(
            f"{self._services}.CustomerService",
            {
                "ListAccessibleCustomers": grpc.unary_unary_rpc_method_handler(
                    self._list_accessible_customers,
                    request_deserializer=cust.ListAccessibleCustomersRequest.deserialize,
                    response_serializer=serialize,
                )
            },
        )
        return (google_ads, customers)

    # -- RPCs -------------------------------------------------------------------------------

    def _search_stream(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        request_id = _begin(context)
        try:
            served = self._gate.admit(KIND_SEARCH_STREAM, request.customer_id, _metadata(context))
            plan, records = self._run_query(context, request.customer_id, request.query)
            response_class = self._ads_types.SearchGoogleAdsStreamResponse.pb()
            mask = field_mask_pb2.FieldMask(paths=plan.field_mask)
            fill = plan.row_filler()
            starts = range(0, max(len(records), 1), self.stream_batch_rows)
            for i, first in enumerate(starts):
                # A dropped connection dies mid-stream when there is more than one batch, so
                # the client holds part of the rows; otherwise before the first row.
                if not served and (i > 0 or len(starts) == 1):
                    raise AdsRpcError(dropped_connection())
                response = response_class(field_mask=mask, request_id=request_id)
                for record in records[first : first + self.stream_batch_rows]:
                    fill(response.results.add(), record)
                yield response
        except AdsRpcError as error:
            abort(context, error.error, self.api_version, request_id)
        except Exception:
            log.exception("Google Ads stand-in failed on SearchStream")
            abort(context, internal_error(), self.api_version, request_id)

    def _search(self, request: Any, context: grpc.ServicerContext) -> Any:
        request_id = _begin(context)
        try:
            if not self._gate.admit(KIND_SEARCH, request.customer_id, _metadata(context)):
                raise AdsRpcError(dropped_connection())
            if request.page_size:
                raise AdsRpcError(
                    request_error(
                        "PAGE_SIZE_NOT_SUPPORTED",
                        "Search pages at a fixed 10,000 rows; do not set page_size.",
                    )
                )
            plan, records = self._run_query(context, request.customer_id, request.query)
            offset = read_page_token(request.page_token, request.customer_id, request.query)
            end = offset + self.search_page_rows
            response = self._ads_types.SearchGoogleAdsResponse.pb()(
                field_mask=field_mask_pb2.FieldMask(paths=plan.field_mask)
            )
            fill = plan.row_filler()
            for record in records[offset:end]:
                fill(response.results.add(), record)
            if end < len(records):
                response.next_page_token = page_token(end, request.customer_id, request.query)
            if request.search_settings.return_total_results_count:
                response.total_results_count = len(records)
            return response
        except AdsRpcError as error:
            abort(context, error.error, self.api_version, request_id)
        except Exception:
            log.exception("Google Ads stand-in failed on Search")
            abort(context, internal_error(), self.api_version, request_id)

    def _list_accessible_customers(self, request: Any, context: grpc.ServicerContext) -> Any:
        request_id = _begin(context)
        try:
            if not self._gate.admit(KIND_LIST_ACCESSIBLE, None, _metadata(context)):
                raise AdsRpcError(dropped_connection())
            directory = CustomerDirectory(self.world)
            names = [f"customers/{c.customer_id}" for c in directory.accessible()]
            return self._customer_types.ListAccessibleCustomersResponse.pb()(resource_names=names)
        except AdsRpcError as error:
            abort(context, error.error, self.api_version, request_id)
        except Exception:
            log.exception("Google Ads stand-in failed on ListAccessibleCustomers")
            abort(context, internal_error(), self.api_version, request_id)

    def _run_query(
        self, context: grpc.ServicerContext, customer_id: str, query_text: str
    ) -> tuple[QueryPlan, list[dict[str, Any]]]:
        directory = CustomerDirectory(self.world)
        customer = self._gate.authorize(directory, customer_id, _metadata(context))
        try:
            plan = QueryPlan(gaql.parse(query_text), customer, self.api_version)
            return plan, plan.records(self.world, directory)
        except gaql.GaqlError as error:
            raise AdsRpcError(query_error(error.code, error.message, error.trigger)) from error


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _begin(context: grpc.ServicerContext) -> str:
    """A fresh request id, sent in the initial metadata as the API does."""
    request_id = secrets.token_urlsafe(16)[:22]
    context.send_initial_metadata(((REQUEST_ID_KEY, request_id),))
    return request_id


def _metadata(context: grpc.ServicerContext) -> dict[str, str]:
    return {key: value for key, value in context.invocation_metadata() if isinstance(value, str)}
