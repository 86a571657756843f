"""Keep secrets out of notifications: every value of a secret environment variable, and the
password of any URL, is replaced before a message leaves the process. Error messages are the
usual leak (a client echoing its request, a connection string in an exception)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

from perfmkt_pipeline.config import (
    CHANNEL_SECRET_ENV_VARS,
    OPTIONAL_SECRET_ENV_VARS,
    SECRET_ENV_VARS,
    WAREHOUSE_URL_ENV_VAR,
)
from perfmkt_pipeline.notify.message import Notification

MASK = "***"
# Any variable named like a secret counts as one, whatever the project calls it.
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_KEY)", re.I)
# Shorter values would mask ordinary words and numbers.
_MIN_SECRET_LENGTH = 6
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?P<password>[^@\s/]+)@", re.I)
_NAMED = {
    *(var for names in SECRET_ENV_VARS.values() for var in names),
    *OPTIONAL_SECRET_ENV_VARS,
    *CHANNEL_SECRET_ENV_VARS.values(),
    WAREHOUSE_URL_ENV_VAR,
    "DAGSTER_PG_PASSWORD",
    "PERFMKT_ANALYST_PASSWORD",
}


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Values to mask, longest first (so a secret containing another is masked whole)."""
    values = set()
    for name, value in environ.items():
        if (name in _NAMED or _SECRET_NAME.search(name)) and len(value) >= _MIN_SECRET_LENGTH:
            values.add(value)
            values.update(m.group("password") for m in _URL_PASSWORD.finditer(value))
            values.update(_url_parts(value))
    return sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=lambda v: (-len(v), v))


def _url_parts(value: str) -> list[str]:
    """A secret http(s) URL (a Teams or webhook URL) is secret in its path and query too:
    HTTP clients' errors name the path without the host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return [tail, *(v for _, v in parse_qsl(parts.query))]


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)


def scrub(notification: Notification, environ: Mapping[str, str]) -> Notification:
    secrets = secret_values(environ)
    return notification.mapped(lambda text: scrub_text(text, secrets))
