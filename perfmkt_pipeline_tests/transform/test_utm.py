"""UTM parameters of a URL: names case-insensitive, values as sent (decoded), first wins."""

from __future__ import annotations

import pyarrow as pa

from perfmkt_pipeline.transform.utm import utm_columns, utm_parameters


def test_names_match_case_insensitively_and_values_are_kept_as_sent() -> None:
    url = (
        "https://shop.example/p?UTM_Source=Google&Utm_Medium=CPC&utm_campaign=Brand%20DE"
        "&utm_content=ad+1&utm_term=red%2Bshoes&utm_campaign=second#utm_source=fragment"
    )
    assert utm_parameters(url) == {
        "utm_source": "Google",
        "utm_medium": "CPC",
        "utm_campaign": "Brand DE",
        "utm_content": "ad 1",
        "utm_term": "red+shoes",
    }


def test_absent_or_empty_parameters_are_none_and_a_bare_query_is_read() -> None:
    none = dict.fromkeys(["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"])
    assert utm_parameters(None) == none
    assert utm_parameters("https://shop.example/") == none
    assert utm_parameters("utm_source=news&utm_medium=") == {**none, "utm_source": "news"}
    assert utm_parameters("?utm_campaign=x") == {**none, "utm_campaign": "x"}
    assert utm_parameters("shop.example/landing?utm_medium=email") == {
        **none,
        "utm_medium": "email",
    }


def test_a_column_of_urls_gives_five_columns() -> None:
    urls = pa.array(["https://a.example/?utm_source=x", None, "https://a.example/?utm_source=x"])
    columns = utm_columns(urls)
    assert columns["utm_source"].to_pylist() == ["x", None, "x"]
    assert columns["utm_term"].to_pylist() == [None, None, None]
