"""The `alerts` section: where notifications go (Telegram, e-mail) and which events send them.

A channel that is enabled must be complete (a bot token and chat, or an SMTP host, sender and
recipients): finding that out when the first stop-loss fires would be too late.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from scalpbot.config.fields import EmailAddress, HttpUrl, WholeNumber, field_error

#: Events the engine and runtime raise alerts for.
EVENT_NAMES: tuple[str, ...] = (
    "order_placed",
    "order_filled",
    "order_rejected",
    "stop_hit",
    "target_hit",
    "risk_limit",
    "circuit_breaker",
    "emergency_stop",
    "feed_down",
    "feed_up",
    "session_expired",
    "error",
    "daily_summary",
)

#: Where an alert can go.
CHANNELS: tuple[str, ...] = ("telegram", "email")


class TelegramSettings(BaseModel):
    """A Telegram bot that posts alerts to one chat (and takes commands from it)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    bot_token: SecretStr | None = None
    chat_id: str | None = None
    api_url: HttpUrl = "https://api.telegram.org"

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        missing = [name for name in ("bot_token", "chat_id") if getattr(self, name) is None]
        if self.enabled and missing:
            where = " (the token in secrets.env)" if "bot_token" in missing else ""
            raise field_error(
                missing[0],
                f"not set, but alerts.telegram.enabled is true; set {' and '.join(missing)}"
                f"{where} or set enabled: false",
            )
        return self


class EmailSettings(BaseModel):
    """An SMTP account that mails alerts to a list of recipients."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    smtp_host: str | None = None
    smtp_port: WholeNumber = Field(default=587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: EmailAddress | None = None
    recipients: list[EmailAddress] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        missing = [
            name
            for name in ("smtp_host", "sender", "recipients")
            if not getattr(self, name)  # None, "" or []
        ]
        if self.enabled and missing:
            raise field_error(
                missing[0],
                f"not set, but alerts.email.enabled is true; set {', '.join(missing)} "
                "or set enabled: false",
            )
        return self


class AlertsSettings(BaseModel):
    """Notification channels and the routing of events to them.

    `events` maps an event name to the channels it goes to. An event not listed goes to every
    enabled channel; list it with `[]` to silence it.
    """

    model_config = ConfigDict(extra="forbid")

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    events: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("events")
    @classmethod
    def _known_events_and_channels(cls, events: dict[str, list[str]]) -> dict[str, list[str]]:
        routed: dict[str, list[str]] = {}
        for event, channels in events.items():
            name = event.strip().lower()
            if name not in EVENT_NAMES:
                raise field_error(event, f"unknown event; allowed: {', '.join(EVENT_NAMES)}", event)
            wanted: list[str] = []
            for channel in channels:
                word = channel.strip().lower()
                if word not in CHANNELS:
                    raise field_error(
                        event, f"unknown channel; allowed: {', '.join(CHANNELS)}", channel
                    )
                if word not in wanted:
                    wanted.append(word)
            routed[name] = wanted
        return routed

    def enabled_channels(self) -> list[str]:
        return [name for name in CHANNELS if getattr(self, name).enabled]

    def channels_for(self, event: str) -> list[str]:
        """The enabled channels `event` should be sent to (see the class docstring)."""
        enabled = self.enabled_channels()
        if event not in self.events:
            return enabled
        return [channel for channel in self.events[event] if channel in enabled]
