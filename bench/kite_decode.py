"""Decoding Kite's binary ticker frames: scalpbot's `parse_frame` against the official client.

Both parsers decode the same full-mode frames of 100 packets (184 bytes each: quote, open
interest, timestamps and five levels of depth each side) built by the sandbox's encoder, in one
run and alternating rounds, so load on the machine falls on both alike. Before timing, every
field of every packet is checked to decode to the same values in both.

scalpbot decodes the depth lazily (when `tick.depth` is first read), because most strategies
never read it; so two figures are printed: decoding only, and decoding plus reading every
tick's depth, the fair comparison with the official parser, which always builds it.

    .venv/bin/python bench/kite_decode.py [--frames N] [--rounds N]

Target: at least 5x the official parser's ticks per second.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from kiteconnect import KiteTicker

from scalpbot.brokers.zerodha.ticker import parse_frame
from scalpbot.domain import QuoteTick
from scalpbot.sandbox.zerodha.frames import encode_frame, full_packet

PACKETS_PER_FRAME = 100
TARGET = 5.0
SEGMENTS = (1, 1, 1, 1, 2, 2, 3, 4, 5, 7)  # mostly NSE, some F&O, CDS, BSE, MCX


def build_frames(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    frames = []
    for _ in range(count):
        packets = []
        for _ in range(PACKETS_PER_FRAME):
            token = (rng.randint(1, 2**23) << 8) | rng.choice(SEGMENTS)
            ltp = rng.randint(1_000, 5_000_000)
            packets.append(
                full_packet(
                    token,
                    ltp=ltp,
                    last_qty=rng.randint(1, 500),
                    avg=ltp - rng.randint(0, 500),
                    volume=rng.randint(0, 10**8),
                    buy_qty=rng.randint(0, 10**6),
                    sell_qty=rng.randint(0, 10**6),
                    open=ltp - 100,
                    high=ltp + 300,
                    low=ltp - 400,
                    close=ltp - 50,
                    last_trade_time=1_764_000_000 + rng.randint(0, 20_000),
                    oi=rng.randint(0, 10**7),
                    oi_high=10**7,
                    oi_low=0,
                    exchange_ts=1_764_000_000 + rng.randint(0, 20_000),
                    depth_buy=[
                        (rng.randint(1, 999), ltp - 5 * i, rng.randint(1, 50)) for i in range(5)
                    ],
                    depth_sell=[
                        (rng.randint(1, 999), ltp + 5 * i, rng.randint(1, 50)) for i in range(5)
                    ],
                )
            )
        frames.append(encode_frame(packets))
    return frames


def check_same(frames: list[bytes], official: Callable[[bytes], list[dict[str, Any]]]) -> None:
    for frame in frames:
        for ours, theirs in zip(parse_frame(frame), official(frame), strict=True):
            assert isinstance(ours, QuoteTick)
            depth = theirs["depth"]["buy"] + theirs["depth"]["sell"]
            ohlc = theirs["ohlc"]
            same = (
                int(ours.instrument_key) == theirs["instrument_token"]
                and ours.last_price == theirs["last_price"]
                and ours.last_qty == theirs["last_traded_quantity"]
                and ours.average_price == theirs["average_traded_price"]
                and ours.volume == theirs["volume_traded"]
                and ours.buy_quantity == theirs["total_buy_quantity"]
                and ours.sell_quantity == theirs["total_sell_quantity"]
                and ours.ohlc == (ohlc["open"], ohlc["high"], ohlc["low"], ohlc["close"])
                and ours.oi == theirs["oi"]
                and ours.oi_day_high == theirs["oi_day_high"]
                and ours.oi_day_low == theirs["oi_day_low"]
                and ours.ts // 10**9 == int(theirs["exchange_timestamp"].timestamp())
                and ours.last_trade_ts // 10**9 == int(theirs["last_trade_time"].timestamp())
                and list(ours.depth) == [(d["price"], d["quantity"], d["orders"]) for d in depth]
            )
            if not same:
                raise SystemExit(f"decoders disagree on token {theirs['instrument_token']}")


def rate(decode: Callable[[bytes], Any], frames: list[bytes]) -> float:
    start = time.perf_counter()
    for frame in frames:
        decode(frame)
    return len(frames) * PACKETS_PER_FRAME / (time.perf_counter() - start)


def decode_and_read_depth(frame: bytes) -> None:
    for tick in parse_frame(frame):
        tick.depth  # type: ignore[attr-defined]  # noqa: B018  (reading is the point)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=2_000, help="frames per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    official = KiteTicker("bench", "bench")._parse_binary  # decodes only; never connects
    frames = build_frames(args.frames)
    check_same(frames[:50], official)
    ours_only, ours_depth, theirs = [], [], []
    for _ in range(args.rounds):
        ours_only.append(rate(parse_frame, frames))
        ours_depth.append(rate(decode_and_read_depth, frames))
        theirs.append(rate(official, frames))
    best = max(ours_only), max(ours_depth), max(theirs)
    print(f"frames: {args.frames} x {PACKETS_PER_FRAME} full-mode packets, best of {args.rounds}")
    print(f"kiteconnect {version('kiteconnect')} _parse_binary: {best[2]:>12,.0f} ticks/s")
    print(f"scalpbot parse_frame:              {best[0]:>12,.0f} ticks/s  {best[0] / best[2]:.1f}x")
    print(f"scalpbot parse_frame + depth read: {best[1]:>12,.0f} ticks/s  {best[1] / best[2]:.1f}x")
    verdict = "met" if best[1] / best[2] >= TARGET else "MISSED"
    print(f"target >= {TARGET:.0f}x (with depth read): {verdict}")


if __name__ == "__main__":
    main()
