"""The in-process event bus: every arrow of DESIGN.md's data-flow diagram.

Synchronous and single-threaded on purpose: a handler runs to completion before `publish`
returns, so the order of effects is the order of events, in a backtest and live alike.
Handlers are looked up by the event's exact type (no isinstance walk) to keep the per-bar cost
at one dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        # Public for hot paths that test "does anyone listen?" with one dict lookup; never
        # mutate it directly.
        self.handlers: dict[type, list[Handler]] = {}
        self._handlers = self.handlers

    def subscribe(self, event_type: type[T], handler: Callable[[T], None]) -> Callable[[], None]:
        """Call `handler` for every published event of exactly `event_type`.

        Returns a function that removes the subscription.
        """
        handlers = self._handlers.setdefault(event_type, [])
        handlers.append(handler)

        def unsubscribe() -> None:
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def publish(self, event: object) -> None:
        handlers = self._handlers.get(type(event))
        if handlers:
            for handler in tuple(handlers) if len(handlers) > 1 else handlers:
                handler(event)

    def has_subscribers(self, event_type: type) -> bool:
        return bool(self._handlers.get(event_type))
