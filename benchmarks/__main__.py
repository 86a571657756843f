"""`make bench`: every benchmark, then one line per figure with its baseline from the same run,
the ratio and the target. Exits non-zero when a target is missed.

    python -m benchmarks                 # all
    python -m benchmarks.write_path      # one (also: api_efficiency, end_to_end, transform,
                                         # memory, below_memory, floor, fixed_cost,
                                         # celery_scaling, orders_read)
"""

from __future__ import annotations

import logging
import os
import sys
import time

from benchmarks import (
    api_efficiency,
    below_memory,
    celery_scaling,
    end_to_end,
    fixed_cost,
    floor,
    memory,
    orders_read,
    transform,
    write_path,
)
from benchmarks.common import report

BENCHMARKS = [
    ("API efficiency", api_efficiency.run),
    ("end-to-end backfill", end_to_end.run),
    ("transform throughput", transform.run),
    ("peak memory", memory.run),
    ("peak memory below the campaign", below_memory.run),
    ("write path", write_path.run),
    ("orders from MariaDB", orders_read.run),
    ("fixed cost of a run", fixed_cost.run),
    ("pipeline vs floor", floor.run),
    ("Celery workers", celery_scaling.run),
]


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    began = time.monotonic()
    figures = []
    for name, run in BENCHMARKS:
        print(f"\n== {name} ({time.monotonic() - began:,.0f} s in)", flush=True)
        figures += run()
    print(f"\n== all figures ({time.monotonic() - began:,.0f} s, {os.cpu_count()} cores)")
    return 0 if report(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
