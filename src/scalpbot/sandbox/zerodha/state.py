"""Everything the sandbox knows, and the loop that moves its market.

One asyncio loop (uvicorn's) owns the state: REST handlers, WebSocket clients and the price
task all run on it, so nothing needs a lock. Each step moves prices, lets the book match, and
sends every subscribed ticker client its frame; order changes go out as text messages (and to
the postback URL, when one is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.websockets import WebSocket

from scalpbot.sandbox.zerodha import frames
from scalpbot.sandbox.zerodha.book import Book
from scalpbot.sandbox.zerodha.faults import KINDS, Faults
from scalpbot.sandbox.zerodha.frames import garbage_frames
from scalpbot.sandbox.zerodha.market import Listing, Market

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SandboxConfig:
    api_key: str = "sandbox_key"
    api_secret: str = "sandbox_secret"
    redirect_url: str = "http://127.0.0.1:8050/api/broker/zerodha/callback"
    tick_interval: float = 0.5
    time_scale: float = 1.0
    seed: int = 7
    liquidity: int = 1000
    postback_url: str | None = None
    user_id: str = "SB0001"


@dataclass(slots=True)
class TickerClient:
    socket: WebSocket
    modes: dict[int, str] = field(default_factory=dict)
    outbox: asyncio.Queue[bytes | str | None] = field(default_factory=asyncio.Queue)


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = Faults()
        self.tokens: set[str] = set()
        self.request_tokens: set[str] = set()
        self.clients: list[TickerClient] = []
        self.postbacks_sent = 0
        self.requests: deque[str] = deque(maxlen=10_000)  # "METHOD /path", for tests
        self.reset()

    def reset(self) -> None:
        self.market = Market(self.config.seed, self.config.time_scale)
        self.book = Book(
            self.market,
            user_id=self.config.user_id,
            liquidity=self.config.liquidity,
            on_change=self._order_changed,
        )
        self.faults.clear()

    def profile(self) -> dict[str, Any]:
        return {
            "user_id": self.book.user_id,
            "user_type": "individual",
            "email": "sandbox@example.com",
            "user_name": "Sandbox Trader",
            "user_shortname": "Sandbox",
            "broker": "ZERODHA",
            "exchanges": ["NSE", "NFO", "BSE", "BFO", "CDS", "MCX"],
            "products": ["CNC", "NRML", "MIS", "BO", "CO"],
            "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
            "avatar_url": None,
            "meta": {"demat_consent": "physical"},
        }

    # -- market ------------------------------------------------------------------------------
    def quote_row(self, listing: Listing) -> dict[str, Any]:
        tick = float(listing.tick_size)
        last = float(listing.price())
        return {
            "instrument_token": listing.token,
            "timestamp": self.market.exchange_datetime().strftime("%Y-%m-%d %H:%M:%S"),
            "last_trade_time": self.market.exchange_datetime().strftime("%Y-%m-%d %H:%M:%S"),
            "last_price": last,
            "last_quantity": listing.last_qty,
            "buy_quantity": 5000,
            "sell_quantity": 5000,
            "volume": listing.volume,
            "average_price": float(listing.price(listing.average_ticks)),
            "oi": 0,
            "oi_day_high": 0,
            "oi_day_low": 0,
            "net_change": round(last - float(listing.price(listing.prev_close)), 2),
            "lower_circuit_limit": round(float(listing.price(listing.prev_close)) * 0.8, 2),
            "upper_circuit_limit": round(float(listing.price(listing.prev_close)) * 1.2, 2),
            "ohlc": {
                "open": float(listing.price(listing.day_open)),
                "high": float(listing.price(listing.day_high)),
                "low": float(listing.price(listing.day_low)),
                "close": float(listing.price(listing.prev_close)),
            },
            "depth": {
                "buy": [{"price": round(last - tick * (i + 1), 2), "quantity": 100 * (i + 1),
                         "orders": i + 1} for i in range(5)],
                "sell": [{"price": round(last + tick * (i + 1), 2), "quantity": 100 * (i + 1),
                          "orders": i + 1} for i in range(5)],
            },
        }  # fmt: skip

    def packet(self, listing: Listing, mode: str) -> bytes:
        last = listing.paise()
        if mode == "ltp":
            return frames.ltp_packet(listing.token, last)
        step = listing.paise(1)
        values = {
            "ltp": last,
            "last_qty": listing.last_qty,
            "avg": listing.paise(listing.average_ticks),
            "volume": listing.volume,
            "buy_qty": 5000,
            "sell_qty": 5000,
            "open": listing.paise(listing.day_open),
            "high": listing.paise(listing.day_high),
            "low": listing.paise(listing.day_low),
            "close": listing.paise(listing.prev_close),
        }
        if mode == "quote":
            return frames.quote_packet(listing.token, **values)
        now = int(self.market.exchange_time())
        return frames.full_packet(
            listing.token,
            **values,
            last_trade_time=now,
            oi=0,
            oi_high=0,
            oi_low=0,
            exchange_ts=now,
            depth_buy=[(100 * (i + 1), last - step * (i + 1), i + 1) for i in range(5)],
            depth_sell=[(100 * (i + 1), last + step * (i + 1), i + 1) for i in range(5)],
        )

    async def set_price(self, key: str, price: Decimal) -> None:
        self.market.set_price(key, price)
        self.book.on_step()
        self._broadcast_prices()

    # -- the loop ----------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(self._run())
        self._http = httpx.AsyncClient(timeout=5.0)
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._http.aclose()

    async def _run(self) -> None:
        last_beat = time.monotonic()
        while True:
            await asyncio.sleep(self.config.tick_interval)
            if not self.market.paused:  # a paused market neither moves nor trades
                self.market.step()
                self.book.on_step()
            if not self.faults.silent:
                self._broadcast_prices()
                if time.monotonic() - last_beat >= 1.0:
                    last_beat = time.monotonic()
                    for client in self.clients:
                        client.outbox.put_nowait(frames.HEARTBEAT)

    def _broadcast_prices(self) -> None:
        if self.faults.silent:
            return
        for client in self.clients:
            packets = []
            for token, mode in client.modes.items():
                listing = self.market.by_token.get(token)
                if listing is not None:
                    packets.append(self.packet(listing, mode))
            if packets:
                client.outbox.put_nowait(frames.encode_frame(packets))

    def _order_changed(self, row: dict[str, Any]) -> None:
        if not self.faults.silent:
            message = json.dumps({"type": "order", "id": "", "data": row})
            for client in self.clients:
                client.outbox.put_nowait(message)
        if self.config.postback_url:
            body = dict(row)
            body["checksum"] = hashlib.sha256(
                f"{row['order_id']}{row['order_timestamp']}{self.config.api_secret}".encode()
            ).hexdigest()
            body["user_id"] = self.book.user_id
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().create_task(self._postback(body))

    async def _postback(self, body: dict[str, Any]) -> None:
        assert self.config.postback_url is not None
        try:
            await self._http.post(self.config.postback_url, json=body)
            self.postbacks_sent += 1
        except httpx.HTTPError as exc:
            log.warning("postback to %s failed: %s", self.config.postback_url, exc)

    # -- faults --------------------------------------------------------------------------------
    async def inject(self, kind: str, options: dict[str, Any]) -> dict[str, Any]:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; kinds: {', '.join(KINDS)}")
        count = int(options.get("count", 1))
        seconds = float(options.get("seconds", 0))
        faults = self.faults
        if kind in ("http_429", "http_5xx"):
            faults.http_method = str(options.get("method", "")).upper()
        if kind == "http_429":
            faults.http_429 = count
        elif kind == "http_5xx":
            faults.http_5xx = count
        elif kind == "stall_order":
            faults.stall_orders = count
            faults.stall_seconds = seconds or 15.0
        elif kind == "stall_request":
            faults.stall_requests = count
            faults.stall_request_seconds = seconds or 15.0
        elif kind == "fail_after_order":
            faults.fail_after_orders = count
        elif kind == "reject_modify":
            faults.reject_modifies = count
        elif kind == "malformed":
            faults.malformed = count
            faults.malformed_path = str(options.get("path", ""))
        elif kind == "expire_tokens":
            self.tokens.clear()
        elif kind in ("ws_drop", "ws_down"):
            if kind == "ws_down":
                faults.down_until = time.monotonic() + (seconds or 5.0)
            for client in list(self.clients):
                client.outbox.put_nowait(None)
        elif kind == "ws_garbage":
            for client in list(self.clients):
                for frame in garbage_frames(count, self.market.rng):
                    client.outbox.put_nowait(frame)
        elif kind == "ws_silent":
            if options.get("off"):
                faults.silent_until = 0.0
            else:
                faults.set_silent(seconds)
        return {"kind": kind, "count": count, "seconds": seconds}
