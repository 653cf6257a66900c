"""Shared parts of the alerts tests: a real SMTP server on 127.0.0.1 (aiosmtpd) that records
what it receives, TLS certificates from a throw-away CA (trustme), settings builders, and real
engine events of every kind an alert is sent for."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from scalpbot.alerts import DeliveryTuning
from scalpbot.config import AlertsSettings
from scalpbot.domain import (
    Exchange,
    Instrument,
    InstrumentType,
    Order,
    OrderStatus,
    OrderType,
    Side,
    datetime_to_ns,
)
from scalpbot.engine.events import (
    BrokerSessionEvent,
    DailySummaryEvent,
    ErrorEvent,
    ExitTriggeredEvent,
    FeedStatusEvent,
    OrderEvent,
    RiskRejectedEvent,
    StrategyStateEvent,
)

CHAT_ID = "424242"
OTHER_CHAT = "777"
SMTP_USER = "alerts@example.com"
SMTP_PASSWORD = "correct horse battery staple"
#: Delivery settings that keep tests fast: quick retries, a generous cap.
FAST = DeliveryTuning(per_minute=1000, base_delay_s=0.05, max_delay_s=0.2, max_attempts=4)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- SMTP -----------------------------------------------------------------------------------------
@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


class MailRecorder:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self._lock:
            return [m.subject for m in self.mails]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; mails so far: {self.subjects()}")
            time.sleep(0.02)


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == SMTP_USER.encode()
        and data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class Certificates:
    server: ssl.SSLContext  # for the SMTP server
    client: ssl.SSLContext  # trusts the test CA only


def certificates() -> Certificates:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return Certificates(server, client)


@contextmanager
def smtp_server(
    *, security: str = "none", certs: Certificates | None = None, login: bool = False
) -> Iterator[tuple[MailRecorder, int]]:
    """A real SMTP server on 127.0.0.1: plain, STARTTLS (required) or implicit SSL."""
    recorder = MailRecorder()
    port = free_port()
    options: dict[str, Any] = {}
    if login:
        options["authenticator"] = _authenticate
        options["auth_require_tls"] = security != "none"
    if security == "starttls":
        assert certs is not None
        options.update(tls_context=certs.server, require_starttls=True)
    elif security == "ssl":
        assert certs is not None
        options.update(ssl_context=certs.server)
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


# -- settings -------------------------------------------------------------------------------------
def alerts_settings(
    *,
    telegram_url: str | None = None,
    token: str = "",
    smtp_port: int | None = None,
    security: str = "none",
    login: bool = False,
    events: dict[str, list[str]] | None = None,
) -> AlertsSettings:
    data: dict[str, Any] = {"events": events or {}}
    if telegram_url is not None:
        data["telegram"] = {
            "enabled": True,
            "bot_token": token,
            "chat_id": CHAT_ID,
            "api_url": telegram_url,
        }
    if smtp_port is not None:
        data["email"] = {
            "enabled": True,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "security": security,
            "sender": "bot@example.com",
            "recipients": ["trader@example.com", "partner@example.com"],
            **({"username": SMTP_USER, "password": SMTP_PASSWORD} if login else {}),
        }
    return AlertsSettings.model_validate(data)


# -- real events ----------------------------------------------------------------------------------
RELIANCE = Instrument(Exchange.NSE, "RELIANCE", InstrumentType.EQ, tick_size=Decimal("0.05"))
TS = datetime_to_ns(datetime(2025, 6, 2, 10, 15, 3))


def order(status: OrderStatus, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": "S1X1",
        "instrument": RELIANCE,
        "side": Side.BUY,
        "quantity": 10,
        "order_type": OrderType.LIMIT,
        "price": Decimal("1410.00"),
        "status": status,
        "strategy_id": "trend:NSE:RELIANCE",
        "created_ts": TS,
        "updated_ts": TS,
    }
    fields.update(changes)
    return Order(**fields)


def every_event() -> list[tuple[str, object, str]]:
    """(event name, a real engine event, a piece of the text its alert must contain)."""
    filled = order(OrderStatus.FILLED, filled_quantity=10, average_price=Decimal("1412.5"))
    rejected = order(OrderStatus.REJECTED, client_order_id="S1X2", reason="insufficient margin")
    return [
        (
            "order_placed",
            OrderEvent(order(OrderStatus.OPEN), TS),
            "📝 PLACED BUY 10 NSE:RELIANCE LIMIT @ 1,410.00 (trend:NSE:RELIANCE)",
        ),
        (
            "order_filled",
            OrderEvent(filled, TS),
            "✅ FILLED BUY 10 NSE:RELIANCE @ 1,412.50 (trend:NSE:RELIANCE)",
        ),
        (
            "order_rejected",
            OrderEvent(rejected, TS),
            "❌ REJECTED BUY 10 NSE:RELIANCE LIMIT @ 1,410.00: insufficient margin",
        ),
        (
            "stop_hit",
            ExitTriggeredEvent("S1X1", "stop", Decimal("1398.05"), TS),
            "🛑 Stop-loss hit NSE:RELIANCE @ 1,398.05 (entry S1X1, trend:NSE:RELIANCE)",
        ),
        (
            "target_hit",
            ExitTriggeredEvent("S1X1", "target", Decimal("1440"), TS),
            "🎯 Target hit NSE:RELIANCE @ 1,440.00 (entry S1X1, trend:NSE:RELIANCE)",
        ),
        (
            "risk_limit",
            RiskRejectedEvent(
                "trend:NSE:RELIANCE",
                "NSE:RELIANCE",
                "daily_loss_limit",
                "daily loss limit reached: today's P&L -5012.40 is at or below -5000.00",
                TS,
            ),
            "⛔ Risk: daily_loss_limit — daily loss limit reached: today's P&L -5012.40",
        ),
        (
            "circuit_breaker",
            RiskRejectedEvent(
                "trend:NSE:RELIANCE",
                "NSE:RELIANCE",
                "circuit_breaker",
                "circuit breaker tripped after 3 losing trades in a row; no new entries",
                TS,
            ),
            "🚨 Circuit breaker — circuit breaker tripped after 3 losing trades in a row",
        ),
        (
            "emergency_stop",
            StrategyStateEvent("halted", "kill switch from the dashboard", TS),
            "🆘 Emergency stop: kill switch from the dashboard — working orders cancelled",
        ),
        ("feed_down", FeedStatusEvent(False, "no market data for 30 s", TS), "📡 Market data DOWN"),
        ("feed_up", FeedStatusEvent(True, "events flowing again", TS), "📡 Market data back up"),
        (
            "session_expired",
            BrokerSessionEvent("zerodha", False, "token expired at 06:00", TS),
            "🔑 Broker session expired (zerodha): token expired at 06:00 — log in again",
        ),
        (
            "error",
            ErrorEvent("strategy:trend:NSE:RELIANCE", "ZeroDivisionError('x')", TS),
            "⚠️ Error in strategy:trend:NSE:RELIANCE: ZeroDivisionError('x')",
        ),
        (
            "daily_summary",
            DailySummaryEvent(
                "2025-06-02",
                7,
                4,
                Decimal("1240.00"),
                Decimal("310.40"),
                Decimal("929.60"),
                TS,
            ),
            "🧾 Daily summary 2025-06-02: 7 trades, win rate 57%, gross ₹1,240.00, "
            "charges ₹310.40, net ₹929.60",
        ),
    ]
