"""Small validated value types shared by the settings models, and one way to raise a field error.

A model-level check (say "e-mail enabled but no SMTP host") can only raise one error for the
whole model; `field_error` tags it with the key it is really about, so the error formatter in
`scalpbot.config.errors` can name `alerts.email.smtp_host` instead of just `alerts.email`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from scalpbot.domain import Exchange

#: The error type `field_error` raises; the formatter reads `field` and `value` from its context.
FIELD_ERROR = "scalpbot_field"

#: Broker adapters a config may name (the brokers registry implements them).
KNOWN_BROKERS: tuple[str, ...] = (
    "paper",
    "zerodha",
    "kotak",
    "angel",
    "upstox",
    "icici",
    "fyers",
    "dhan",
)

EXCHANGES: tuple[str, ...] = tuple(e.value for e in Exchange)

_UNSET = object()


def field_error(field: str, message: str, value: Any = _UNSET) -> PydanticCustomError:
    """An error about `field` (dotted, relative to the model raising it) with its bad `value`.

    Leave `value` out when the problem is that the field is not set.
    """
    context: dict[str, Any] = {"field": field}
    if value is not _UNSET:
        context["value"] = value
    # The message is passed as a context value, so braces in it are never read as placeholders.
    context["problem"] = message
    return PydanticCustomError(FIELD_ERROR, "{problem}", context)


def _symbol_key(text: str) -> str:
    """`EXCHANGE:SYMBOL`, exchange and symbol upper-cased ("nse:infy" → "NSE:INFY")."""
    exchange, sep, symbol = text.strip().partition(":")
    if not sep:
        raise ValueError(
            "expected EXCHANGE:SYMBOL such as NSE:RELIANCE "
            f"(exchange one of {', '.join(EXCHANGES)})"
        )
    exchange = exchange.strip().upper()
    if exchange not in EXCHANGES:
        raise ValueError(f"unknown exchange {exchange!r}; allowed: {', '.join(EXCHANGES)}")
    symbol = symbol.strip().upper()
    if not symbol or ":" in symbol or any(ch.isspace() for ch in symbol):
        raise ValueError(
            "the symbol after the exchange must be one word without spaces or colons, "
            "such as NSE:RELIANCE or NFO:NIFTY24DECFUT"
        )
    return f"{exchange}:{symbol}"


def _broker_name(text: str) -> str:
    name = text.strip().lower()
    if name not in KNOWN_BROKERS:
        raise ValueError(f"unknown broker; allowed: {', '.join(KNOWN_BROKERS)}")
    return name


def _not_bool(value: Any) -> Any:
    """YAML turns `yes`/`true` into booleans, and pydantic would quietly read True as 1."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    return value


def _non_empty(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _url(schemes: tuple[str, ...]) -> AfterValidator:
    def check(text: str) -> str:
        text = text.strip()
        if not text.lower().startswith(tuple(f"{s}://" for s in schemes)):
            allowed = " or ".join(f"{s}://…" for s in schemes)
            raise ValueError(f"expected a URL starting with {allowed}")
        return text.rstrip("/")

    return AfterValidator(check)


def _email_address(text: str) -> str:
    text = text.strip()
    local, sep, domain = text.partition("@")
    if not sep or not local or "." not in domain or any(ch.isspace() for ch in text):
        raise ValueError("expected an e-mail address such as you@example.com")
    return text


SymbolKey = Annotated[str, AfterValidator(_symbol_key)]
BrokerName = Annotated[str, AfterValidator(_broker_name)]
WholeNumber = Annotated[int, BeforeValidator(_not_bool)]
NonEmptyStr = Annotated[str, AfterValidator(_non_empty)]
HttpUrl = Annotated[str, _url(("http", "https"))]
WebSocketUrl = Annotated[str, _url(("ws", "wss"))]
EmailAddress = Annotated[str, AfterValidator(_email_address)]
