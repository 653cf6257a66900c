"""`OrderJournal`: what a session writes to the store as its orders change, journal first.

A new order is recorded the quickest durable way the store has (an intent line, see
`store.intent_log`) before it is sent, and written in full once its request has left; every
later change is saved as it happens. A resumed paper session re-derives its past: while it does
(`recovering`) nothing is written, and up to the last moment it had written before the kill
(`written_until`) an order the store already holds further along is compared, not rewritten.
"""

from __future__ import annotations

from collections.abc import Callable

from scalpbot.domain import Order, OrderStatus
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.errors import EngineFault
from scalpbot.runtime.failpoints import Failpoint
from scalpbot.store import Store


class ReconciliationError(EngineFault):
    """The state re-derived on restart does not match what the store recorded."""


class OrderJournal:
    """The session's `journal` and `journal_sent` hooks for the engine's order manager."""

    def __init__(
        self,
        store: Store,
        session_id: int,
        clock: SimulatedClock,
        recovering: Callable[[], bool],
        written_until: int = -1,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.clock = clock
        self.recovering = recovering
        self.written_until = written_until
        self._intents_only: set[str] = set()  # new orders the database does not have yet
        self._after_journal = Failpoint("after_journal")
        self._after_send = Failpoint("after_send")

    def journal(self, order: Order) -> None:
        if self.recovering():
            return  # re-deriving: the store already holds this stretch (checked on reconcile)
        cid = order.client_order_id
        if self.clock.ts <= self.written_until:
            # Between the last checkpoint and the kill the store may already hold this order
            # further along: then it is ahead of us, not wrong, and must not be rewritten.
            stored = self.store.orders.get(cid)
            if stored is not None and len(stored.history) >= len(order.history):
                mine = [(c.status, c.ts) for c in order.history]
                theirs = [(c.status, c.ts) for c in stored.history[: len(mine)]]
                if mine != theirs:
                    raise ReconciliationError(
                        f"order {cid}: re-derived history differs from the stored one; "
                        "refusing to trade on"
                    )
                return
        elif order.status is OrderStatus.PENDING_SUBMIT and len(order.history) == 1:
            # A new order on its way out: the quickest durable record now, the full write
            # once the request has left (`sent`).
            self.store.orders.journal_new(order, self.session_id)
            self._intents_only.add(cid)
            self._after_journal.hit()  # stored, not yet sent: a crash trial's aim
            return
        self.store.orders.save(order, self.session_id)
        self._intents_only.discard(cid)
        if order.status is OrderStatus.PENDING_SUBMIT:
            self._after_journal.hit()

    def sent(self, order: Order) -> None:
        """The gateway has the order: write it to the database unless a change the broker
        reported at once (the paper exchange answers inside `submit`) already did."""
        cid = order.client_order_id
        if cid in self._intents_only:
            self._after_send.hit()  # sent, known only to the intent file: a crash trial's aim
            self._intents_only.discard(cid)
            self.store.orders.save(order, self.session_id)
