"""A chunk's rows for one table, kept on local disk as Arrow until the chunk is written.

A connector asset reads a chunk (a report run, a stream) page by page into `ArrowSpool`s, then
replaces the chunk's slice in one transaction from the spools, batch by batch. So its memory is
one page however long the chunk, and the warehouse's writer is held only while writing, never
while waiting for the API. Spools are `RowSink`s: a client that starts a request over rolls back
what the abandoned attempt delivered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.warehouse.write import arrow_schema


class ArrowSpool:
    """Rows of `table` (without `loaded_at`, which the write adds) in an Arrow IPC file."""

    def __init__(
        self, table: sa.Table, folder: Path, to_table: Callable[[list[Any]], pa.Table] | None = None
    ):
        """`to_table` turns what a client delivers into Arrow with the table's column types
        (default: the rows are dicts of column values)."""
        self.table = table
        self.schema = arrow_schema(table, [c.name for c in table.columns if c.name != "loaded_at"])
        self._folder = folder
        self._to_table = to_table
        self._path: Path | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._written = 0  # batches in the file
        self._live: list[tuple[int, int]] = []  # (batch index, rows) of batches not rolled back

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self._live)

    def add(self, rows: list[Any]) -> None:
        if not rows:
            return
        if self._to_table is not None:
            data = self._to_table(rows).select(self.schema.names).cast(self.schema)
        else:
            data = pa.Table.from_pylist(rows, schema=self.schema)
        self._write(data)

    def add_columns(self, columns: dict[str, list[Any]]) -> None:
        """Like `add` with dicts of column values, the rows given as columns instead (column ->
        values, every column of the spool): no dict per row to build and take apart."""
        if not next(iter(columns.values()), None):
            return
        self._write(pa.Table.from_pydict(columns, schema=self.schema))

    def _write(self, data: pa.Table) -> None:
        if self._writer is None:
            if self._path is not None:
                raise RuntimeError("a spool that was read cannot be added to; clear it first")
            self._path = self._folder / f"{self.table.name}-{uuid.uuid4().hex}.arrow"
            self._writer = pa.ipc.new_file(str(self._path), self.schema)
        for batch in data.to_batches():
            self._writer.write_batch(batch)
            self._live.append((self._written, batch.num_rows))
            self._written += 1

    def mark(self) -> int:
        return len(self._live)

    def rollback(self, mark: int) -> None:
        del self._live[mark:]

    def frames(self) -> Iterator[pa.Table]:
        """The rows, one batch at a time (the spool cannot be added to afterwards)."""
        if self._path is None:
            return
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        with pa.OSFile(str(self._path)) as source:
            reader = pa.ipc.open_file(source)
            for index, _ in self._live:
                yield pa.Table.from_batches([reader.get_batch(index)])

    def clear(self) -> None:
        """Forget every row and delete the file (ready for the next chunk)."""
        if self._writer is not None:
            self._writer.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        self._path, self._writer, self._written, self._live = None, None, 0, []
