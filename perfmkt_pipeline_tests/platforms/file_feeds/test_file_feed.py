"""File-based feeds: CSV exports mapped by configuration, from a folder, a file or a URL; a
malformed row names file, line and column and nothing of the file is returned."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from perfmkt_pipeline.config import FileFeedSettings
from perfmkt_pipeline.platforms.file_feeds.feed import FileFeedError, read_feed_window


def read_feed(*args, **kwargs):
    """The feed's records in a window (what its reader yields)."""
    return read_feed_window(*args, **kwargs).records


HEADER = (
    "Order ID,Transaction Date,Status,Publisher ID,Publisher Name,Sales,Total Commission,Updated"
)
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def feed(location: str | Path, **changes) -> FileFeedSettings:
    return FileFeedSettings(
        name="rakuten",
        location=str(location),
        currency="USD",
        date_format="%m/%d/%Y",
        updated_at_format="%Y-%m-%d %H:%M",
        columns={
            "action_id": "Order ID",
            "event_date": "Transaction Date",
            "status": "Status",
            "partner_id": "Publisher ID",
            "partner_name": "Publisher Name",
            "sale_amount": "Sales",
            "commission": "Total Commission",
            "updated_at": "Updated",
        },
        status_map={"Pending": "pending", "Approved": "approved", "Reversed": "reversed"},
        account_id="rk-001",
        **changes,
    )


def write(folder: Path, name: str, *rows: str) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_folder_of_exports_is_mapped_filtered_by_event_day_and_the_latest_row_wins(tmp_path):
    write(
        tmp_path,
        "2026-10-05.csv",
        "A1,10/01/2026,Pending,77,Coupon Hub,100.00,8.00,2026-10-01 09:00",
        "A2,10/02/2026,Pending,78,Deal Blog,50.5,4.04,2026-10-02 10:30",
        "A0,09/01/2026,Approved,77,Coupon Hub,20,1.6,2026-10-15 08:00",
        "A9,11/01/2026,Pending,77,Coupon Hub,20,1.6,2026-11-01 08:00",
    )
    write(
        tmp_path,
        "2026-10-20.csv",
        "A1,10/01/2026,Approved,77,Coupon Hub,100.00,8.00,2026-10-18 12:00",
    )
    (tmp_path / "notes.txt").write_text("not a feed file")

    records = read_feed(feed(tmp_path), *OCTOBER)

    # By event day: A0 (a September sale updated in October) and A9 (November) are not
    # October's; A1 is, in its latest state, however late it was decided.
    assert [(r.action_id, r.status, r.window_date, r.updated_at) for r in records] == [
        ("A2", "Pending", dt.date(2026, 10, 2), dt.datetime(2026, 10, 2, 10, 30, tzinfo=dt.UTC)),
        ("A1", "Approved", dt.date(2026, 10, 1), dt.datetime(2026, 10, 18, 12, tzinfo=dt.UTC)),
    ]
    a1 = records[1]
    assert (a1.platform, a1.account_id, a1.record_id, a1.currency) == (
        "rakuten",
        "rk-001",
        "A1",
        "USD",
    )
    assert (a1.event_date, a1.partner_id, a1.partner_name) == (
        dt.date(2026, 10, 1),
        "77",
        "Coupon Hub",
    )
    assert (a1.sale_amount, a1.commission) == (Decimal("100.00"), Decimal("8.00"))
    assert json.loads(a1.record) == {
        "Order ID": "A1",
        "Transaction Date": "10/01/2026",
        "Status": "Approved",
        "Publisher ID": "77",
        "Publisher Name": "Coupon Hub",
        "Sales": "100.00",
        "Total Commission": "8.00",
        "Updated": "2026-10-18 12:00",
    }


