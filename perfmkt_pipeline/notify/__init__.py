"""Notifications of run failures and check warnings: the message, its secret scrubbing, and the
channels that deliver it (Slack, Microsoft Teams, a JSON webhook, e-mail over SMTP, or printed).
No Dagster here: the sensor in defs/notifications.py finds the events and hands them over."""
