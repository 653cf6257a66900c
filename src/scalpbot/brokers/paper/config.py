"""How pessimistic the simulated exchange is: slippage, latency and a volume cap.

Defaults are the plain textbook fills (no slippage, no latency, unlimited liquidity) so a
backtest of a strategy is reproducible by hand; a user who wants realism turns the knobs up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scalpbot.domain.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PaperConfig:
    """Settings of a `PaperExchange`.

    - `slippage_ticks`: MARKET and SL-M fills are worsened by this many ticks of the
      instrument (a buy pays more, a sell gets less). Limit prices are never worsened.
    - `latency_ns`: an order submitted at `t` may match only from `t + latency_ns` (bar mode:
      on bars with `ts > t` and `ts >= t + latency_ns`; tick mode: on ticks with
      `ts >= t + latency_ns`).
    - `partial_fill_volume_fraction`: in bar mode, all fills on one bar together take at most
      this fraction of the bar's volume (rounded down to whole lots); the rest keeps resting
      and the order shows PARTIALLY_FILLED. `None` means unlimited liquidity. Bars with no
      volume figure (volume <= 0, common in CSV data) are not capped.
    """

    slippage_ticks: int = 0
    latency_ns: int = 0
    partial_fill_volume_fraction: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.slippage_ticks, bool) or not isinstance(self.slippage_ticks, int):
            raise ConfigError(
                f"paper slippage_ticks must be an integer, got {self.slippage_ticks!r}"
            )
        if self.slippage_ticks < 0:
            raise ConfigError(f"paper slippage_ticks must be >= 0, got {self.slippage_ticks}")
        if isinstance(self.latency_ns, bool) or not isinstance(self.latency_ns, int):
            raise ConfigError(f"paper latency_ns must be an integer, got {self.latency_ns!r}")
        if self.latency_ns < 0:
            raise ConfigError(f"paper latency_ns must be >= 0, got {self.latency_ns}")
        fraction = self.partial_fill_volume_fraction
        if fraction is not None and (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not math.isfinite(fraction)
            or not 0 < fraction <= 1
        ):
            raise ConfigError(
                "paper partial_fill_volume_fraction must be a number in (0, 1] or None, "
                f"got {fraction!r}"
            )
