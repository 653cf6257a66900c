"""Kite's WebSocket ticker messages, decoded: binary market-data frames and JSON text messages.

A binary frame is a 2-byte big-endian packet count, then per packet a 2-byte length and the
packet. The packet's length says its mode: 8 bytes LTP; 28 an index quote, 32 an index with
the exchange timestamp; 44 a quote; 184 a full quote (quote + last trade time, open interest,
its day high and low, exchange timestamp, and five bid then five ask levels of 12 bytes:
quantity, price, orders and two bytes of padding). All integers are big-endian; prices are in
paise (÷100), except currency derivatives (÷10^7) and BSE currency / NCO (÷10^4). A 1-byte
message is a heartbeat.

`parse_frame` is on the hot path of a live session (up to 9,000 instruments in full mode), so
each layout is one precompiled `struct.Struct` unpacked in a single call and a `Tick` is built
directly from the tuple; nothing else is allocated per packet.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from scalpbot.domain import DataError, QuoteTick, Tick

#: Segment codes (the low byte of an instrument token).
SEGMENT_CDS = 3
SEGMENT_BCD = 6
SEGMENT_INDICES = 9
SEGMENT_NCO = 12

LTP_LENGTH = 8
INDEX_QUOTE_LENGTH = 28
INDEX_FULL_LENGTH = 32
QUOTE_LENGTH = 44
FULL_LENGTH = 184
DEPTH_LEVELS = 5

_HEAD = struct.Struct(">H")
_LTP = struct.Struct(">Ii")
_INDEX = struct.Struct(">Iiiiiii")
_INDEX_FULL = struct.Struct(">Iiiiiiii")
_QUOTE = struct.Struct(">Iiiiiiiiiii")
# full = quote (11 ints) + ltt, oi, oi high, oi low, exchange ts + 10 x (qty, price, orders, pad)
_FULL = struct.Struct(">Iiiiiiiiiii" + "iiiii" + "iiH2x" * (2 * DEPTH_LEVELS))

NS = 1_000_000_000
_new = object.__new__


def _divisor(token: int) -> float:
    segment = token & 0xFF
    if segment == SEGMENT_CDS:
        return 10_000_000.0
    if segment in (SEGMENT_BCD, SEGMENT_NCO):
        return 10_000.0
    return 100.0


def _full(packet: bytes, offset: int) -> Tick:
    # Built slot by slot rather than through keyword arguments: this runs per instrument per
    # tick, and the keyword call costs as much as the decoding itself.
    v = _FULL.unpack_from(packet, offset)
    d = _divisor(v[0])
    ltt = v[11]
    t = _new(QuoteTick)
    t.instrument_key = str(v[0])
    t.ts = (v[15] or ltt) * NS
    t.last_price = v[1] / d
    t.last_qty = v[2]
    t.volume = v[4]
    t.bid_qty = bid_qty = v[16]
    t.bid = v[17] / d if bid_qty else None
    t.ask_qty = ask_qty = v[31]
    t.ask = v[32] / d if ask_qty else None
    t.oi = v[12]
    t.average_price = v[3] / d
    t.buy_quantity = v[5]
    t.sell_quantity = v[6]
    t.ohlc = (v[7] / d, v[8] / d, v[9] / d, v[10] / d)
    t.change = None
    t.last_trade_ts = ltt * NS
    t.oi_day_high = v[13]
    t.oi_day_low = v[14]
    t._depth = None
    t._depth_raw = v[16:46]
    t._depth_divisor = d
    return t


def _quote(packet: bytes, offset: int) -> Tick:
    v = _QUOTE.unpack_from(packet, offset)
    d = _divisor(v[0])
    return QuoteTick(
        str(v[0]),
        0,
        v[1] / d,
        last_qty=v[2],
        volume=v[4],
        average_price=v[3] / d,
        buy_quantity=v[5],
        sell_quantity=v[6],
        ohlc=(v[7] / d, v[8] / d, v[9] / d, v[10] / d),
    )


def _index(packet: bytes, offset: int, length: int) -> Tick:
    full = length == INDEX_FULL_LENGTH
    v = (_INDEX_FULL if full else _INDEX).unpack_from(packet, offset)
    d = _divisor(v[0])
    # Index packets order the day's prices high, low, open, close; ours are open-high-low-close.
    return QuoteTick(
        str(v[0]),
        v[7] * NS if full else 0,
        v[1] / d,
        ohlc=(v[4] / d, v[2] / d, v[3] / d, v[5] / d),
        change=v[6] / d,
    )


def _ltp(packet: bytes, offset: int) -> Tick:
    token, price = _LTP.unpack_from(packet, offset)
    return Tick(str(token), 0, price / _divisor(token))


def parse_frame(data: bytes) -> list[Tick]:
    """Decode one binary ticker message into ticks (`instrument_key` = the instrument token).

    A heartbeat (1 byte) gives no ticks. A frame that is cut short or holds a packet of a
    length Kite does not send raises `DataError` naming where and what; the caller logs it and
    carries on with the next frame.
    """
    size = len(data)
    if size < 2:
        return []
    count = _HEAD.unpack_from(data, 0)[0]
    ticks: list[Tick] = []
    append = ticks.append
    offset = 2
    for index in range(count):
        if offset + 2 > size:
            raise DataError(
                f"ticker frame cut short: packet {index + 1} of {count} has no length at "
                f"byte {offset} (frame is {size} bytes)"
            )
        length = _HEAD.unpack_from(data, offset)[0]
        start = offset + 2
        offset = start + length
        if offset > size:
            raise DataError(
                f"ticker frame cut short: packet {index + 1} of {count} at byte {start} needs "
                f"{length} bytes, {size - start} left"
            )
        if length == FULL_LENGTH:
            append(_full(data, start))
        elif length == QUOTE_LENGTH:
            append(_quote(data, start))
        elif length == LTP_LENGTH:
            append(_ltp(data, start))
        elif length in (INDEX_QUOTE_LENGTH, INDEX_FULL_LENGTH):
            append(_index(data, start, length))
        else:
            raise DataError(
                f"ticker packet {index + 1} of {count} at byte {start} is {length} bytes; Kite "
                "sends 8, 28, 32, 44 or 184"
            )
    return ticks


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A JSON text message of the ticker: "order" (an order update), "error" or "message"."""

    type: str
    data: Any


def parse_text(message: str | bytes) -> TextMessage:
    """Decode a text message; `DataError` when it is not the JSON object Kite sends."""
    try:
        payload = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"ticker text message is not JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise DataError("ticker text message has no 'type'")
    return TextMessage(payload["type"], payload.get("data"))
