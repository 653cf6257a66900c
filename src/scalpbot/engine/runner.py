"""The strategy executor: start, pause, resume, stop and emergency stop.

States and what they mean for trading:
- stopped: strategies see nothing, no orders.
- running: strategies see bars/ticks and may enter and exit.
- paused: strategies still see data (indicators stay warm) and exits still work — managed
  stops and targets stay at the broker, `close()` works — but new entries are refused.
- halted: after an emergency stop (everything cancelled and flattened) or a risk halt; only an
  explicit `resume` (after review) or `stop` leaves it.
An illegal move (pause when stopped, ...) raises `EngineStateError`, which an API maps to 409.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scalpbot.domain import Bar, ControlError, Fill, Order, Tick
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import Clock
from scalpbot.engine.errors import EngineFault
from scalpbot.engine.events import StrategyStateEvent
from scalpbot.strategies.base import Strategy

STOPPED, RUNNING, PAUSED, HALTED = "stopped", "running", "paused", "halted"

_ALLOWED: dict[str, dict[str, str]] = {
    "start": {STOPPED: RUNNING},
    "pause": {RUNNING: PAUSED},
    "resume": {PAUSED: RUNNING, HALTED: RUNNING},
    "stop": {RUNNING: STOPPED, PAUSED: STOPPED, HALTED: STOPPED},
    "halt": {RUNNING: HALTED, PAUSED: HALTED, STOPPED: HALTED, HALTED: HALTED},
}


class EngineStateError(ControlError):
    """A control action that the runner's current state does not allow."""


@dataclass(slots=True)
class _Slot:
    strategy_id: str
    strategy: Strategy
    instrument_key: str
    wants_orders: bool = True
    wants_fills: bool = True


ErrorReporter = Callable[[str, BaseException], None]


class StrategyRunner:
    def __init__(
        self, bus: EventBus, clock: Clock, report_error: ErrorReporter, *, raise_errors: bool
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.state = STOPPED
        self.reason = ""
        self._report_error = report_error
        self._raise_errors = raise_errors
        self._slots: dict[str, _Slot] = {}
        self._by_instrument: dict[str, list[_Slot]] = {}
        self._bar_dispatch: dict[str, tuple[Callable[[Bar], None], ...]] = {}
        self._dispatching = False

    def add(self, strategy_id: str, strategy: Strategy, instrument_key: str) -> None:
        if strategy_id in self._slots:
            raise EngineStateError(f"a strategy with id {strategy_id!r} is already loaded")
        kind = type(strategy)
        slot = _Slot(
            strategy_id,
            strategy,
            instrument_key,
            wants_orders=kind.on_order is not Strategy.on_order,
            wants_fills=kind.on_fill is not Strategy.on_fill,
        )
        self._slots[strategy_id] = slot
        self._by_instrument.setdefault(instrument_key, []).append(slot)
        self._rebuild_dispatch()

    def _rebuild_dispatch(self) -> None:
        self._bar_dispatch = {
            key: tuple(slot.strategy.on_bar for slot in slots)
            for key, slots in self._by_instrument.items()
        }

    @property
    def strategies(self) -> dict[str, Strategy]:
        return {sid: slot.strategy for sid, slot in self._slots.items()}

    # -- state machine ---------------------------------------------------------------------------
    def _move(self, action: str, reason: str = "") -> None:
        target = _ALLOWED[action].get(self.state)
        if target is None:
            raise EngineStateError(f"cannot {action} while {self.state}")
        self.state = target
        self.reason = reason
        self.bus.publish(StrategyStateEvent(target, reason, self.clock.now_ns()))

    def start(self) -> None:
        self._move("start")
        for slot in self._slots.values():
            self._call(slot, slot.strategy.on_start)

    def pause(self, reason: str = "") -> None:
        self._move("pause", reason)

    def resume(self) -> None:
        self._move("resume")

    def stop(self, reason: str = "") -> None:
        self._move("stop", reason)
        for slot in self._slots.values():
            self._call(slot, slot.strategy.on_stop)

    def halt(self, reason: str) -> None:
        self._move("halt", reason)

    def entries_blocked(self) -> bool:
        return self.state != RUNNING

    @property
    def active(self) -> bool:
        return self.state in (RUNNING, PAUSED)

    # -- dispatch --------------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        if self.state is not RUNNING and self.state is not PAUSED:
            return
        handlers = self._bar_dispatch.get(bar.instrument_key)
        if handlers is None:
            return
        if self._raise_errors:
            for handler in handlers:
                handler(bar)
        else:
            for slot in self._by_instrument[bar.instrument_key]:
                self._call(slot, slot.strategy.on_bar, bar)

    def on_tick(self, tick: Tick) -> None:
        if not self.active:
            return
        for slot in self._by_instrument.get(tick.instrument_key, ()):
            self._call(slot, slot.strategy.on_tick, tick)

    def on_order(self, order: Order) -> None:
        slot = self._slots.get(order.strategy_id)
        if slot is not None and slot.wants_orders and self.state is not STOPPED:
            self._call(slot, slot.strategy.on_order, order)

    def on_fill(self, fill: Fill, strategy_id: str) -> None:
        slot = self._slots.get(strategy_id)
        if slot is not None and slot.wants_fills and self.state is not STOPPED:
            self._call(slot, slot.strategy.on_fill, fill)

    def _call(self, slot: _Slot, method: Callable[..., None], *args: object) -> None:
        """Run a strategy hook; a strategy's exception is reported, not allowed to kill the
        session (in backtests it is re-raised so a bug is seen at once)."""
        try:
            method(*args)
        except EngineFault:
            raise
        except Exception as exc:
            if self._raise_errors:
                raise
            self._report_error(slot.strategy_id, exc)
