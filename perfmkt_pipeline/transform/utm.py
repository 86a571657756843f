"""UTM parameters of a URL: platform-agnostic, for first-party orders (their landing URL) and for
ads' final URLs (marts.url_daily, "Below the campaign" in WAREHOUSE.md).

The rule, the same for both sides so that an order and an ad carrying the same tags match:

- Only the query string is read (not the fragment); a bare query (`utm_source=x&...`, with or
  without a leading `?`) is read too.
- Parameter names are matched case-insensitively (`UTM_Source` is utm_source); values are kept
  as sent: percent-decoding (and `+` for a space, as forms encode it) is undone, but case,
  spelling and surrounding characters are not touched.
- The first occurrence of a parameter wins; an absent or empty value is None (NULL).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def utm_parameters(url: str | None) -> dict[str, str | None]:
    """utm_source, utm_medium, utm_campaign, utm_content, utm_term of `url` (None when absent)."""
    found: dict[str, str | None] = {}
    if url:
        for name, value in parse_qsl(_query(url.strip()), keep_blank_values=True):
            key = name.strip().lower()
            if key in UTM_FIELDS and key not in found:  # the first occurrence wins
                found[key] = value if value != "" else None
    return {name: found.get(name) for name in UTM_FIELDS}


def _query(url: str) -> str:
    if "?" not in url and "=" in url and "/" not in url.split("=", 1)[0]:
        return url.split("#", 1)[0]  # a bare query string
    if url.startswith("?"):
        return url[1:].split("#", 1)[0]
    return urlsplit(url).query


def utm_columns(urls: Iterable[str | None] | pa.Array | pa.ChunkedArray) -> dict[str, pa.Array]:
    """The five UTM columns of a column of URLs (each distinct URL parsed once)."""
    values = urls.to_pylist() if isinstance(urls, pa.Array | pa.ChunkedArray) else list(urls)
    parsed = {url: utm_parameters(url) for url in set(values)}
    return {
        name: pa.array([parsed[url][name] for url in values], pa.string()) for name in UTM_FIELDS
    }


__all__ = ["UTM_FIELDS", "utm_columns", "utm_parameters"]
