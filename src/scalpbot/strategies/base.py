"""The `Strategy` base class and the context a strategy trades through.

A strategy is plain Python: it sees bars (and ticks, live), keeps its own indicators and calls
`self.ctx.buy(...)`, `sell`, `close` or `cancel`. The same object runs unchanged in a backtest,
a paper session and live: the context hides which, and the engine behind it applies risk
checks, sizing and managed exits in all three.

    class MyStrategy(Strategy):
        name = "my_strategy"
        period = IntParam(20, low=2, high=200, doc="lookback in bars")

        def on_start(self) -> None:
            self.sma = SMA(self.period)

        def on_bar(self, bar: Bar) -> None:
            mean = self.sma.update(bar.close)
            if mean is not None and bar.close > mean and self.ctx.position.is_flat:
                self.ctx.buy(stop_loss=pct(1), target=pct(2))
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from scalpbot.domain import Bar, ConfigError, Fill, Instrument, Order, Position, Tick
from scalpbot.strategies.exits import ExitLike
from scalpbot.strategies.params import Param
from scalpbot.strategies.search import SearchRange


class StrategyContext(Protocol):
    """What a strategy may do and see; implemented by the engine."""

    @property
    def instrument(self) -> Instrument: ...

    @property
    def position(self) -> Position: ...

    @property
    def now(self) -> datetime: ...

    @property
    def now_ns(self) -> int: ...

    @property
    def last_price(self) -> float | None: ...

    @property
    def open_orders(self) -> list[Order]: ...

    def buy(
        self,
        quantity: int | None = None,
        *,
        price: float | Decimal | None = None,
        trigger_price: float | Decimal | None = None,
        stop_loss: ExitLike | None = None,
        target: ExitLike | None = None,
        trailing_stop: ExitLike | None = None,
    ) -> Order | None: ...

    def sell(
        self,
        quantity: int | None = None,
        *,
        price: float | Decimal | None = None,
        trigger_price: float | Decimal | None = None,
        stop_loss: ExitLike | None = None,
        target: ExitLike | None = None,
        trailing_stop: ExitLike | None = None,
    ) -> Order | None: ...

    def close(self) -> Order | None: ...

    def cancel(self, order: Order) -> None: ...

    def cancel_all(self) -> None: ...

    def log(self, message: str) -> None: ...


class Strategy:
    """Base class of every strategy; override the `on_*` hooks you need."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    search_space: ClassVar[Mapping[str, SearchRange]] = {}
    """Parameter name → the values `scalpbot optimize` tries when given no `--space`."""
    ctx: StrategyContext

    def __init__(self, **params: Any) -> None:
        declared = self.declared_params()
        unknown = sorted(set(params) - set(declared))
        if unknown:
            allowed = ", ".join(declared) or "none"
            raise ConfigError(
                f"strategy {self.strategy_name()!r} has no parameter {', '.join(unknown)}; "
                f"its parameters: {allowed}"
            )
        values = {name: spec.default for name, spec in declared.items()}
        for name, raw in params.items():
            values[name] = declared[name].parse(raw)
        self._params = values
        self.validate()

    @classmethod
    def strategy_name(cls) -> str:
        return cls.name or cls.__name__

    @classmethod
    def declared_params(cls) -> dict[str, Param]:
        found: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, Param):
                    found[attr] = value
        return found

    @classmethod
    def param_schema(cls) -> list[dict[str, Any]]:
        return [spec.schema() for spec in cls.declared_params().values()]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def validate(self) -> None:
        """Check relations between parameters (e.g. fast < slow); raise ConfigError."""

    # -- hooks ---------------------------------------------------------------------------------
    def on_start(self) -> None:
        """Called once before the first bar; build indicators here."""

    def on_bar(self, bar: Bar) -> None:
        """Called for every completed bar of the strategy's instrument."""

    def on_tick(self, tick: Tick) -> None:
        """Called for every tick (live and paper sessions on tick data)."""

    def on_order(self, order: Order) -> None:
        """Called when one of this strategy's orders changes status."""

    def on_fill(self, fill: Fill) -> None:
        """Called when one of this strategy's orders (entry or managed exit) fills."""

    def on_stop(self) -> None:
        """Called once when the session stops."""
