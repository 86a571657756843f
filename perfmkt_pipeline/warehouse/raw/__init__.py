"""The `raw` landing tables: what each source returned, typed, plus the record as received.

`raw` is the pipeline's own business (WAREHOUSE.md): it may change freely, as long as every record a
source returned is kept in `record` (JSON text, exactly as received) before anything transforms it.
A registered platform's own raw tables live in its folder (platforms/<name>/tables.py) and are
listed by its spec. Every table carries the slice columns the write path replaces by: a source/platform, an account and
a date (`date` for daily reports, `window_date` for affiliate actions read by update day).
"""

from perfmkt_pipeline.warehouse.raw.common import load_log

__all__ = [
    "load_log",
]
