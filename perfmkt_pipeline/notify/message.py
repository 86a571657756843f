"""One notification: what happened, in which run, with a link to it, rendered per channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Kind = Literal["run_failure", "check_warning"]


@dataclass(frozen=True)
class Notification:
    key: str  # identifies the event: it is sent once
    kind: Kind
    title: str
    lines: tuple[str, ...]
    run_id: str
    run_url: str
    job_name: str = ""
    findings: tuple[dict[str, Any], ...] = field(default=())

    def text(self) -> str:
        body = "\n".join(f"- {line}" for line in self.lines)
        return (
            f"{self.title}\n{body}\nRun: {self.run_url}"
            if body
            else (f"{self.title}\nRun: {self.run_url}")
        )

    def markdown(self) -> str:
        """Slack mrkdwn / Teams markdown: bold title, a bullet per line, the run link."""
        body = "".join(f"\n• {line}" for line in self.lines)
        return f"*{self.title}*{body}\n<{self.run_url}|Open the run in Dagster>"

    def teams_markdown(self) -> str:
        body = "".join(f"\n\n- {line}" for line in self.lines)
        return f"**{self.title}**{body}\n\n[Open the run in Dagster]({self.run_url})"

    def payload(self) -> dict[str, Any]:
        """The JSON a webhook receives."""
        return {
            "source": "perfmkt_pipeline",
            "kind": self.kind,
            "key": self.key,
            "title": self.title,
            "lines": list(self.lines),
            "text": self.text(),
            "run_id": self.run_id,
            "run_url": self.run_url,
            "job_name": self.job_name,
            "findings": [dict(f) for f in self.findings],
        }

    def mapped(self, fn) -> Notification:
        """The notification with `fn` applied to every piece of text (secret scrubbing)."""

        def deep(value: Any) -> Any:
            if isinstance(value, str):
                return fn(value)
            if isinstance(value, dict):
                return {k: deep(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return type(value)(deep(v) for v in value)
            return value

        return replace(
            self,
            title=fn(self.title),
            lines=tuple(fn(line) for line in self.lines),
            job_name=fn(self.job_name),
            findings=tuple(deep(f) for f in self.findings),
        )
