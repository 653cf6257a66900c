"""Our Zerodha adapter pointed at the loopback Kite server (`zerodha_mock_server.KiteMock`),
already logged in, with a fake clock (rate limits and back-offs never sleep) and quick retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scalpbot.brokers.zerodha.broker import ZerodhaBroker
from scalpbot.brokers.zerodha.http import RetryPolicy
from zerodha_mock_server import FakeClock, Fault, KiteMock

#: Replies an order call can lose after Kite took the order (the broker's timeout: 0.3 s).
LOST_REPLIES = [
    Fault(200, accept=True, stall_s=1.0),  # Kite took the order, the answer never came
    Fault(503, text="gateway error", accept=True),  # a 5xx after the order was taken
    Fault(accept=True, drop=True),  # the connection dropped after sending
]
LOST_REPLY_IDS = ["timeout", "5xx", "dropped"]
RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, resolve_polls=3, resolve_delay_s=0.01)


def broker_on(mock: KiteMock, tmp_path: Path, **kwargs: Any) -> ZerodhaBroker:
    options: dict[str, Any] = {
        "api_secret": mock.api_secret,
        "access_token": mock.access_token,
        "base_url": mock.url,
        "instruments_cache": tmp_path / "instruments.csv",
        "clock": FakeClock(),
        "retry": RETRY,
    }
    options.update(kwargs)
    return ZerodhaBroker(mock.api_key, **options)
