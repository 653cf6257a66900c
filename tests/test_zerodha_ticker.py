"""`parse_frame` decodes Kite's binary ticker frames exactly as Zerodha's own client does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kiteconnect import KiteTicker

from scalpbot.brokers.zerodha.ticker import parse_frame, parse_text
from scalpbot.domain import DataError, QuoteTick
from scalpbot.sandbox.zerodha.frames import (
    HEARTBEAT,
    encode_frame,
    full_packet,
    index_packet,
    ltp_packet,
    quote_packet,
)

OFFICIAL = KiteTicker("test", "test")._parse_binary
SEGMENTS = [1, 2, 3, 4, 5, 6, 7, 8, 12]
i32 = st.integers(min_value=0, max_value=2**31 - 1)
stamp = st.integers(min_value=1_600_000_000, max_value=1_900_000_000)
token = st.builds(lambda n, s: (n << 8) | s, st.integers(1, 2**23), st.sampled_from(SEGMENTS))
level = st.tuples(i32, i32, st.integers(0, 65535))


def _ohlc(theirs: dict[str, Any]) -> tuple[float, float, float, float]:
    o = theirs["ohlc"]
    return (o["open"], o["high"], o["low"], o["close"])


@st.composite
def full_packets(draw: st.DrawFn) -> bytes:
    return full_packet(
        draw(token),
        ltp=draw(i32), last_qty=draw(i32), avg=draw(i32), volume=draw(i32),
        buy_qty=draw(i32), sell_qty=draw(i32), open=draw(i32), high=draw(i32),
        low=draw(i32), close=draw(i32), last_trade_time=draw(stamp), oi=draw(i32),
        oi_high=draw(i32), oi_low=draw(i32), exchange_ts=draw(stamp),
        depth_buy=draw(st.lists(level, min_size=5, max_size=5)),
        depth_sell=draw(st.lists(level, min_size=5, max_size=5)),
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(full_packets(), min_size=1, max_size=20))
def test_full_packets_decode_as_the_official_client_does(packets: list[bytes]) -> None:
    frame = encode_frame(packets)
    for ours, theirs in zip(parse_frame(frame), OFFICIAL(frame), strict=True):
        assert isinstance(ours, QuoteTick)
        assert int(ours.instrument_key) == theirs["instrument_token"]
        assert ours.last_price == theirs["last_price"]
        assert ours.last_qty == theirs["last_traded_quantity"]
        assert ours.average_price == theirs["average_traded_price"]
        assert ours.volume == theirs["volume_traded"]
        assert ours.buy_quantity == theirs["total_buy_quantity"]
        assert ours.sell_quantity == theirs["total_sell_quantity"]
        assert ours.ohlc == _ohlc(theirs)
        assert (ours.oi, ours.oi_day_high, ours.oi_day_low) == (
            theirs["oi"],
            theirs["oi_day_high"],
            theirs["oi_day_low"],
        )
        assert ours.ts // 10**9 == int(theirs["exchange_timestamp"].timestamp())
        assert ours.last_trade_ts // 10**9 == int(theirs["last_trade_time"].timestamp())
        levels = theirs["depth"]["buy"] + theirs["depth"]["sell"]
        assert list(ours.depth) == [(d["price"], d["quantity"], d["orders"]) for d in levels]
        best_bid, best_ask = levels[0], levels[5]
        assert ours.bid == (best_bid["price"] if best_bid["quantity"] else None)
        assert ours.ask == (best_ask["price"] if best_ask["quantity"] else None)


@settings(max_examples=100, deadline=None)
@given(token, i32, i32, i32, i32, i32, i32, i32, st.one_of(st.none(), stamp))
def test_ltp_quote_and_index_packets_decode_as_the_official_client_does(
    tok: int, a: int, b: int, c: int, d: int, e: int, f: int, g: int, ts: int | None
) -> None:
    index_token = (tok & ~0xFF) | 9
    frame = encode_frame(
        [
            ltp_packet(tok, a),
            quote_packet(tok, ltp=a, last_qty=b, avg=c, volume=d, buy_qty=e, sell_qty=f,
                         open=g, high=a, low=b, close=c),
            index_packet(index_token, ltp=a, high=b, low=c, open=d, close=e, change=f,
                         exchange_ts=ts),
        ]
    )  # fmt: skip
    ltp, quote, index = parse_frame(frame)
    o_ltp, o_quote, o_index = OFFICIAL(frame)
    assert ltp.last_price == o_ltp["last_price"] and int(ltp.instrument_key) == tok
    assert isinstance(quote, QuoteTick) and isinstance(index, QuoteTick)
    assert quote.last_price == o_quote["last_price"] and quote.volume == o_quote["volume_traded"]
    assert quote.ohlc == _ohlc(o_quote)
    assert quote.average_price == o_quote["average_traded_price"]
    assert index.last_price == o_index["last_price"] and index.ohlc == _ohlc(o_index)
    if ts is not None:
        assert index.ts // 10**9 == int(o_index["exchange_timestamp"].timestamp())


def test_prices_use_each_segments_divisor() -> None:
    nse, cds, bcd = (1 << 8) | 1, (2 << 8) | 3, (3 << 8) | 6
    ticks = parse_frame(
        encode_frame([ltp_packet(nse, 250005), ltp_packet(cds, 832512500), ltp_packet(bcd, 832525)])
    )
    assert [t.last_price for t in ticks] == [2500.05, 83.25125, 83.2525]


def test_a_heartbeat_has_no_ticks() -> None:
    assert parse_frame(HEARTBEAT) == []
    assert parse_frame(b"") == []


def test_a_cut_short_frame_names_where() -> None:
    frame = encode_frame([ltp_packet(257, 100), ltp_packet(513, 200)])
    with pytest.raises(DataError, match=r"packet 2 of 2 .* needs 8 bytes, 4 left"):
        parse_frame(frame[:-4])
    with pytest.raises(DataError, match="has no length"):
        parse_frame(frame[:12])


def test_an_unknown_packet_length_is_refused() -> None:
    with pytest.raises(DataError, match="is 12 bytes; Kite sends 8, 28, 32, 44 or 184"):
        parse_frame(encode_frame([b"\x00" * 12]))


def test_text_messages() -> None:
    message = parse_text('{"type": "order", "data": {"order_id": "1"}}')
    assert message.type == "order" and message.data == {"order_id": "1"}
    with pytest.raises(DataError, match="not JSON"):
        parse_text("{nope")
    with pytest.raises(DataError, match="no 'type'"):
        parse_text("[1, 2]")
