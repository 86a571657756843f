"""Channels that deliver a notification. Each raises on failure; `deliver` sends to every
channel and reports the failures instead of stopping at the first. Secrets are handed in
resolved (from Dagster EnvVars in the sensor, from the environment in the demo), never logged."""

from __future__ import annotations

import smtplib
import ssl
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol, TextIO

import requests

from perfmkt_pipeline.config import CHANNEL_SECRET_ENV_VARS, NotifySettings
from perfmkt_pipeline.notify.message import Notification
from perfmkt_pipeline.notify.scrub import scrub_text, secret_values


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> None: ...


@dataclass
class PrintChannel:
    """No channel configured: the notification is printed (the daemon's log, the demo)."""

    stream: TextIO | None = None
    name: str = "print"

    def send(self, notification: Notification) -> None:
        print(f"[notification] {notification.text()}", file=self.stream or sys.stdout, flush=True)


@dataclass
class WebhookChannel:
    """A JSON POST of Notification.payload() to any URL."""

    url: str
    timeout_seconds: float = 30.0
    name: str = "webhook"

    def send(self, notification: Notification) -> None:
        response = requests.post(url=self.url, json=notification.payload(),
                                 timeout=self.timeout_seconds)  # fmt: skip
        if not response.ok:
            # The URL may carry a token: name the status only.
            raise RuntimeError(f"webhook answered HTTP {response.status_code}")


@dataclass
class EmailChannel:
    host: str
    port: int
    security: str  # "starttls" | "ssl" | "none"
    sender: str
    recipients: Sequence[str]
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0
    name: str = "email"

    def message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = f"[perfmkt] {notification.title}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(notification.text())
        return message

    def send(self, notification: Notification) -> None:
        context = ssl.create_default_context()
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_seconds,
                                    context=context)  # fmt: skip
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(notification))


@dataclass
class SlackChannel:
    """chat.postMessage through dagster-slack's client (slack_sdk.WebClient)."""

    client: Any
    channel: str
    name: str = "slack"

    def send(self, notification: Notification) -> None:
        self.client.chat_postMessage(
            channel=self.channel, text=notification.markdown(), unfurl_links=False
        )


@dataclass
class TeamsChannel:
    """An incoming-webhook post through dagster-msteams' client: a legacy connector card for
    *.webhook.office.com URLs, an Adaptive Card for Workflows (Power Automate) URLs."""

    client: Any
    name: str = "teams"

    def send(self, notification: Notification) -> None:
        from dagster_msteams.adaptive_card import AdaptiveCard
        from dagster_msteams.card import Card

        card = Card() if self.client.is_legacy_webhook() else AdaptiveCard()
        card.add_attachment(text_message=notification.teams_markdown())
        self.client.post_message(payload=card.payload)


def build_channels(
    notify: NotifySettings,
    secrets: Mapping[str, str],
    *,
    slack_client: Any = None,
    teams_client: Any = None,
) -> list[Channel]:
    """The configured channels (PrintChannel when none is). `secrets`: channel name -> its
    secret's value (see CHANNEL_SECRET_ENV_VARS); clients default to ones built from them."""
    channels: list[Channel] = []
    if notify.slack is not None:
        if slack_client is None:
            from slack_sdk import WebClient

            slack_client = WebClient(
                token=secrets["slack"], timeout=int(notify.slack.timeout_seconds)
            )
        slack_client.base_url = notify.slack.api_url
        channels.append(SlackChannel(slack_client, notify.slack.channel))
    if notify.teams is not None:
        if teams_client is None:
            from dagster_msteams import TeamsClient

            teams_client = TeamsClient(hook_url=secrets["teams"],
                                       timeout=notify.teams.timeout_seconds)  # fmt: skip
        channels.append(TeamsChannel(teams_client))
    if notify.webhook is not None:
        channels.append(WebhookChannel(secrets["webhook"], notify.webhook.timeout_seconds))
    if notify.email is not None:
        e = notify.email
        channels.append(
            EmailChannel(e.host, e.port, e.security, e.sender, list(e.recipients), e.username,
                         secrets.get("email"), e.timeout_seconds)
        )  # fmt: skip
    return channels or [PrintChannel()]


def secrets_from_environment(notify: NotifySettings, environ: Mapping[str, str]) -> dict[str, str]:
    return {
        channel: environ[var]
        for channel, var in CHANNEL_SECRET_ENV_VARS.items()
        if channel in notify.secret_env_vars() and environ.get(var)
    }


def deliver(
    notification: Notification, channels: Sequence[Channel], environ: Mapping[str, str]
) -> list[str]:
    """Send to every channel; the failures, one line each, scrubbed of secrets (a client's
    error may echo its URL or token)."""
    failures = []
    secrets = secret_values(environ)
    for channel in channels:
        try:
            channel.send(notification)
        except Exception as error:  # one channel failing must not stop the others
            reason = scrub_text(f"{type(error).__name__}: {error}", secrets)[:300]
            failures.append(f"{channel.name}: {reason}")
    return failures
