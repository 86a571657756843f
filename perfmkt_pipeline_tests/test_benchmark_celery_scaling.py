"""The Celery benchmark (benchmarks/celery_scaling.py) needs two Celery workers, RabbitMQ and two
runs of every asset and check (minutes): too much for the suite. Its own world and the
configuration it writes are checked here, against a started sandbox and the pipeline's own
settings parser, so a change that makes them invalid fails the suite. Not covered: the runs,
and reading their wall time and steps back from the Dagster instance (`_read_run`)."""

from __future__ import annotations

from benchmarks import celery_scaling
from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.sandbox.spec import WorldSpec
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401


def test_the_celery_world_has_forty_meta_accounts_of_the_small_shape():
    spec = celery_scaling.world()
    small = WorldSpec.small()
    meta = spec.accounts("meta")
    assert len(meta) == 40
    assert len({a.account_id for a in meta}) == 40
    assert (meta[0].account_id, meta[-1].account_id) == ("303000000000001", "303000000000040")
    assert [(a.currency, a.timezone) for a in meta[:6]] == [
        ("USD", "America/New_York"), ("EUR", "Europe/Berlin"), ("GBP", "Europe/London"),
        ("JPY", "Asia/Tokyo"), ("AUD", "Australia/Sydney"), ("USD", "America/New_York"),
    ]  # fmt: skip
    # Everything but Meta's accounts is the small world's.
    assert spec.with_platform("meta", accounts=small.accounts("meta")) == small


def test_the_celery_config_is_valid_and_fans_meta_out_in_two_steps(sandbox):  # noqa: F811
    box = sandbox(spec=celery_scaling.world())

    config = celery_scaling.config(box, "bench-queue")
    settings = parse_settings(config, environ=box.env())

    ids = [f"{303000000000001 + i}" for i in range(40)]
    assert settings.meta.account_ids == ids
    assert config["executor"] == {
        "kind": "celery",
        "celery": {"queue": "bench-queue"},
        "accounts_per_step": {"meta": 20},
    }
    assert settings.executor.kind == "celery"
    assert settings.executor.accounts_per_step == {"meta": 20}
    assert config["start_date"] == box.world.spec.history_start.isoformat()
