"""The garbage collector while the pipeline loads (perfmkt_pipeline/__init__.py): full
collections ten times rarer from the package's import until the definitions are built; then
what was loaded is frozen and CPython's thresholds are back for the data work."""

from __future__ import annotations

import os
import subprocess
import sys

from perfmkt_pipeline.config import example_config


def _probe(code: str, env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_importing_the_package_makes_full_collections_ten_times_rarer() -> None:
    probe = (
        "import gc\n"
        "before = gc.get_threshold()\n"
        "import perfmkt_pipeline\n"
        "print(*before, *gc.get_threshold(), gc.get_freeze_count())\n"
    )
    assert _probe(probe) == ["700", "10", "10", "700", "10", "100", "0"]


def test_the_built_definitions_are_frozen_and_the_thresholds_back(tmp_path) -> None:
    config = tmp_path / "perfmkt.yaml"
    config.write_text(example_config())
    probe = (
        "import gc\n"
        "import perfmkt_pipeline.definitions as location\n"
        "tracked = {id(o) for o in gc.get_objects()}\n"
        "print(*gc.get_threshold(), id(vars(location)) in tracked, "
        "id(location.defs) in tracked, gc.get_freeze_count() > 100_000)\n"
    )
    env = {**os.environ, "PERFMKT_CONFIG": str(config)}
    assert _probe(probe, env) == ["700", "10", "10", "False", "False", "True"]
