"""How many updates per second each indicator sustains in a plain Python loop.

A backtest feeds every indicator once per bar, so this is the per-bar cost a strategy pays for
each indicator it keeps. Run: `.venv/bin/python bench/indicators.py [--bars N]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from scalpbot.indicators import (
    ATR,
    EMA,
    RSI,
    SMA,
    VWAP,
    BollingerBands,
    Donchian,
    SuperTrend,
)

NS_PER_MINUTE = 60 * 1_000_000_000


def make_bars(n: int) -> tuple[list[float], list[float], list[float], list[float], list[int]]:
    """A random walk of one-minute bars near 22 000 (an index level), as plain Python lists."""
    rng = np.random.default_rng(0)
    close = 22_000.0 + np.cumsum(rng.normal(0.0, 5.0, n))
    high = close + rng.uniform(0.0, 10.0, n)
    low = close - rng.uniform(0.0, 10.0, n)
    volume = rng.integers(1, 10_000, n).astype(float)
    start = 1_704_080_700 * 1_000_000_000  # 2024-01-01 09:15 IST
    ts = [start + i * NS_PER_MINUTE for i in range(n)]
    return high.tolist(), low.tolist(), close.tolist(), volume.tolist(), ts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000, help="updates per indicator")
    args = parser.parse_args()
    high, low, close, volume, ts = make_bars(args.bars)

    def closes(indicator: SMA | EMA | RSI | BollingerBands) -> Callable[[], None]:
        def loop() -> None:
            update = indicator.update
            for c in close:
                update(c)

        return loop

    def hlc(indicator: ATR | SuperTrend) -> Callable[[], None]:
        def loop() -> None:
            update = indicator.update
            for h, lo, c in zip(high, low, close, strict=True):
                update(h, lo, c)

        return loop

    def donchian(indicator: Donchian) -> Callable[[], None]:
        def loop() -> None:
            update = indicator.update
            for h, lo in zip(high, low, strict=True):
                update(h, lo)

        return loop

    def vwap(indicator: VWAP) -> Callable[[], None]:
        def loop() -> None:
            update = indicator.update
            for c, v, t in zip(close, volume, ts, strict=True):
                update(c, v, t)

        return loop

    def baseline() -> None:
        for _bar in zip(high, low, close, strict=True):
            pass

    cases: list[tuple[str, Callable[[], None]]] = [
        ("empty loop over (h, l, c)", baseline),
        ("SMA(20)", closes(SMA(20))),
        ("EMA(20)", closes(EMA(20))),
        ("RSI(14)", closes(RSI(14))),
        ("ATR(14)", hlc(ATR(14))),
        ("VWAP", vwap(VWAP())),
        ("BollingerBands(20, 2)", closes(BollingerBands(20, 2.0))),
        ("Donchian(20)", donchian(Donchian(20))),
        ("SuperTrend(10, 3)", hlc(SuperTrend(10, 3.0))),
    ]
    print(f"{args.bars:,} updates each")
    for name, loop in cases:
        started = time.perf_counter()
        loop()
        elapsed = time.perf_counter() - started
        print(f"{name:<28} {args.bars / elapsed / 1e6:6.2f} M updates/s  {elapsed:6.3f} s")


if __name__ == "__main__":
    main()
