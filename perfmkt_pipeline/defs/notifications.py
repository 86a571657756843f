"""The `notifications` sensor: run failures and check warnings to the configured channels, once
per event, with a link to the run and never a secret.

Each tick reads the runs that finished since its cursor (run-status events, in storage order):
a failed run is one notification (its failed steps and their errors); each failed check of
severity WARN in a finished run is one notification listing its findings not sent before. The
cursor holds the last event read per status and the keys of the findings already sent (a daily
sync re-judges 30 days, and a warning must not be repeated each morning). On its first tick the
sensor starts from the newest events (Dagster's convention for run-status sensors): history is
not replayed.

Channel secrets are Dagster EnvVars on the channel resources (dagster-slack's SlackResource,
dagster-msteams' MSTeamsResource, and the two below), resolved only when the sensor runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckSeverity,
    ConfigurableResource,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EnvVar,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.storage.event_log.base import EventLogCursor

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.notify.channels import build_channels, deliver
from perfmkt_pipeline.notify.message import Notification
from perfmkt_pipeline.notify.scrub import scrub

SENSOR_NAME = "notifications"
_STATUSES = (DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_SUCCESS)
_BATCH = 50  # run-status events read per status and tick
_REMEMBERED_KEYS = 5000  # findings remembered as sent (oldest forgotten first)
_ERROR_CHARS = 400
# Dagster's own wrappers around the exception a step raised.
_WRAPPERS = frozenset({"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"})
RESOURCE_KEYS = {
    "slack": "alert_slack",
    "teams": "alert_teams",
    "webhook": "alert_webhook",
    "email": "alert_email",
}


class WebhookResource(ConfigurableResource):
    """The URL of the generic JSON webhook (it may embed a token: an EnvVar)."""

    url: str


class SmtpPasswordResource(ConfigurableResource):
    """The SMTP password (an EnvVar); host, port and addresses are configuration."""

    password: str


def notification_resources(settings: Settings) -> dict[str, Any]:
    """One resource per configured channel, its secret an EnvVar (the UI shows its name only).
    A channel's library is imported only when the channel is configured."""
    notify = settings.alerts.notify
    secrets = notify.secret_env_vars()
    resources: dict[str, Any] = {}
    if notify.slack is not None:
        from dagster_slack import SlackResource

        resources[RESOURCE_KEYS["slack"]] = SlackResource(token=EnvVar(secrets["slack"]))
    if notify.teams is not None:
        from dagster_msteams import MSTeamsResource

        resources[RESOURCE_KEYS["teams"]] = MSTeamsResource(
            hook_url=EnvVar(secrets["teams"]), timeout=notify.teams.timeout_seconds
        )
    if notify.webhook is not None:
        resources[RESOURCE_KEYS["webhook"]] = WebhookResource(url=EnvVar(secrets["webhook"]))
    if "email" in secrets:
        resources[RESOURCE_KEYS["email"]] = SmtpPasswordResource(password=EnvVar(secrets["email"]))
    return resources


# --- the cursor -------------------------------------------------------------------------------


@dataclass
class NotifyCursor:
    after: dict[str, int] = field(default_factory=dict)  # event type -> last storage id read
    sent: list[str] = field(default_factory=list)  # finding keys already sent, oldest first

    @classmethod
    def parse(cls, text: str | None) -> NotifyCursor | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(dict(data.get("after", {})), list(data.get("sent", [])))

    def dump(self) -> str:
        return json.dumps({"after": self.after, "sent": self.sent[-_REMEMBERED_KEYS:]})

    @classmethod
    def at_newest(cls, instance: DagsterInstance) -> NotifyCursor:
        """Past every run-status event stored so far (nothing before it is sent)."""
        after = {}
        for status in _STATUSES:
            records = instance.fetch_run_status_changes(status, limit=1, ascending=False).records
            after[status.value] = records[0].storage_id if records else -1
        return cls(after)


# --- events -> notifications -----------------------------------------------------------------


def _run_url(base_url: str, run_id: str) -> str:
    return f"{base_url}/runs/{run_id}"


def _first_line(text: str) -> str:
    line = next((part for part in text.strip().splitlines() if part.strip()), "")
    return line[:_ERROR_CHARS]


def _user_error(error):
    """The error the step's code raised, not Dagster's wrapper around it."""
    while error.cls_name in _WRAPPERS and error.cause is not None:
        error = error.cause
    return error


def _error_text(error) -> str:
    """The message's first line without the "module.Class: " prefix Dagster stores."""
    line = _first_line(error.message)
    prefix, _, rest = line.partition(": ")
    return rest if rest and prefix.endswith(error.cls_name) else line


def _failure(instance: DagsterInstance, run_id: str, message: str, base_url: str) -> Notification:
    run = instance.get_run_by_id(run_id)
    job = run.job_name if run else "?"
    tags = run.tags if run else {}
    span = (
        tags.get("dagster/asset_partition_range_start"),
        tags.get("dagster/asset_partition_range_end"),
    )
    partition = tags.get("dagster/partition") or ("..".join(span) if all(span) else "")
    lines = []
    for event in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        data = event.dagster_event.step_failure_data if event.dagster_event else None
        error = _user_error(data.error) if data is not None and data.error else None
        reason = f"{error.cls_name}: {_error_text(error)}" if error else "failed"
        lines.append(f"step {event.step_key}: {reason}")
    if not lines:
        lines.append(_first_line(message) or "the run failed")
    where = f" ({partition})" if partition else ""
    return Notification(
        key=f"run_failure|{run_id}",
        kind="run_failure",
        title=f"Run failed: {job}{where}",
        lines=tuple(lines),
        run_id=run_id,
        run_url=_run_url(base_url, run_id),
        job_name=job,
    )


