"""Each channel's message, delivered to a real server on loopback: Slack through dagster-slack's
client (slack_sdk.WebClient pointed at a stand-in of the Web API), Teams through dagster-msteams'
client, the JSON webhook, and the secret scrubbing every message goes through."""

from __future__ import annotations

import json

from dagster import EnvVar, build_resources
from dagster_msteams import MSTeamsResource
from dagster_slack import SlackResource

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.notify.channels import (
    PrintChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
    build_channels,
    deliver,
)
from perfmkt_pipeline.notify.message import Notification
from perfmkt_pipeline.notify.scrub import MASK, scrub, secret_values
from perfmkt_pipeline_tests.notify_support import SlackStandIn, WebhookReceiver

RUN_URL = "http://dagster.internal:3000/runs/6f1c"
WARNING = Notification(
    key="spend_outlier|meta|A||2026-11-14",
    kind="check_warning",
    title="Warning: marts/campaign_daily spend_within_recent_range",
    lines=("meta account A on 2026-11-14: spend outside its recent range: spend 400.00 USD, "
           "expected 85.00..115.00 USD",),
    run_id="6f1c",
    run_url=RUN_URL,
    job_name="daily_sync_core_and_marts",
)  # fmt: skip
SETTINGS = {"start_date": "2026-01-01"}


def _notify(**sections):
    return parse_settings({**SETTINGS, "alerts": {"notify": sections}}, environ={}).alerts.notify


def test_slack_posts_the_message_through_dagster_slacks_client(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-0000")
    with SlackStandIn() as slack:
        notify = _notify(slack={"channel": "#marketing-data", "api_url": f"{slack.url}/api/"})
        with build_resources({"slack": SlackResource(token=EnvVar("SLACK_BOT_TOKEN"))}) as made:
            client = made.slack.get_client()  # the EnvVar resolved, as in the sensor
        (channel,) = build_channels(notify, {}, slack_client=client)
        assert isinstance(channel, SlackChannel)
        assert deliver(WARNING, [channel], {}) == []
        (post,) = slack.posts()
    assert post["path"] == "/api/chat.postMessage"
    assert post["headers"]["Authorization"] == "Bearer xoxb-test-0000"
    assert post["channel"] == "#marketing-data"
    assert post["text"] == (
        "*Warning: marts/campaign_daily spend_within_recent_range*\n"
        "• meta account A on 2026-11-14: spend outside its recent range: spend 400.00 USD, "
        "expected 85.00..115.00 USD\n"
        f"<{RUN_URL}|Open the run in Dagster>"
    )


def test_teams_posts_an_adaptive_card_through_dagster_msteams_client() -> None:
    with WebhookReceiver() as teams:
        client = MSTeamsResource(hook_url=f"{teams.url}/workflows/abc").get_client()
        (channel,) = build_channels(_notify(teams={}), {}, teams_client=client)
        assert isinstance(channel, TeamsChannel)
        assert deliver(WARNING, [channel], {}) == []
        (card,) = teams.payloads()
        assert teams.requests[0]["path"] == "/workflows/abc"
    (attachment,) = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["body"] == [
        {
            "type": "TextBlock",
            "wrap": True,
            "text": "**Warning: marts/campaign_daily spend_within_recent_range**\n\n"
            "- meta account A on 2026-11-14: spend outside its recent range: spend 400.00 USD, "
            f"expected 85.00..115.00 USD\n\n[Open the run in Dagster]({RUN_URL})",
        }
    ]


def test_the_webhook_receives_the_notification_as_json() -> None:
    with WebhookReceiver() as hook:
        (channel,) = build_channels(_notify(webhook={}), {"webhook": f"{hook.url}/in"})
        assert isinstance(channel, WebhookChannel)
        assert deliver(WARNING, [channel], {}) == []
        (payload,) = hook.payloads()
    assert payload == {
        "source": "perfmkt_pipeline",
        "kind": "check_warning",
        "key": WARNING.key,
        "title": WARNING.title,
        "lines": list(WARNING.lines),
        "text": f"{WARNING.title}\n- {WARNING.lines[0]}\nRun: {RUN_URL}",
        "run_id": "6f1c",
        "run_url": RUN_URL,
        "job_name": "daily_sync_core_and_marts",
        "findings": [],
    }


def test_a_channel_that_fails_is_reported_and_the_others_still_receive(capsys) -> None:
    with WebhookReceiver() as hook:
        broken = WebhookChannel("http://127.0.0.1:9/hook?token=s3cr3t-hook-token", 2.0)
        failures = deliver(
            WARNING, [broken, PrintChannel()], {"PERFMKT_ALERT_WEBHOOK_URL": broken.url}
        )
        assert hook.requests == []
    (failure,) = failures
    assert failure.startswith("webhook: ConnectionError: ")
    assert "s3cr3t-hook-token" not in failure
    assert capsys.readouterr().out == f"[notification] {WARNING.text()}\n"


def test_no_channel_configured_prints() -> None:
    assert [type(c) for c in build_channels(_notify(), {})] == [PrintChannel]


def test_secrets_and_url_passwords_are_masked_everywhere_in_a_notification() -> None:
    environ = {
        "META_ACCESS_TOKEN": "EAAB-real-looking-token",
        "PERFMKT_WAREHOUSE_URL": "postgresql://loader:pg-pass-123@db/marketing",
        "SOME_VENDOR_API_KEY": "vk_9f8e7d6c",
        "HOME": "/home/perfmkt",  # not a secret: left alone
        "SHORT_TOKEN": "abc",  # too short to mask without mangling ordinary text
    }
    assert secret_values(environ) == [
        "postgresql://loader:pg-pass-123@db/marketing", "EAAB-real-looking-token",
        "pg-pass-123", "vk_9f8e7d6c",
    ]  # fmt: skip
    leaky = Notification(
        key="run_failure|r1",
        kind="run_failure",
        title="Run failed: sync (token EAAB-real-looking-token)",
        lines=("connect to postgresql://loader:pg-pass-123@db failed", "key vk_9f8e7d6c in /home/perfmkt",
               "fetch https://feeds:hunter22@feeds.example.com/x.csv"),
        run_id="r1",
        run_url="http://127.0.0.1:3000/runs/r1",
        findings=({"message": "vk_9f8e7d6c", "nested": ["EAAB-real-looking-token"]},),
    )  # fmt: skip
    clean = scrub(leaky, environ)
    assert clean.title == f"Run failed: sync (token {MASK})"
    assert clean.lines == (
        f"connect to postgresql://loader:{MASK}@db failed",
        f"key {MASK} in /home/perfmkt",
        f"fetch https://feeds:{MASK}@feeds.example.com/x.csv",
    )
    assert clean.findings == ({"message": MASK, "nested": [MASK]},)
    # title 1, lines 3, findings 2, and "text" repeats the title and lines: 10.
    assert json.dumps(clean.payload()).count(MASK) == 10
