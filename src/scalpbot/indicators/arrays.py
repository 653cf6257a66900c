"""Whole-array twins of the incremental moving averages, equal to them bit for bit.

A parameter sweep needs the same average over the same million prices for many trials; these
compute it once per window as an array. They are not a second definition of an average: each
reproduces the exact float operations of its incremental class (`SMA`, `EMA`), in the same
order, so reading element t gives the very float `update` returned on the t-th price. That is
what lets a sweep decide crossings, ties included, exactly as a backtest does
(tests/test_sweep_parity.py compares them on random and on tie-heavy integer prices).

NaN stands where `update` returned None (the warm-up).

    >>> sma_values(np.array([1.0, 2.0, 3.0, 4.0]), 3).tolist()
    [nan, nan, 2.0, 3.0]
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from scalpbot.indicators._validate import RESYNC_EVERY, require_period
from scalpbot.indicators.moving_average import EMA

__all__ = ["ema_values", "sma_values"]

FloatArray = npt.NDArray[np.float64]


def sma_values(prices: FloatArray, period: int) -> FloatArray:
    """`SMA(period).update(p)` for every p of `prices`, vectorised.

    `SMA` keeps a running sum: `sum += price - leaving` (the leaving price is 0.0 during the
    warm-up), replaced by `math.fsum` of the window every `max(period, RESYNC_EVERY)` updates
    after the warm-up. Between two such resyncs the sum is a plain left-to-right accumulation,
    which is what `np.cumsum` computes (an accumulation, unlike a reduction, is never summed
    pairwise), so each stretch from one resync to the next is one row of a cumulative sum
    that starts from the resynced value.
    """
    n = require_period(period)
    x = np.ascontiguousarray(prices, dtype=np.float64)
    size = x.shape[0]
    out = np.full(size, np.nan)
    if size < n:
        return out
    step = x.copy()
    step[n:] = x[n:] - x[:-n]  # the price in minus the one leaving the window
    sums = np.empty(size)
    every = max(n, RESYNC_EVERY)
    first = n - 1 + every  # the first resync: `every` updates after the warm-up's (bar n - 1)
    head = min(first, size)
    np.cumsum(step[:head], out=sums[:head])
    if size > first:
        starts = np.arange(first, size, every)
        seeds = [math.fsum(x[s - n + 1 : s + 1].tolist()) for s in starts.tolist()]
        step[starts] = seeds
        rows = (size - first) // every
        whole = first + rows * every
        if rows:
            block = step[first:whole].reshape(rows, every)
            sums[first:whole] = np.cumsum(block, axis=1).reshape(-1)
        if whole < size:
            np.cumsum(step[whole:], out=sums[whole:])
    np.divide(sums[n - 1 :], n, out=out[n - 1 :])
    return out


def ema_values(prices: FloatArray, period: int) -> FloatArray:
    """`EMA(period).update(p)` for every p of `prices`.

    Each EMA step depends on the last through a rounding, so no array formula reproduces it
    exactly; this runs the incremental `EMA` itself over the prices (about 0.2 s a million),
    which is still once per window rather than once per trial.
    """
    ema = EMA(period)
    update = ema.update
    values = [update(p) for p in np.asarray(prices, dtype=np.float64).tolist()]
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)
