"""The fork server's step preload (defs/step_preload.py): it builds the code location's
definitions once for every step, and settings that do not build are left for the step to report,
never a fork server that fails to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfmkt_pipeline.config import example_config
from perfmkt_pipeline.defs.executor import PRELOAD_MODULES


@pytest.fixture
def example_path(tmp_path: Path) -> str:
    """The example configuration (`perfmkt example-config`) as a file."""
    path = tmp_path / "perfmkt.yaml"
    path.write_text(example_config())
    return str(path)


PROBE = (
    "import sys, perfmkt_pipeline.defs.step_preload\n"
    "print('built' if 'perfmkt_pipeline.definitions' in sys.modules else 'not built')\n"
    "import perfmkt_pipeline.definitions\n"
    "print(type(perfmkt_pipeline.definitions.defs).__name__)\n"
)


def _probe(config: str, code: str = PROBE) -> subprocess.CompletedProcess:
    """`code` in a new interpreter with PERFMKT_CONFIG naming `config`."""
    env = {**os.environ, "PERFMKT_CONFIG": config}
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_fork_server_preloads_the_step_preload_last() -> None:
    assert PRELOAD_MODULES[-1] == "perfmkt_pipeline.defs.step_preload"


def test_valid_settings_are_built_once_by_the_preload(example_path: str) -> None:
    done = _probe(example_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["built", "Definitions"]


def test_settings_that_do_not_build_fail_the_step_with_their_own_error() -> None:
    done = _probe("/nonexistent/perfmkt.yaml")
    assert done.stdout.split() == ["not", "built"]  # the preload itself went through
    assert done.returncode == 1
    assert (
        "ConfigError: PERFMKT_CONFIG names '/nonexistent/perfmkt.yaml', which is not a file"
        in done.stderr
    )


def test_duckdbs_settings_are_listed_once_and_no_duckdb_thread_is_left_to_fork(
    example_path: str,
) -> None:
    probe = (
        "import os, perfmkt_pipeline.defs.step_preload\n"
        "from duckdb_engine.config import get_core_config\n"
        "threads = len(os.listdir('/proc/self/task'))\n"
        "get_core_config.__wrapped__()  # what the preload did: it leaves no thread running\n"
        "print(get_core_config.cache_info().currsize, 'threadsafe' if "
        "len(os.listdir('/proc/self/task')) == threads else 'threads')\n"
    )
    done = _probe(example_path, probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "threadsafe"]


def test_what_the_preload_built_is_frozen_for_the_steps(example_path: str) -> None:
    """The step processes forked from the server never walk its heap in a collection: the
    repository the preload resolved (after the definitions froze what they loaded) is in the
    permanent generation too, not a collected one."""
    probe = (
        "import gc, perfmkt_pipeline.defs.step_preload\n"
        "import perfmkt_pipeline.definitions as location\n"
        "repository = location.defs.get_repository_def()\n"
        "tracked = {id(o) for o in gc.get_objects()}\n"
        "print(id(repository) in tracked, id(vars(repository)) in tracked)\n"
    )
    done = _probe(example_path, probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
