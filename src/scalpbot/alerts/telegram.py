"""Telegram through the Bot API over httpx: the three methods scalpbot needs, and the sender.

No SDK: `sendMessage`, `getUpdates` and `getMe` are plain JSON over HTTPS, and a configurable
base URL (`alerts.telegram.api_url`) lets tests point it at a fake server on 127.0.0.1.

The bot token is part of every URL (`/bot<token>/sendMessage`), so URLs are never logged or put
in error messages, and httpx's own request log lines are scrubbed of the token (`redact`).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from scalpbot.alerts.delivery import Alert, DeliveryError

log = logging.getLogger(__name__)

#: Telegram's limit on a message's text.
MAX_MESSAGE_CHARS = 4096


class _TokenFilter(logging.Filter):
    """Replaces registered tokens in a log record's text (httpx logs every request's URL)."""

    def __init__(self) -> None:
        super().__init__("scalpbot-telegram-token")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.tokens:
            text = record.getMessage()
            cleaned = redact(text, self.tokens)
            if cleaned != text:
                record.msg, record.args = cleaned, None
        return True


_FILTER = _TokenFilter()


def redact(text: str, tokens: set[str] | frozenset[str] | None = None) -> str:
    """`text` with every known bot token replaced by "<token>"."""
    for token in _FILTER.tokens if tokens is None else tokens:
        if token:
            text = text.replace(token, "<token>")
    return text


def _guard_logs(token: str) -> None:
    _FILTER.tokens.add(token)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class TelegramClient:
    """The Bot API methods scalpbot calls, with Telegram's failures sorted into retryable or not.

    client = TelegramClient(token, "https://api.telegram.org")
    await client.call("sendMessage", {"chat_id": "123", "text": "hi"})
    await client.aclose()
    """

    def __init__(self, token: str, api_url: str, *, timeout_s: float = 10.0) -> None:
        if not token:
            raise ValueError("a Telegram bot token is needed")
        self._token = token
        self.timeout_s = timeout_s
        _guard_logs(token)
        self._http = httpx.AsyncClient(
            base_url=f"{api_url.rstrip('/')}/bot{token}/", timeout=timeout_s
        )

    async def call(
        self, method: str, payload: dict[str, Any], *, timeout_s: float | None = None
    ) -> Any:
        """POST `payload` to `method`; returns Telegram's `result` or raises `DeliveryError`."""
        try:
            response = await self._http.post(
                method, json=payload, timeout=timeout_s or self.timeout_s
            )
        except httpx.TimeoutException:
            raise DeliveryError(
                f"Telegram did not answer {method} in time", retryable=True
            ) from None
        except httpx.HTTPError as exc:
            reason = redact(str(exc), {self._token}) or type(exc).__name__
            raise DeliveryError(f"cannot reach Telegram: {reason}", retryable=True) from None
        return self._result(method, response)

    def _result(self, method: str, response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if status == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        body = body if isinstance(body, dict) else {}
        code = body.get("error_code", status)
        description = redact(str(body.get("description") or response.reason_phrase), {self._token})
        if status == 429 or code == 429:
            parameters = body.get("parameters")
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            retry_after = float(wait) if isinstance(wait, int | float) else None
            raise DeliveryError(
                f"Telegram rate limit on {method}: {description}",
                retryable=True,
                retry_after=retry_after,
            )
        if status >= 500:
            raise DeliveryError(f"Telegram error {status}: {description}", retryable=True)
        if status == 401:
            raise DeliveryError(
                "Telegram refused the bot token (401 Unauthorized); check "
                "alerts.telegram.bot_token in secrets.env",
                retryable=False,
            )
        raise DeliveryError(f"Telegram error {code} on {method}: {description}", retryable=False)

    async def aclose(self) -> None:
        await self._http.aclose()


class TelegramSender:
    """The Telegram alert channel: each alert is one message to the configured chat."""

    name = "telegram"
    max_chars = MAX_MESSAGE_CHARS

    def __init__(self, client: TelegramClient, chat_id: str) -> None:
        self.client = client
        self.chat_id = chat_id

    async def send(self, alert: Alert) -> None:
        await self.send_text(alert.text)

    async def send_text(self, text: str) -> None:
        payload = {
            "chat_id": self.chat_id,
            "text": text[:MAX_MESSAGE_CHARS],
            "disable_web_page_preview": True,
        }
        await self.client.call("sendMessage", payload)

    async def aclose(self) -> None:
        await self.client.aclose()
