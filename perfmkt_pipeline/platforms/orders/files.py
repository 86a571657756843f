"""Orders from CSV or Parquet exports: a file, a folder (every .csv and .parquet in it, in name
order) or a glob (`/exports/orders-*.csv`), validated like the affiliate file feeds: a missing
mapped column or a row that does not parse fails the run naming the file, the line (Parquet: the
row) and the order; nothing of the run is written. The same order with the same update time
twice in one file is an error (or, with `duplicates: warn`, the later line wins); across files,
the later file wins. Files are read a chunk of rows at a time.
"""

from __future__ import annotations

import csv
import glob
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from perfmkt_pipeline.config import OrderSourceSettings
from perfmkt_pipeline.platforms.orders.errors import OrderDataError, OrderFatalError

SUFFIXES = (".csv", ".parquet")
CHUNK_ROWS = 20_000
_ENCODING = "utf-8-sig"  # spreadsheet exports often start with a byte-order mark
_GLOB_CHARACTERS = frozenset("*?[")

# (where, row) pairs: where names the file and line for error messages.
Rows = list[tuple[str, Mapping[str, Any]]]


def order_files(source: OrderSourceSettings) -> list[Path]:
    """Every file of the source, in the order they are applied."""
    assert source.files is not None
    location = str(Path(source.files.location).expanduser())
    if _GLOB_CHARACTERS & set(location):
        paths = [Path(p) for p in sorted(glob.glob(location, recursive=True))]
        paths = [p for p in paths if p.is_file() and p.suffix.lower() in SUFFIXES]
        if not paths:
            raise OrderFatalError(source.name, f"{location}: no .csv or .parquet file matches")
        return paths
    path = Path(location)
    if path.is_dir():
        paths = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
        if not paths:
            raise OrderFatalError(source.name, f"{path}: no .csv or .parquet file in the folder")
        return paths
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise OrderFatalError(source.name, f"{path}: neither .csv nor .parquet")
        return [path]
    raise OrderFatalError(source.name, f"{path}: no such file or folder")


def file_rows(
    source: OrderSourceSettings,
    check_columns: Callable[[list[str], str, str], None],
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[tuple[Path, Rows]]:
    """(file, rows) per chunk of every file; `check_columns(columns, what, where)` is called with
    each file's columns before its rows."""
    for path in order_files(source):
        reader = _parquet_rows if path.suffix.lower() == ".parquet" else _csv_rows
        for rows in reader(source, path, check_columns, chunk_rows):
            yield path, rows


def _csv_rows(source, path: Path, check_columns, chunk_rows: int) -> Iterator[Rows]:
    assert source.files is not None
    with path.open(newline="", encoding=_ENCODING) as handle:
        reader = csv.reader(handle, delimiter=source.files.delimiter)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        check_columns(header, "the header", f"{path}, line 1")
        rows: Rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # a blank line
            where = f"{path}, line {reader.line_num}"
            if len(values) != len(header):
                raise OrderDataError(
                    source.name, None, "order_id", None,
                    f"{len(values)} values for {len(header)} columns", where=where,
                )  # fmt: skip
            rows.append((where, dict(zip(header, values, strict=True))))
            if len(rows) >= chunk_rows:
                yield rows
                rows = []
        if rows:
            yield rows


def _parquet_rows(source, path: Path, check_columns, chunk_rows: int) -> Iterator[Rows]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a file that is not Parquet
        raise OrderFatalError(source.name, f"{path}: not a Parquet file ({error})") from None
    check_columns(parquet.schema_arrow.names, "the file's columns", str(path))
    number = 0
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        rows: Rows = []
        for row in batch.to_pylist():
            number += 1
            rows.append((f"{path}, row {number}", row))
        yield rows
