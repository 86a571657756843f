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
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fixed_cost import one_account_config
from benchmarks.scenario import AS_OF, limited_faults, run_backfill
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec

SAMPLES_PER_SECOND = 250
# (category, pattern matched against each frame "function (file:line)"), first match wins.
CATEGORIES = [
    # Paid by the benchmark's run process: a deployment's instance exists, and its daemon
    # creates the run; kept apart so it is not mistaken for a step's cost.
    ("run creation, temporary instance (benchmark)",
     r"^(DagsterInstance\.local_temp|RunMethods\.create_run_for_job) "),
    ("imports", r"^_find_and_load "),
    ("definitions rebuilt in the step", r"^(build_definitions|_raw_backfill_job|"
     r"def_from_pointer|ReconstructableJob\.get_definition) "),
    ("warehouse: connect, schema, migrations", r"\(perfmkt_pipeline/warehouse/(engine|migrate)"
     r"\.py|\(alembic/|\(sqlalchemy/(engine/create|pool/)|\(duckdb_engine/"),
    ("Dagster events and storage", r"\(dagster/_core/(events|storage|instance)/|"
     r"log_manager\.py"),
    ("data work (sources, transform, write path)", r"\(perfmkt_pipeline/(sources|transform|"
     r"warehouse/(write|read)|defs/assets|defs/checks)"),
    ("other Dagster", r"\(dagster(_shared)?/"),
]  # fmt: skip
# A sample whose innermost frame waits (or that has no Python frame: a native thread) is idle
# time py-spy did not recognise as such under ptrace: left out.
IDLE = re.compile(
    r"^(Condition\.wait|.*\.select|Popen\._try_wait|Queue\.get|read_signed|sleep|.*\.poll|"
    r".*_check_alive|main \(multiprocessing/(resource_tracker|forkserver)\.py)|^[^(]*$|"
    r"^ main\("
)
# The process a sample ran in, by how deep it is in the tree: measure -> run -> fork server ->
# step (-> anything a step starts).
PROCESS_KINDS = {1: "measure wrapper", 2: "run process", 3: "fork server", 4: "step processes"}


def profile_run(raw: Path) -> float:
    """Run the fixed-cost run once under py-spy, writing the collapsed stacks to `raw`; its
    CPU-seconds."""
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
    return run.cpu_seconds


@dataclass
class Profile:
    samples: Counter[tuple[str, str]]  # (category, process kind) -> busy samples
    idle: int  # samples left out as idle
    steps: int  # step processes seen

    def by(self, index: int) -> Counter[str]:
        out: Counter[str] = Counter()
        for key, n in self.samples.items():
            out[key[index]] += n
        return out


def categorise(raw: Path) -> Profile:
    """Busy samples per category and process kind."""
    patterns = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    samples: Counter[tuple[str, str]] = Counter()
    idle = 0
    steps: set[str] = set()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        processes = [f for f in frames if f.startswith("process ")]
        code = frames[len(processes) :]
        if not code or IDLE.match(code[-1]):
            idle += int(count)
            continue
        kind = PROCESS_KINDS.get(len(processes), "started by a step")
        if kind == "step processes":
            steps.add(processes[-1].split(":")[0])
        category = next(
            (name for name, pattern in patterns if any(pattern.search(f) for f in code)),
            "other",
        )
        samples[(category, kind)] += int(count)
    return Profile(samples, idle, len(steps))


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="perfmkt-profile-") as folder:
        raw = Path(argv[0]) if argv else Path(folder) / "profile.txt"
        cpu = profile_run(raw)
        profile = categorise(raw)
    busy = sum(profile.samples.values())
    print(
        f"{busy:,} busy samples ({profile.idle:,} idle left out) in {profile.steps} step "
        f"processes; shares of the busy samples, and of the run's {cpu:.1f} CPU-s:"
    )
    kinds = [kind for kind, _ in profile.by(1).most_common()]
    print(f"  {'':<45} {'all':>14}  " + "  ".join(f"{k:>16}" for k in kinds))
    for name, n in profile.by(0).most_common():
        cells = "  ".join(f"{profile.samples[(name, k)] / busy:>16.1%}" for k in kinds)
        print(f"  {name:<45} {n / busy:6.1%} {cpu * n / busy:5.1f} s  {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
