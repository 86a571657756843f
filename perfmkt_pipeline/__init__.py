"""perfmkt_pipeline: performance-marketing data into one warehouse, orchestrated by Dagster.

`loading()`: the garbage collector while the pipeline loads (issue #18). A process that runs the
pipeline (a run or step process, the fork server, the code server, a Celery worker) imports
some 3,000 modules (Dagster, pandas, matplotlib, later the Google Ads API's types) and builds the
definitions: objects that nearly all live as long as the process. With CPython's default
thresholds the cyclic collector walked that growing heap again and again. Inside `loading()` a
full collection is ten times rarer (`LOADING_THRESHOLDS`); at its end what was loaded is frozen
(`gc.freeze`: it is not garbage, modules, classes, the definitions, and the collector never
walks it again) and CPython's thresholds are back, so the data work runs with the collector as
CPython sets it. The code location's definitions (`perfmkt_pipeline.definitions`) and the fork
server's preload (`defs/step_preload.py`) load inside it; a process that never loads them (the
webserver and daemon, which load only the instance class, the sandbox) is left as CPython
sets it. Loading the definitions and then the Google Ads types took 3.8 CPU-s before, 3.0 with
it (medians of five, 2026-12-07), in every run. What is not in a reference cycle is freed as
soon as nothing refers to it, as always.
"""

import contextlib
import gc
from collections.abc import Iterator

_THRESHOLDS = gc.get_threshold()  # CPython's (700, 10, 10), unless the process set its own
# A full collection after ten times as many collections of the middle generation.
LOADING_THRESHOLDS = (*_THRESHOLDS[:2], _THRESHOLDS[2] * 10)


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Full collections ten times rarer inside; at the end, freeze what the process has loaded
    and give the collector back the thresholds it had."""
    before = gc.get_threshold()
    gc.set_threshold(*LOADING_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*before)
