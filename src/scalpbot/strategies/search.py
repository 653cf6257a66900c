"""Search ranges: the values an optimiser tries for a parameter when the user names none.

A `Param`'s `low`/`high` are *validation* bounds (what the strategy accepts at all, e.g. a fast
average of 1..500 bars); sweeping all of them would be millions of backtests. A strategy states
the neighbourhood worth searching separately, as a class attribute:

    class MACross(Strategy):
        fast = IntParam(10, low=1, high=500)
        slow = IntParam(30, low=2, high=2000)
        search_space = {"fast": SearchRange(5, 30, 5), "slow": SearchRange(20, 100, 10)}

`scalpbot optimize` parses `--space fast=5..30:5` into the same type, so there is one way a
range becomes values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from scalpbot.domain import ConfigError

__all__ = ["MAX_VALUES", "SearchRange", "SearchValue"]

SearchValue = int | float | str | bool
"""One candidate value of a parameter, before the strategy's `Param` parses it."""

MAX_VALUES: Final = 100_000
"""A range with more values than this is almost surely a typo (a step of 0.0001)."""


@dataclass(frozen=True, slots=True)
class SearchRange:
    """Either the arithmetic range `low, low+step, …, <= high`, or explicit `choices`.

    Integer bounds and step give ints; any decimal gives floats computed in `Decimal`, so
    `0.1..0.3:0.1` is exactly `0.1, 0.2, 0.3` (binary floats would drift and drop the 0.3).
    """

    low: int | float | None = None
    high: int | float | None = None
    step: int | float = 1
    choices: tuple[SearchValue, ...] = ()

    def __post_init__(self) -> None:
        if self.choices:
            if self.low is not None or self.high is not None:
                raise ConfigError("a search range has either low/high or choices, not both")
            return
        if self.low is None or self.high is None:
            raise ConfigError("a search range needs low and high (or choices)")
        for label, value in (("low", self.low), ("high", self.high), ("step", self.step)):
            if isinstance(value, bool) or not _exact(value).is_finite():
                raise ConfigError(f"search range {label} must be a finite number, got {value!r}")
        if self.step <= 0:
            raise ConfigError(f"search range step must be positive, got {self.step}")
        if self.low > self.high:
            raise ConfigError(f"search range low {self.low} is above high {self.high}")
        count = int((_exact(self.high) - _exact(self.low)) // _exact(self.step)) + 1
        if count > MAX_VALUES:
            raise ConfigError(
                f"search range {self.low}..{self.high}:{self.step} has {count:,} values; "
                f"at most {MAX_VALUES:,} per parameter: use a larger step"
            )

    @property
    def is_range(self) -> bool:
        return not self.choices

    def values(self) -> tuple[SearchValue, ...]:
        """The candidates, in order, without duplicates."""
        if self.choices:
            return tuple(dict.fromkeys(self.choices))
        assert self.low is not None and self.high is not None
        if all(isinstance(v, int) for v in (self.low, self.high, self.step)):
            return tuple(range(int(self.low), int(self.high) + 1, int(self.step)))
        low, high, step = _exact(self.low), _exact(self.high), _exact(self.step)
        count = int((high - low) // step) + 1
        return tuple(float(low + i * step) for i in range(count))

    def describe(self) -> str:
        """The range as `--space` text (`5..30:5` or `sma,ema`), for messages and study names."""
        if self.choices:
            return ",".join(str(choice) for choice in self.choices)
        return f"{self.low}..{self.high}:{self.step}"


def _exact(value: int | float) -> Decimal:
    """The number as written: `Decimal(repr(0.1))` is 0.1, `Decimal(0.1)` is not."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
