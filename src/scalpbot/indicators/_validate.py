"""Constructor checks shared by every indicator.

Indicators are pure maths and may not import `scalpbot.domain`, so a bad argument raises the
built-in `ValueError`; the message names the argument so a strategy's parameter error is easy to
trace. Checks run once, in `__init__`, never in the per-bar `update`.
"""

from __future__ import annotations

import math
import numbers

#: Running sums of a sliding window are recomputed exactly (with `math.fsum`) at least this
#: often, so rounding error cannot accumulate over a million-bar backtest. The cost is amortised:
#: one pass over the window every `max(period, RESYNC_EVERY)` updates, i.e. at most one extra
#: addition per update.
RESYNC_EVERY = 1024


def require_period(value: object, name: str = "period") -> int:
    """Return `value` as an int >= 1, or raise ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def require_positive(value: object, name: str) -> float:
    """Return `value` as a finite float > 0, or raise ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number