def test_without_an_updated_at_column_rows_belong_to_their_event_day(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Order ID,Transaction Date,Status,Total Commission\nB1,10/03/2026,Pending,2\n")
    settings = FileFeedSettings(
        name="shareasale",
        location=str(path),
        currency="EUR",
        date_format="%m/%d/%Y",
        columns={
            "action_id": "Order ID",
            "event_date": "Transaction Date",
            "status": "Status",
            "commission": "Total Commission",
        },
        status_map={"Pending": "pending"},
    )
    [record] = read_feed(settings, *OCTOBER)
    assert (record.window_date, record.updated_at, record.sale_amount, record.commission) == (
        dt.date(2026, 10, 3),
        None,
        None,
        Decimal("2"),
    )


@pytest.mark.parametrize(
    ("row", "column", "problem"),
    [
        (
            "A3,10/32/2026,Pending,77,Coupon Hub,10,1,2026-10-02 10:00",
            "Transaction Date",
            "'10/32/2026' is not a date in the format '%m/%d/%Y'",
        ),
        (
            "A3,10/02/2026,Pending,77,Coupon Hub,10,1.2.3,2026-10-02 10:00",
            "Total Commission",
            "'1.2.3' is not a number",
        ),
        (
            "A3,10/02/2026,Pending,77,Coupon Hub,ten,1,2026-10-02 10:00",
            "Sales",
            "'ten' is not a number",
        ),
        (
            "A3,10/02/2026,Locked,77,Coupon Hub,10,1,2026-10-02 10:00",
            "Status",
            "unknown status 'Locked' (the feed's statuses: Approved, Pending, Reversed)",
        ),
    ],
)
def test_a_malformed_row_names_file_line_and_column_and_returns_nothing(
    tmp_path, row, column, problem
):
    path = write(
        tmp_path,
        "export.csv",
        "A1,10/01/2026,Pending,77,Coupon Hub,100.00,8.00,2026-10-01 09:00",
        row,
        "A4,10/03/2026,Pending,77,Coupon Hub,100.00,8.00,2026-10-03 09:00",
    )
    with pytest.raises(FileFeedError) as raised:
        read_feed(feed(tmp_path), *OCTOBER)
    assert str(raised.value) == f"rakuten: {path}, line 3, column {column!r}: {problem}"
    assert (raised.value.file, raised.value.line, raised.value.column) == (str(path), 3, column)


def test_a_header_without_a_mapped_column_is_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Order ID,Status\nA1,Pending\n")
    with pytest.raises(FileFeedError) as raised:
        read_feed(feed(path), *OCTOBER)
    assert str(raised.value) == (
        f"rakuten: {path}, line 1, column 'Transaction Date': column missing from the header"
    )


@pytest.fixture
def csv_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering every GET with one CSV export; records the paths asked."""
    asked: list[str] = []
    body = "\n".join([HEADER, "A1,10/01/2026,Reversed,77,Coupon Hub,100.00,8.00,2026-10-20 09:00"])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - stdlib name
            asked.append(self.path)
            payload = ("\ufeff" + body).encode()  # with the byte-order mark spreadsheets add
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_a_feed_at_an_http_url_is_downloaded_and_parsed_alike(csv_server):
    url, asked = csv_server
    [record] = read_feed(feed(f"{url}/exports/rakuten.csv?token=abc"), *OCTOBER)
    assert asked == ["/exports/rakuten.csv?token=abc"]
    assert (record.action_id, record.status, record.commission) == (
        "A1",
        "Reversed",
        Decimal("8.00"),
    )
    assert record.window_date == dt.date(2026, 10, 1)


def test_an_action_in_several_files_is_its_history_and_a_repeat_in_one_file_a_duplicate(tmp_path):
    write(
        tmp_path,
        "2026-10-05.csv",
        "A1,10/01/2026,Pending,77,Coupon Hub,100.00,8.00,2026-10-01 09:00",
        "A1,10/01/2026,Approved,77,Coupon Hub,100.00,8.00,2026-10-04 12:00",
    )
    # Overlapping exports: the same reading again, and a correction at the same time.
    write(
        tmp_path,
        "2026-10-06.csv",
        "A1,10/01/2026,Approved,77,Coupon Hub,100.00,8.00,2026-10-04 12:00",
        "A2,10/02/2026,Pending,78,Deal Blog,50.5,4.04,2026-10-02 10:30",
    )
    write(
        tmp_path, "2026-10-07.csv", "A2,10/02/2026,Pending,78,Deal Blog,50.5,4.40,2026-10-02 10:30"
    )

    read = read_feed_window(feed(tmp_path), *OCTOBER)

    assert [(r.action_id, r.status, r.commission) for r in read.records] == [
        ("A2", "Pending", Decimal("4.40")),  # the same time in a later file: the later file wins
        ("A1", "Approved", Decimal("8.00")),
    ]
    assert read.duplicates == 0
    assert read.files == [str(tmp_path / f"2026-10-0{d}.csv") for d in (5, 6, 7)]

    write(tmp_path, "2026-10-07.csv", "A2,10/02/2026,Pending,78,Deal Blog,50.5,4.40,2026-10-02 10:30",
          "A2,10/02/2026,Pending,78,Deal Blog,50.5,4.40,2026-10-02 10:30")  # fmt: skip
    with pytest.raises(FileFeedError) as error:
        read_feed_window(feed(tmp_path), *OCTOBER)
    assert str(error.value) == (
        f"rakuten: {tmp_path / '2026-10-07.csv'}, line 3: duplicate record: action 'A2' "
        "(2026-10-02T10:30:00+00:00) is already on line 2 (set duplicates: warn to keep the "
        "later line)"
    )


def test_without_update_times_an_action_twice_in_one_file_is_a_duplicate(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Order ID,Transaction Date,Status,Total Commission\nB1,10/03/2026,Pending,2\n"
                    "B1,10/03/2026,Approved,2\n")  # fmt: skip
    settings = FileFeedSettings(
        name="shareasale",
        location=str(path),
        currency="EUR",
        date_format="%m/%d/%Y",
        columns={"action_id": "Order ID", "event_date": "Transaction Date", "status": "Status",
                 "commission": "Total Commission"},
        status_map={"Pending": "pending", "Approved": "approved"},
    )  # fmt: skip
    with pytest.raises(FileFeedError, match=r"line 3: duplicate record: action 'B1' \(no update"):
        read_feed(settings, *OCTOBER)
    warnings: list[str] = []
    [record] = read_feed(settings.model_copy(update={"duplicates": "warn"}), *OCTOBER,
                         warn=warnings.append)  # fmt: skip
    assert record.status == "Approved"
    assert warnings == [
        f"shareasale: 1 duplicate record(s) (the same action and update time twice in one "
        f"file), the later line kept; the first: {path}, line 3, action 'B1' (no update time)"
    ]


def test_an_action_updated_after_the_window_stays_on_its_event_day(tmp_path):
    write(
        tmp_path,
        "state.csv",  # a current-state export: one row per action, its latest state
        "A1,09/20/2026,Approved,77,Coupon Hub,100.00,8.00,2026-10-04 12:00",  # decided later
        "A2,09/21/2026,Pending,78,Deal Blog,50.5,4.04,2026-09-21 10:30",
        "A3,10/02/2026,Pending,78,Deal Blog,10,1,2026-10-02 08:00",  # a sale after the window
    )
    read = read_feed_window(feed(tmp_path), dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert [(r.action_id, r.status, r.window_date) for r in read.records] == [
        ("A2", "Pending", dt.date(2026, 9, 21)),
        ("A1", "Approved", dt.date(2026, 9, 20)),
    ]
