"""`KiteTickerClient`: Kite's WebSocket ticker, kept connected for a whole trading day.

It subscribes our instruments (by Kite's instrument tokens, from the instrument master) in the
mode asked for, decodes binary frames into ticks keyed the way scalpbot keys instruments
("NSE:INFY"), turns order-update text messages into `Order`s, and hands both to a
`StreamHandler`. Kite allows 3,000 instruments per connection and 3 connections per API key,
so subscriptions are spread over up to three connections.

A dropped connection is reopened with exponential back-off (with jitter, capped at 4 s, so a
feed is back within 5 s of the server being reachable again) and every subscription is sent
again. A connection that stays open but goes silent — no frame, not even the one-byte heartbeat
Kite sends each second, for 3 s — is reopened by a watchdog during market hours (outside them a
silent market is normal). A token Kite refuses (HTTP 403 at the handshake) ends
the stream with `SessionExpired`: retrying a dead token only gets the key blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from scalpbot.brokers.zerodha.constants import WS_URL
from scalpbot.brokers.zerodha.instruments import InstrumentMaster
from scalpbot.brokers.zerodha.mapping import order_from_kite
from scalpbot.brokers.zerodha.ticker import parse_frame, parse_text
from scalpbot.domain import ConfigError, DataError, SessionExpired, StreamHandler

log = logging.getLogger(__name__)

MODES = ("ltp", "quote", "full")


class KiteTickerClient:
    """Market data and order updates from Kite's ticker (see the module docstring).

    client = broker.stream(handler)        # or KiteTickerClient(api_key, token, handler, ...)
    client.subscribe(["NSE:INFY"], "full")
    await client.run()                     # until close(); reconnects by itself
    """

    def __init__(
        self,
        api_key: str,
        access_token: str,
        handler: StreamHandler,
        *,
        url: str = WS_URL,
        master: InstrumentMaster | None = None,
        silence_timeout_s: float = 3.0,
        max_backoff_s: float = 4.0,
        per_connection: int = 3000,
        max_connections: int = 3,
        market_hours: Callable[[], bool] | None = None,
    ) -> None:
        self._api_key = api_key
        self._token = access_token
        self.handler = handler
        self.url = url
        self.master = master
        self.silence_timeout_s = silence_timeout_s
        self.max_backoff_s = max_backoff_s
        self.per_connection = per_connection
        self.max_connections = max_connections
        self.market_hours = market_hours
        self._modes: dict[int, str] = {}  # token -> mode, in subscription order
        self._sockets: dict[int, ClientConnection] = {}
        self._closed = asyncio.Event()
        self.reconnects = 0
        self.bad_frames = 0

    def __repr__(self) -> str:
        return f"KiteTickerClient(url={self.url!r}, instruments={len(self._modes)})"

    @property
    def connected(self) -> bool:
        return bool(self._sockets)

    # -- subscriptions ---------------------------------------------------------------------------
    def _token_of(self, key: str) -> int:
        if key.isdigit():
            return int(key)
        if self.master is None:
            raise ConfigError(f"{key}: no instrument master to find its Kite token")
        return self.master.token_of(key)

    def subscribe(self, keys: Sequence[str], mode: str = "full") -> None:
        """Subscribe (our keys, or Kite tokens as digits) in `mode`; kept across reconnects."""
        if mode not in MODES:
            raise ConfigError(f"ticker mode {mode!r}: allowed: {', '.join(MODES)}")
        tokens = [self._token_of(key) for key in keys]
        limit = self.per_connection * self.max_connections
        if len(set(self._modes) | set(tokens)) > limit:
            raise ConfigError(
                f"Kite allows {self.per_connection} instruments on each of "
                f"{self.max_connections} connections ({limit} in all); "
                f"{len(set(self._modes) | set(tokens))} asked for"
            )
        for token in tokens:
            self._modes[token] = mode
        self._send_all()

    def set_mode(self, keys: Sequence[str], mode: str) -> None:
        self.subscribe(keys, mode)

    def unsubscribe(self, keys: Sequence[str]) -> None:
        tokens = [self._token_of(key) for key in keys]
        for index, socket in self._sockets.items():
            mine = [t for t in tokens if self._slot(t) == index]
            if mine:
                self._send(socket, {"a": "unsubscribe", "v": mine})
        for token in tokens:
            self._modes.pop(token, None)

    def _slot(self, token: int) -> int:
        """Which connection carries `token`: the first 3,000 subscribed on the first, ..."""
        return list(self._modes).index(token) // self.per_connection

    def _tokens_for(self, index: int) -> list[int]:
        tokens = list(self._modes)
        return tokens[index * self.per_connection : (index + 1) * self.per_connection]

    def _send(self, socket: ClientConnection, message: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self._send_now(socket, message))

    @staticmethod
    async def _send_now(socket: ClientConnection, message: dict[str, Any]) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await socket.send(json.dumps(message))

    def _send_all(self) -> None:
        for index, socket in list(self._sockets.items()):
            self._send_subscriptions(socket, index)

    def _send_subscriptions(self, socket: ClientConnection, index: int) -> None:
        tokens = self._tokens_for(index)
        if not tokens:
            return
        self._send(socket, {"a": "subscribe", "v": tokens})
        by_mode: dict[str, list[int]] = {}
        for token in tokens:
            by_mode.setdefault(self._modes[token], []).append(token)
        for mode, group in by_mode.items():
            self._send(socket, {"a": "mode", "v": [mode, group]})

    # -- running ---------------------------------------------------------------------------------
    def _connections_needed(self) -> int:
        return max(1, -(-len(self._modes) // self.per_connection))

    async def run(self) -> None:
        """Keep the needed connections open until `close()`; raises `SessionExpired` when Kite
        refuses the token."""
        count = min(self._connections_needed(), self.max_connections)
        tasks = [asyncio.create_task(self._keep(index)) for index in range(count)]
        closing = asyncio.create_task(self._closed.wait())
        try:
            done, _ = await asyncio.wait([*tasks, closing], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not closing:
                    task.result()  # re-raise SessionExpired
        finally:
            for task in [*tasks, closing]:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def close(self) -> None:
        self._closed.set()
        for socket in list(self._sockets.values()):
            with contextlib.suppress(Exception):
                await socket.close()
        self._sockets.clear()

    def _address(self) -> str:
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}api_key={self._api_key}&access_token={self._token}"

    async def _keep(self, index: int) -> None:
        attempt = 0
        while not self._closed.is_set():
            try:
                async with connect(
                    self._address(), open_timeout=10, ping_interval=None, max_size=2**23
                ) as socket:
                    attempt = 0
                    self._sockets[index] = socket
                    self.handler.on_status(True, f"ticker connection {index + 1} open")
                    self._send_subscriptions(socket, index)
                    await self._read(socket)
            except InvalidStatus as exc:
                if exc.response.status_code == 403:
                    message = (
                        "Kite refused the ticker's token: token expired or invalid; log in again"
                    )
                    self.handler.on_status(False, message)
                    raise SessionExpired(message) from None
                reason = f"handshake refused with HTTP {exc.response.status_code}"
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                reason = "connection closed"
            finally:
                self._sockets.pop(index, None)
            if self._closed.is_set():
                return
            self.handler.on_status(False, f"ticker connection {index + 1} lost ({reason})")
            delay = min(self.max_backoff_s, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            attempt += 1
            self.reconnects += 1
            log.warning("ticker reconnecting in %.1f s (%s)", delay, reason)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closed.wait(), delay)

    async def _read(self, socket: ClientConnection) -> None:
        while True:
            try:
                message = await asyncio.wait_for(socket.recv(), self.silence_timeout_s)
            except TimeoutError:
                if self.market_hours is None or self.market_hours():
                    log.warning(
                        "ticker silent for %.0f s during market hours; reconnecting",
                        self.silence_timeout_s,
                    )
                    await socket.close()
                    return
                continue
            if isinstance(message, bytes):
                self._on_binary(message)
            else:
                self._on_text(message)

    def _on_binary(self, data: bytes) -> None:
        try:
            ticks = parse_frame(data)
        except DataError as exc:
            self.bad_frames += 1
            log.warning("ticker frame skipped: %s", exc)
            return
        if not ticks:
            return  # heartbeat
        now = time.time_ns()
        master = self.master
        for tick in ticks:
            if tick.ts == 0:
                tick.ts = now
            if master is not None:
                instrument = master.by_token(int(tick.instrument_key))
                if instrument is not None:
                    tick.instrument_key = instrument.key
        self.handler.on_ticks(ticks)

    def _on_text(self, text: str) -> None:
        try:
            message = parse_text(text)
        except DataError as exc:
            self.bad_frames += 1
            log.warning("ticker text message skipped: %s", exc)
            return
        if message.type == "order" and isinstance(message.data, dict):
            if self.master is None:
                log.warning("order update ignored: no instrument master")
                return
            try:
                order = order_from_kite(message.data, self.master)
            except (DataError, ValueError) as exc:
                log.warning("order update skipped: %s", exc)
                return
            self.handler.on_order(order)
        elif message.type == "error":
            log.warning("ticker error from Kite: %s", message.data)
            self.handler.on_status(True, f"Kite ticker error: {message.data}")
