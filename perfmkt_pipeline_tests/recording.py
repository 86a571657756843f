"""vcrpy set-up shared by every HTTP connector test: cassettes live in `cassettes/<platform>/`,
credentials are scrubbed when recording, and requests match without host and port (cassettes
recorded against a sandbox on one free port replay against any other)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import vcr

CASSETTES = Path(__file__).parent / "cassettes"
SCRUBBED = "SCRUBBED"
# Query/form parameters and headers that carry credentials on the platforms we call.
SECRET_PARAMETERS = (
    "access_token",
    "appsecret_proof",
    "client_secret",
    "refresh_token",
    "client_id",
)
SECRET_HEADERS = ("authorization", "x-api-key", "cookie", "set-cookie")
SECRET_BODY_KEYS = ("access_token", "refresh_token", "id_token", "client_secret")
# Response bodies can repeat a request's query, credentials included (Graph's `paging.next`).
_SECRET_IN_URL = re.compile(rf"\b({'|'.join(SECRET_PARAMETERS)})=[^&\"'\s]+")


def _scrub_form(body: bytes | str | None) -> bytes | str | None:
    if not body:
        return body
    text = body.decode() if isinstance(body, bytes) else body
    if "=" not in text or text.lstrip().startswith("{"):
        return body
    pairs = [
        (k, SCRUBBED if k in SECRET_PARAMETERS else v)
        for k, v in parse_qsl(text, keep_blank_values=True)
    ]
    scrubbed = urlencode(pairs)
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


def _scrub_request(request):
    request.body = _scrub_form(request.body)
    return request


def _scrub_response(response):
    body = response.get("body", {}).get("string")
    if not body:
        return response
    try:
        text = body.decode() if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        return response
    text = _SECRET_IN_URL.sub(rf"\1={SCRUBBED}", text)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and any(key in data for key in SECRET_BODY_KEYS):
        data.update({key: SCRUBBED for key in SECRET_BODY_KEYS if key in data})
        text = json.dumps(data)
    response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return response


def recorder(platform: str, record_mode: str = "none") -> vcr.VCR:
    """A VCR for `platform`'s cassettes. Tests replay (`none`); re-record with `once` locally."""
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES / platform),
        record_mode=record_mode,
        match_on=["method", "scheme", "path", "query"],
        filter_query_parameters=[(name, SCRUBBED) for name in SECRET_PARAMETERS],
        filter_headers=[(name, SCRUBBED) for name in SECRET_HEADERS],
        filter_post_data_parameters=[(name, SCRUBBED) for name in SECRET_PARAMETERS],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