def _warnings(
    instance: DagsterInstance, run_id: str, base_url: str, sent: set[str]
) -> list[Notification]:
    run = instance.get_run_by_id(run_id)
    job = run.job_name if run else "?"
    found = []
    for event in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.dagster_event.event_specific_data if event.dagster_event else None
        if evaluation is None or evaluation.passed:
            continue
        if evaluation.severity != AssetCheckSeverity.WARN:
            continue  # an ERROR check fails the run: the failure notification says so
        check = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        listed = evaluation.metadata.get("findings")
        if listed is not None:
            findings = tuple(f for f in listed.value if f.get("key") not in sent)
            if not findings:
                continue  # every finding was sent before
            lines = tuple(str(f.get("message", f.get("key"))) for f in findings)
            key = "|".join(f["key"] for f in findings)
        else:
            findings = ()
            lines = (evaluation.description or "the check failed",)
            key = f"check|{run_id}|{check}"
        found.append(
            Notification(
                key=key,
                kind="check_warning",
                title=f"Warning: {check}",
                lines=lines,
                run_id=run_id,
                run_url=_run_url(base_url, run_id),
                job_name=job,
                findings=findings,
            )
        )
    return found


def collect(
    instance: DagsterInstance, cursor: NotifyCursor, base_url: str
) -> tuple[list[Notification], NotifyCursor]:
    """Notifications for the runs that finished after `cursor`, and the cursor past them."""
    remembered = list(cursor.sent)
    sent = set(remembered)
    after = dict(cursor.after)
    events = []
    for status in _STATUSES:
        result = instance.fetch_run_status_changes(
            status,
            limit=_BATCH,
            cursor=EventLogCursor.from_storage_id(after.get(status.value, -1)).to_string(),
            ascending=True,
        )
        for record in result.records:
            events.append((record.storage_id, status, record.event_log_entry))
            after[status.value] = max(after.get(status.value, -1), record.storage_id)
    notifications = []
    for _, status, entry in sorted(events, key=lambda e: e[0]):
        if status == DagsterEventType.RUN_FAILURE:
            message = entry.dagster_event.message if entry.dagster_event else ""
            notifications.append(_failure(instance, entry.run_id, message or "", base_url))
        for warning in _warnings(instance, entry.run_id, base_url, sent):
            notifications.append(warning)
            for key in (str(f["key"]) for f in warning.findings):
                sent.add(key)
                remembered.append(key)
    return notifications, NotifyCursor(after, remembered)


def notify(notifications: list[Notification], channels, environ: Mapping[str, str]) -> list[str]:
    """Deliver each notification (scrubbed of secrets) to every channel; the failures."""
    failures = []
    for notification in notifications:
        failures += deliver(scrub(notification, environ), channels, environ)
    return failures


# --- the sensor -------------------------------------------------------------------------------


def _channels(settings: Settings, resources: Any) -> list:
    notify_settings = settings.alerts.notify
    secrets: dict[str, str] = {}
    slack_client = teams_client = None
    if notify_settings.slack is not None:
        slack_client = getattr(resources, RESOURCE_KEYS["slack"]).get_client()
    if notify_settings.teams is not None:
        teams_client = getattr(resources, RESOURCE_KEYS["teams"]).get_client()
    if notify_settings.webhook is not None:
        secrets["webhook"] = getattr(resources, RESOURCE_KEYS["webhook"]).url
    if "email" in notify_settings.secret_env_vars():
        secrets["email"] = getattr(resources, RESOURCE_KEYS["email"]).password
    return build_channels(
        notify_settings, secrets, slack_client=slack_client, teams_client=teams_client
    )


def build_notification_sensor(settings: Settings) -> SensorDefinition:
    notify_settings = settings.alerts.notify
    keys = {RESOURCE_KEYS[c] for c in notify_settings.channels() if c != "email"}
    if "email" in notify_settings.secret_env_vars():
        keys.add(RESOURCE_KEYS["email"])
    channel_names = ", ".join(notify_settings.channels()) or "printed to the daemon's log"

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=notify_settings.interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        required_resource_keys=keys,
        description=f"Run failures and check warnings, once each, with a link to the run: "
        f"{channel_names}.",
    )
    def notifications(context: SensorEvaluationContext, **_: Any):
        # A direct invocation also passes the required resources by key; the daemon does not.
        # Both set context.resources, which is what _channels reads.
        cursor = NotifyCursor.parse(context.cursor)
        if cursor is None:
            context.update_cursor(NotifyCursor.at_newest(context.instance).dump())
            return SkipReason("started: notifying events from now on")
        found, cursor = collect(context.instance, cursor, settings.alerts.webserver_url)
        if found:
            channels = _channels(settings, context.resources)
            failures = notify(found, channels, os.environ)
            for failure in failures:
                context.log.error(f"notification not delivered: {failure}")
        context.update_cursor(cursor.dump())
        return SkipReason(f"{len(found)} notification(s) sent" if found else "nothing new")

    return notifications


__all__ = [
    "NotifyCursor",
    "build_notification_sensor",
    "collect",
    "notification_resources",
    "notify",
]
