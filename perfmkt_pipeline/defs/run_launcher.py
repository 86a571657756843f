"""The instance's run launcher: Dagster's DefaultRunLauncher, plus a health check of the run
worker, so that run monitoring notices a run whose worker died.

The DefaultRunLauncher (Dagster 1.13) supports neither worker health checks nor resuming a run
(`supports_check_run_worker_health` and `supports_resume_run` are False): with it the monitoring
daemon only times out runs stuck starting or cancelling. A launched run's code server notices when
the worker it started dies, but a run started by a command (`dagster asset materialize`,
`perfmkt demo`), or whose code server went first, stayed STARTED forever, its pool slots held, and
every later run of the same pools waited behind it. Here the daemon asks whether the process
recorded on the run (defs/run_worker.py) still runs; if not, the run is marked failed, its slots
are freed after `free_slots_after_run_end_seconds` and `run_retries` re-runs it (dagster.yaml).
Runs are still not resumed in place: a re-run re-executes what had not succeeded, which is safe
because every write replaces its whole window.
"""

from __future__ import annotations

from dagster import DagsterRun, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

from perfmkt_pipeline.defs.run_worker import RUN_WORKER_TAG, RunWorker


class MonitoredRunLauncher(DefaultRunLauncher):
    """Launches runs like the DefaultRunLauncher; reports a run's worker FAILED once the process
    recorded on the run has exited. A worker this daemon cannot see (another host or container,
    not recorded yet) counts as running: only a worker known dead fails its run."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        tag = run.tags.get(RUN_WORKER_TAG)
        if tag is not None and self._parent_runs_worker(run, tag):
            return CheckRunHealthResult(
                WorkerStatus.RUNNING,
                "no run worker recorded yet (the one on the run is its parent's)",
            )
        worker = RunWorker.from_tag(tag)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker recorded yet")
        if not worker.visible_here():
            return CheckRunHealthResult(
                WorkerStatus.RUNNING, f"run worker on {worker.host}, not visible from here"
            )
        if worker.alive():
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker pid {worker.pid}")
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"the run worker (pid {worker.pid} on {worker.host}) is gone: it was killed or "
            "crashed; the run is marked failed and its pool slots will be freed",
            run_worker_id=str(worker.pid),
        )

    def _parent_runs_worker(self, run: DagsterRun, tag: str) -> bool:
        """A re-run (run_retries' retry of a dead run, a re-execution from failure) starts with
        its parent run's tags, this one too: until the re-run's own worker records itself, the tag
        names the parent's worker, which is gone, and the re-run must not be failed for that."""
        if run.parent_run_id is None or not self.has_instance:
            return False
        parent = self._instance.get_run_by_id(run.parent_run_id)
        return parent is not None and parent.tags.get(RUN_WORKER_TAG) == tag
