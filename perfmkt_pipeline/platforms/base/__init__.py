"""The framework every platform builds on, naming none of them: the spec (spec.py), bounded
account concurrency (parallel.py), on-disk spooling of pages (spool.py), row sinks (sinks.py),
the raw `record` JSON codec (json_codec.py) and the row-loss guard from configuration
(row_loss.py)."""
