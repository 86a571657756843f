"""Where the fixed cost of a run goes: a py-spy profile of every process of the fixed-cost run
(benchmarks/fixed_cost.py), its samples sorted into the overheads issue #18 names.

    python -m benchmarks.fixed_cost_profile [RAW_PROFILE]

Needs `py-spy` (`.venv/bin/pip install py-spy`; not a project dependency: a measuring tool run
by hand) and the right to trace processes. Samples the run's whole process tree (`--subprocesses`,
`--rate` 250 a second, busy threads only, so samples approximate CPU time), then gives each
sample to the first category, in `CATEGORIES` order, that a frame of its stack matches: so
imports done while the definitions are rebuilt count as imports, and a warehouse connection
opened to write a check's result counts as connecting. Prints per category the share of samples
and, per process, its samples: the run process, the fork server and one process per step. The
raw profile (py-spy's collapsed stacks) is kept at RAW_PROFILE when given.

Not in the samples: the interpreter's own start-up before it runs Python code, and native
threads (gRPC's, DuckDB's) that hold no Python frame.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.fixed_cost import one_account_config
from benchmarks.scenario import AS_OF, limited_faults, run_backfill
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec

SAMPLES_PER_SECOND = 250
# (category, pattern matched against each frame "function (file:line)"), first match wins.
CATEGORIES = [
    ("imports", r"^_find_and_load |<frozen importlib"),
    ("definitions rebuilt in the step", r"build_definitions|reconstructable|_raw_backfill_job|"
     r"get_definition|ReconstructableJob|repository_def"),
    ("warehouse: connect, schema, migrations", r"warehouse/engine\.py|warehouse/migrate\.py|"
     r"alembic/|ensure_schema|sqlalchemy/engine/create\.py|sqlalchemy/pool/"),
    ("Dagster events and storage", r"dagster/_core/events/|dagster/_core/storage/|"
     r"dagster/_core/instance/|log_manager\.py|_core/execution/plan/objects"),
    ("data work (sources, transform, write path)", r"perfmkt_pipeline/(sources|transform|"
     r"warehouse/(write|read)|defs/assets|defs/checks)"),
    ("other Dagster", r"/dagster/"),
]  # fmt: skip
_PROCESS = re.compile(r'^process (\d+):"([^"]*)"')


def profile_run(raw: Path) -> None:
    """Run the fixed-cost run once under py-spy, writing the collapsed stacks to `raw`."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    wrap = [spy, "record", "--subprocesses", "--format", "raw", "--rate",
            str(SAMPLES_PER_SECOND), "--output", str(raw), "--"]  # fmt: skip
    with Sandbox(WorldSpec.small(), as_of=AS_OF, faults=limited_faults(0.0)) as box:
        run = run_backfill(
            box,
            days=1,
            concurrency=1,
            executor="multiprocess",
            config=one_account_config(box),
            selection="all",
            wrap=wrap,
        )
    print(f"profiled run: {run.cpu_seconds:.1f} CPU-s (with py-spy), {len(run.steps)} steps")


def categorise(raw: Path) -> tuple[Counter[str], Counter[str], int]:
    """Samples per category, per process (command line), and in all."""
    patterns = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    categories: Counter[str] = Counter()
    processes: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        process = _PROCESS.match(frames[0])
        processes[_process_name(process.group(2) if process else "?", frames)] += samples
        category = next(
            (name for name, pattern in patterns if any(pattern.search(f) for f in frames)),
            "other",
        )
        categories[category] += samples
    return categories, processes, total


def _process_name(command: str, frames: list[str]) -> str:
    if "benchmarks.backfill_run" in command:
        return "run process (execute_job, the executor)"
    if "forkserver" in command or any("forkserver" in f for f in frames[:8]):
        if any("_run_step" in f or "execute_step" in f or "step_run" in f for f in frames):
            return "step processes (forked)"
        return "fork server (preloading)"
    if "benchmarks.measure" in command:
        return "measure wrapper"
    return command[:60]


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="perfmkt-profile-") as folder:
        raw = Path(argv[0]) if argv else Path(folder) / "profile.txt"
        profile_run(raw)
        categories, processes, total = categorise(raw)
    print(f"{total:,} samples at {SAMPLES_PER_SECOND}/s = {total / SAMPLES_PER_SECOND:.1f} s")
    for name, samples in categories.most_common():
        print(f"  {name:<45} {samples / total:6.1%}  {samples / SAMPLES_PER_SECOND:6.1f} s")
    print("per process:")
    for name, samples in processes.most_common():
        print(f"  {name:<45} {samples / total:6.1%}  {samples / SAMPLES_PER_SECOND:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
