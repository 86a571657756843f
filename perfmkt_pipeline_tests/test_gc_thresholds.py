"""The garbage collector while the pipeline loads (perfmkt_pipeline.loading): full collections
ten times rarer inside; at its end what was loaded is frozen and the thresholds are back. The
code location's definitions load inside it; importing the package alone changes nothing."""

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


def test_inside_loading_full_collections_are_ten_times_rarer_and_the_end_freezes() -> None:
    probe = (
        "import gc\n"
        "import perfmkt_pipeline\n"  # the package alone changes nothing
        "print(*gc.get_threshold(), gc.get_freeze_count())\n"
        "with perfmkt_pipeline.loading():\n"
        "    print(*gc.get_threshold())\n"
        "    with perfmkt_pipeline.loading():\n"
        "        kept = [[] for _ in range(10)]\n"
        "    print(*gc.get_threshold(), id(kept[0]) in {id(o) for o in gc.get_objects()})\n"
        "print(*gc.get_threshold(), gc.get_freeze_count() > 0)\n"
    )
    assert _probe(probe) == [
        "700", "10", "10", "0",
        "700", "10", "100",
        "700", "10", "100", "False",
        "700", "10", "10", "True",
    ]  # fmt: skip


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
