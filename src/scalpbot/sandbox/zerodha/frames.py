"""Kite's binary ticker format, written: what the sandbox sends its WebSocket clients.

The layouts are Kite's (see `scalpbot.brokers.zerodha.ticker` for the reading side, which must
not share code with this one: the official client's parser checks both). Every integer is
big-endian; prices are already scaled by the caller (paise for equities, 10^7 for CDS), times
are epoch seconds.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

HEARTBEAT = b"\x00"
DEPTH_LEVELS = 5

_COUNT = struct.Struct(">H")
_LTP = struct.Struct(">Ii")
_INDEX = struct.Struct(">Iiiiiii")
_INDEX_FULL = struct.Struct(">Iiiiiiii")
_QUOTE = struct.Struct(">Iiiiiiiiiii")
_FULL_HEAD = struct.Struct(">Iiiiiiiiiii" + "iiiii")
_LEVEL = struct.Struct(">iiH2x")

Level = tuple[int, int, int]  # (quantity, price, orders)


def encode_frame(packets: Sequence[bytes]) -> bytes:
    """Packet count, then each packet preceded by its length."""
    parts = [_COUNT.pack(len(packets))]
    for packet in packets:
        parts.append(_COUNT.pack(len(packet)))
        parts.append(packet)
    return b"".join(parts)


def ltp_packet(token: int, ltp: int) -> bytes:
    return _LTP.pack(token, ltp)


def quote_packet(
    token: int,
    *,
    ltp: int,
    last_qty: int,
    avg: int,
    volume: int,
    buy_qty: int,
    sell_qty: int,
    open: int,
    high: int,
    low: int,
    close: int,
) -> bytes:
    return _QUOTE.pack(token, ltp, last_qty, avg, volume, buy_qty, sell_qty, open, high, low, close)


def _levels(levels: Sequence[Level]) -> bytes:
    padded = list(levels[:DEPTH_LEVELS]) + [(0, 0, 0)] * (DEPTH_LEVELS - len(levels))
    return b"".join(_LEVEL.pack(qty, price, orders) for qty, price, orders in padded)


def full_packet(
    token: int,
    *,
    ltp: int,
    last_qty: int,
    avg: int,
    volume: int,
    buy_qty: int,
    sell_qty: int,
    open: int,
    high: int,
    low: int,
    close: int,
    last_trade_time: int,
    oi: int,
    oi_high: int,
    oi_low: int,
    exchange_ts: int,
    depth_buy: Sequence[Level] = (),
    depth_sell: Sequence[Level] = (),
) -> bytes:
    head = _FULL_HEAD.pack(
        token,
        ltp,
        last_qty,
        avg,
        volume,
        buy_qty,
        sell_qty,
        open,
        high,
        low,
        close,
        last_trade_time,
        oi,
        oi_high,
        oi_low,
        exchange_ts,
    )
    return head + _levels(depth_buy) + _levels(depth_sell)


def index_packet(
    token: int,
    *,
    ltp: int,
    high: int,
    low: int,
    open: int,
    close: int,
    change: int,
    exchange_ts: int | None = None,
) -> bytes:
    """28 bytes (quote) without an exchange timestamp, 32 (full) with one."""
    if exchange_ts is None:
        return _INDEX.pack(token, ltp, high, low, open, close, change)
    return _INDEX_FULL.pack(token, ltp, high, low, open, close, change, exchange_ts)


def garbage_frames(count: int, rng: random.Random) -> list[bytes]:
    """`count` frames a client must refuse, cycling through three ways a frame goes bad: cut
    short mid-packet, a packet of a length Kite never sends, and a count of packets the bytes
    cannot hold."""
    frames: list[bytes] = []
    for number in range(count):
        good = encode_frame([_LTP.pack(rng.randint(1, 2**31 - 1), rng.randint(1, 10**7))])
        kind = number % 3
        if kind == 0:
            frames.append(good[: len(good) - 3])
        elif kind == 1:
            frames.append(_COUNT.pack(1) + struct.pack(">H", 13) + bytes(13))
        else:
            frames.append(_COUNT.pack(60_000) + rng.randbytes(12))
    return frames
