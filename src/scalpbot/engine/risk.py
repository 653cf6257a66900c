"""The pre-trade risk manager: every order passes `RiskManager.check` before it is sent.

A refusal is a `RiskRejection` with a short machine code ("daily_loss_limit") and a sentence a
person can act on; the engine publishes it, so the dashboard and alerts say *which* rule
stopped a trade rather than that "an order failed".

Entries and exits are treated differently on purpose. An order that only reduces the position
it faces (opposite side, quantity no larger than what is held) is an EXIT: halts, loss limits,
the circuit breaker, the position cap, size limits and the square-off cut-off never block it,
because a bot that cannot get out is the most dangerous bot. Exits still obey the exchange's
own rules (market hours, the price band, the order rate), which the exchange would enforce
anyway.

The daily loss limit latches: once it refuses an entry, entries stay refused until
`start_day`, even if open positions recover meanwhile, because a day that hit its loss limit
is over for a disciplined trader. The drawdown limit needs no latch (the peak only rises).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Protocol

from scalpbot.domain import ConfigError, Instrument, Order, Product, ns_to_datetime
from scalpbot.engine.circuit_breaker import CircuitBreaker
from scalpbot.engine.rate_limit import SlidingWindowLimiter
from scalpbot.engine.risk_settings import RiskSettings, RiskSettingsError
from scalpbot.engine.session_rules import SessionRule, after_square_off_at, market_open_at
from scalpbot.market.ticks import to_decimal


class PortfolioView(Protocol):
    """What the risk manager reads from the portfolio (the engine's `Portfolio` provides it)."""

    def position_quantity(self, instrument_key: str) -> int: ...

    def open_position_count(self) -> int: ...

    def equity(self) -> Decimal: ...

    @property
    def day_start_equity(self) -> Decimal: ...

    @property
    def peak_equity(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class RiskRejection:
    """Why an order was refused: `code` names the rule, `message` explains it to a person."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class RiskManager:
    """Checks orders against `settings` and keeps the halt and circuit-breaker state.

    `is_market_open` and `is_after_square_off` take (instrument, epoch ns); they default to
    `market_open_at` and `after_square_off_at` and are injectable so the runtime can pass a
    calendar it trusts and tests can fix the answer.
    """

    def __init__(
        self,
        settings: RiskSettings,
        portfolio: PortfolioView,
        *,
        is_market_open: SessionRule | None = None,
        is_after_square_off: SessionRule | None = None,
        working_keys: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        # Instruments with a working order: an entry waiting to fill will be a position, so
        # the open-positions cap counts it (else three market entries in one bar all pass).
        self._working_keys = working_keys
        if not isinstance(settings, RiskSettings):
            raise RiskSettingsError(
                f"risk settings must be RiskSettings, got {type(settings).__name__}"
            )
        self._settings = settings
        self.portfolio = portfolio
        self._is_market_open = is_market_open or market_open_at
        self._is_after_square_off = is_after_square_off or after_square_off_at
        self._limiter = SlidingWindowLimiter(settings.max_orders_per_second)
        self._manual_halt: str | None = None
        self._breaker = CircuitBreaker(settings.max_consecutive_losses)
        self._day_stop: RiskRejection | None = None
        self._last_check_ns = 0

    # -- settings -----------------------------------------------------------------------------
    @property
    def settings(self) -> RiskSettings:
        return self._settings

    def update_settings(self, new: RiskSettings) -> None:
        """Replace the limits mid-session. Orders already counted by the rate limiter stay
        counted; a latched daily-loss stop is re-judged by the new limits at the next check;
        a tripped circuit breaker is lifted if the new limit no longer covers the loss run."""
        if not isinstance(new, RiskSettings):
            raise RiskSettingsError(f"risk settings must be RiskSettings, got {type(new).__name__}")
        self._settings = new
        self._limiter.limit = new.max_orders_per_second
        self._day_stop = None
        self._breaker.set_limit(new.max_consecutive_losses)

    # -- the check ----------------------------------------------------------------------------
    def is_exit(self, order: Order) -> bool:
        """True if `order` only reduces the position it faces (see the module docstring)."""
        held = self.portfolio.position_quantity(order.instrument.key)
        return held != 0 and (held > 0) != (order.side.sign > 0) and order.quantity <= abs(held)

    def check(self, order: Order, now_ns: int, last_price: Decimal | None) -> RiskRejection | None:
        """None if `order` may be sent now (and it is then counted by the rate limiter), else
        the first rule it breaks. `last_price` values MARKET orders and anchors the price band.
        """
        self._last_check_ns = now_ns
        settings = self._settings
        if settings.enforce_market_hours:
            refusal = self._check_market_open(order.instrument, now_ns)
            if refusal is not None:
                return refusal
        exiting = self.is_exit(order)
        if not exiting:
            refusal = self._check_entry(order, now_ns, last_price)
            if refusal is not None:
                return refusal
        refusal = self._check_price_band(order, last_price, exiting)
        if refusal is not None:
            return refusal
        exchange = order.instrument.exchange.value
        if not self._limiter.allows(exchange, now_ns):
            sent = self._limiter.count(exchange, now_ns)
            return RiskRejection(
                "order_rate",
                f"order rate limit reached on {exchange}: {sent} orders in the last second "
                f"(limit {self._limiter.limit} per second); try again shortly",
            )
        self._limiter.record(exchange, now_ns)
        return None

    def _check_market_open(self, instrument: Instrument, now_ns: int) -> RiskRejection | None:
        try:
            is_open = self._is_market_open(instrument, now_ns)
        except ConfigError as exc:
            return RiskRejection(
                "market_calendar",
                f"cannot tell whether {instrument.exchange} is open at {_stamp(now_ns)}: {exc}",
            )
        if is_open:
            return None
        return RiskRejection(
            "market_closed",
            f"{instrument.exchange} is not in its normal session at {_stamp(now_ns)}; "
            f"order for {instrument.key} not sent",
        )

    def _check_entry(
        self, order: Order, now_ns: int, last_price: Decimal | None
    ) -> RiskRejection | None:
        settings = self._settings
        if self._manual_halt is not None:
            return RiskRejection(
                "halted", f"new entries are halted ({self._manual_halt}); resume to trade again"
            )
        if self._breaker.tripped:
            return RiskRejection("circuit_breaker", self._breaker.describe() + "; no new entries")
        if settings.enforce_square_off and order.product is Product.MIS:
            refusal = self._check_square_off(order.instrument, now_ns)
            if refusal is not None:
                return refusal
        refusal = self._check_losses()
        if refusal is not None:
            return refusal
        key = order.instrument.key
        cap = settings.max_open_positions
        if cap is not None and self.portfolio.position_quantity(key) == 0:
            count = self.portfolio.open_position_count()
            if self._working_keys is not None:
                held = self.portfolio.position_quantity
                count += len({k for k in self._working_keys() if k != key and held(k) == 0})
            if count >= cap:
                return RiskRejection(
                    "max_open_positions", f"max open positions reached: {count} of {cap}"
                )
        max_quantity = settings.max_order_quantity
        if max_quantity is not None and order.quantity > max_quantity:
            return RiskRejection(
                "max_order_quantity",
                f"order quantity {order.quantity} exceeds the limit of {max_quantity}",
            )
        return self._check_order_value(order, last_price)

    def _check_square_off(self, instrument: Instrument, now_ns: int) -> RiskRejection | None:
        try:
            after = self._is_after_square_off(instrument, now_ns)
        except ConfigError as exc:
            return RiskRejection(
                "market_calendar",
                f"cannot tell the square-off time of {instrument.key} at {_stamp(now_ns)}: {exc}",
            )
        if not after:
            return None
        return RiskRejection(
            "after_square_off",
            f"no new MIS entries at or after the square-off time ({instrument.key}, "
            f"{_stamp(now_ns)})",
        )

    def _check_losses(self) -> RiskRejection | None:
        if self._day_stop is not None:
            return self._day_stop
        loss_limits = self._daily_loss_limits()
        drawdown_limit = self._settings.max_drawdown_pct
        if not loss_limits and drawdown_limit is None:
            return None
        equity = self.portfolio.equity()
        day_pnl = equity - self.portfolio.day_start_equity
        for code, limit, note in loss_limits:
            if day_pnl <= -limit:
                self._day_stop = RiskRejection(
                    code,
                    f"daily loss limit reached: today's P&L {day_pnl:.2f} is at or below "
                    f"-{limit:.2f}{note}; no new entries until the next trading day",
                )
                return self._day_stop
        if drawdown_limit is not None:
            peak = max(self.portfolio.peak_equity, equity)
            if peak > 0 and (peak - equity) * 100 >= peak * to_decimal(drawdown_limit):
                drawdown = (peak - equity) * 100 / peak
                return RiskRejection(
                    "max_drawdown",
                    f"max drawdown reached: equity {equity:.2f} is {drawdown:.2f}% below its "
                    f"peak {peak:.2f} (limit {drawdown_limit}%); no new entries",
                )
        return None

    def _daily_loss_limits(self) -> list[tuple[str, Decimal, str]]:
        """(code, rupees, note) of each daily loss limit that is on."""
        settings = self._settings
        limits = []
        if settings.daily_loss_limit is not None:
            limits.append(("daily_loss_limit", settings.daily_loss_limit, ""))
        pct = settings.daily_loss_limit_pct
        if pct is not None:
            amount = settings.capital * to_decimal(pct) / 100
            limits.append(("daily_loss_limit_pct", amount, f" ({pct}% of capital)"))
        return limits

    def _check_order_value(self, order: Order, last_price: Decimal | None) -> RiskRejection | None:
        limit = self._settings.max_order_value
        if limit is None:
            return None
        price = order.price if order.price is not None else order.trigger_price
        if price is None:
            price = last_price
        if price is None:
            return RiskRejection(
                "max_order_value",
                f"cannot value the {order.order_type} order for {order.instrument.key}: no last "
                "price yet",
            )
        value = price * order.quantity
        if value <= limit:
            return None
        return RiskRejection(
            "max_order_value",
            f"order value {value:.2f} ({order.quantity} × {price}) exceeds the limit of "
            f"{limit:.2f}",
        )

    def _check_price_band(
        self, order: Order, last_price: Decimal | None, exiting: bool
    ) -> RiskRejection | None:
        """The limit price (LIMIT and SL orders) must lie within ±band% of the last price.

        Trigger prices are not banded: a protective stop is meant to sit away from the market,
        and refusing it would leave a position unguarded.
        """
        band = self._settings.price_band_pct
        if band is None or order.price is None:
            return None
        if last_price is None or last_price <= 0:
            if exiting:
                return None  # getting out beats checking a band we cannot anchor
            return RiskRejection(
                "price_band",
                f"no last price for {order.instrument.key} to check the limit price "
                f"{order.price} against",
            )
        if abs(order.price - last_price) * 100 <= last_price * to_decimal(band):
            return None
        off = (order.price - last_price) * 100 / last_price
        return RiskRejection(
            "price_band",
            f"limit price {order.price} is {off:+.2f}% from the last price {last_price} "
            f"(band ±{band}%)",
        )

    # -- circuit breaker and halts -------------------------------------------------------------
    def record_closed_trade(self, net_pnl: Decimal) -> None:
        """Count a closed round trip: a loss extends the losing run, a win ends it, a trade
        that nets exactly zero leaves it as it is. The breaker trips at the configured run."""
        self._breaker.record(net_pnl)

    @property
    def consecutive_losses(self) -> int:
        return self._breaker.losses

    @property
    def circuit_breaker_tripped(self) -> bool:
        return self._breaker.tripped

    def reset_circuit_breaker(self) -> None:
        """Forget the losing run and lift a circuit-breaker halt (a manual halt stays)."""
        self._breaker.reset()

    def halt(self, reason: str) -> None:
        """Refuse every new entry until `resume_entries` (exits still go through)."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("halt needs a reason, e.g. 'emergency stop'")
        self._manual_halt = reason.strip()

    def resume_entries(self) -> None:
        """Lift any halt, the circuit breaker's included; a person decided to trade again, so
        the losing run starts from zero."""
        self._manual_halt = None
        self.reset_circuit_breaker()

    @property
    def halted(self) -> bool:
        return self._manual_halt is not None or self._breaker.tripped

    @property
    def halt_reason(self) -> str | None:
        if self._manual_halt is not None:
            return self._manual_halt
        return self._breaker.describe() if self._breaker.tripped else None

    def start_day(self) -> None:
        """A new trading day: the losing run, a circuit-breaker halt and a daily-loss stop end.
        A manual (emergency) halt stays until a person resumes."""
        self.reset_circuit_breaker()
        self._day_stop = None

    # -- reporting -----------------------------------------------------------------------------
    def status(self, now_ns: int | None = None) -> dict[str, Any]:
        """A JSON-able snapshot for the dashboard: limits, how much of each is used, halts.

        Money is given as floats (display only). Order counts are for the second before
        `now_ns`, by default the time of the last check.
        """
        settings = self._settings
        equity = self.portfolio.equity()
        day_pnl = equity - self.portfolio.day_start_equity
        peak = max(self.portfolio.peak_equity, equity)
        active = [limit for _, limit, _ in self._daily_loss_limits()]
        when = self._last_check_ns if now_ns is None else now_ns
        limits = {f.name: _plain(getattr(settings, f.name)) for f in fields(settings)}
        return {
            "halted": self.halted,
            "halt_reason": self.halt_reason,
            "day_stop": None if self._day_stop is None else str(self._day_stop),
            "circuit_breaker": {
                "consecutive_losses": self._breaker.losses,
                "limit": settings.max_consecutive_losses,
                "tripped": self._breaker.tripped,
            },
            "limits": limits,
            "usage": {
                "open_positions": self.portfolio.open_position_count(),
                "max_open_positions": settings.max_open_positions,
                "equity": float(equity),
                "day_pnl": float(day_pnl),
                "daily_loss_limit": float(min(active)) if active else None,
                "peak_equity": float(peak),
                "drawdown_pct": float((peak - equity) * 100 / peak) if peak > 0 else 0.0,
                "orders_last_second": self._limiter.snapshot(when),
                "max_orders_per_second": settings.max_orders_per_second,
            },
        }


def _plain(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def _stamp(ts_ns: int) -> str:
    return ns_to_datetime(ts_ns).strftime("%Y-%m-%d %H:%M:%S IST")
