"""Reconciliation: does what we recorded agree with what the broker says?

Run before a restarted session trades again. Orders are matched by our client id, which every
order carries to the broker as its tag. The outcome sorts each order into:

- matched: same status on both sides;
- advanced: the broker knows more (our record was cut short by the crash): we move our record
  along the one order state machine to the broker's status;
- never sent: journaled by us (PENDING_SUBMIT or UNKNOWN) but absent at the broker: it never
  arrived, so it is closed as REJECTED with that reason — found out, not assumed;
- adopted: at the broker with no record of ours (placed by hand, or by another tool): flagged
  and reported, never silently traded against;
- conflicts: the two cannot both be true (the broker lost an order we saw accepted, or says a
  filled order is open): trading must not resume until someone looks;
- position mismatches: net quantities per instrument differ.

The session refuses to trade unless `ok` (no conflicts and no position mismatches), and says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scalpbot.domain import Order, OrderStatus, can_transition

_JOURNALED_ONLY = (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """One entry of a broker's order book, as far as reconciliation needs it."""

    tag: str | None
    broker_order_id: str | None
    status: OrderStatus
    instrument_key: str = ""
    side: str = ""
    quantity: int = 0


@dataclass(slots=True)
class Reconciliation:
    matched: list[str] = field(default_factory=list)
    advanced: list[tuple[str, OrderStatus, OrderStatus]] = field(default_factory=list)
    never_sent: list[str] = field(default_factory=list)
    adopted: list[BrokerOrder] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    position_mismatches: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.position_mismatches

    def explain(self) -> str:
        """One paragraph for logs and errors: what was found and what was done."""
        parts = [f"{len(self.matched)} orders matched"]
        if self.advanced:
            moved = ", ".join(f"{cid} {old}→{new}" for cid, old, new in self.advanced)
            parts.append(f"brought up to date from the broker: {moved}")
        if self.never_sent:
            parts.append(f"never reached the broker: {', '.join(self.never_sent)}")
        if self.adopted:
            found = ", ".join(
                f"{o.broker_order_id} ({o.instrument_key} {o.side} {o.quantity} {o.status})"
                for o in self.adopted
            )
            parts.append(f"orders at the broker that are not ours (adopted, flagged): {found}")
        if self.conflicts:
            parts.append("CONFLICTS: " + "; ".join(self.conflicts))
        if self.position_mismatches:
            parts.append(
                "POSITION MISMATCHES: "
                + "; ".join(f"{k} ours {a} broker {b}" for k, a, b in self.position_mismatches)
            )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "matched": len(self.matched),
            "advanced": [[c, str(a), str(b)] for c, a, b in self.advanced],
            "never_sent": self.never_sent,
            "adopted": [o.broker_order_id for o in self.adopted],
            "conflicts": self.conflicts,
            "position_mismatches": [list(m) for m in self.position_mismatches],
        }


def reconcile(
    ours: Iterable[Order],
    broker: Iterable[BrokerOrder],
    our_positions: Mapping[str, int] | None = None,
    broker_positions: Mapping[str, int] | None = None,
) -> Reconciliation:
    """Compare our orders (and positions) with the broker's; changes nothing by itself."""
    result = Reconciliation()
    by_tag: dict[str, BrokerOrder] = {}
    for entry in broker:
        if entry.tag:
            by_tag[entry.tag] = entry
        else:
            result.adopted.append(entry)
    seen: set[str] = set()
    for order in ours:
        cid = order.client_order_id
        seen.add(cid)
        theirs = by_tag.get(cid)
        if theirs is None:
            if order.status in _JOURNALED_ONLY:
                result.never_sent.append(cid)
            elif order.status.is_working:
                result.conflicts.append(f"{cid} is {order.status} here but unknown to the broker")
            else:
                result.matched.append(cid)  # finished long ago; brokers keep a day's book
            continue
        if theirs.status is order.status:
            result.matched.append(cid)
        elif can_transition(order.status, theirs.status):
            result.advanced.append((cid, order.status, theirs.status))
        else:
            result.conflicts.append(
                f"{cid} is {order.status} here but {theirs.status} at the broker"
            )
    result.adopted.extend(entry for tag, entry in by_tag.items() if tag not in seen)
    if our_positions is not None and broker_positions is not None:
        for key in sorted(set(our_positions) | set(broker_positions)):
            mine, theirs_qty = our_positions.get(key, 0), broker_positions.get(key, 0)
            if mine != theirs_qty:
                result.position_mismatches.append((key, mine, theirs_qty))
    return result


def apply_to_orders(result: Reconciliation, orders: Mapping[str, Order], ts: int) -> list[Order]:
    """Bring our records along: advanced ones to the broker's status, never-sent ones closed.

    Returns the orders changed, for the caller to journal.
    """
    changed: list[Order] = []
    for cid, _, status in result.advanced:
        order = orders[cid]
        order.transition(status, ts, "reconciled with the broker's order book")
        changed.append(order)
    for cid in result.never_sent:
        order = orders[cid]
        order.transition(
            OrderStatus.REJECTED, ts, "not found at the broker by its tag: it never arrived"
        )
        changed.append(order)
    return changed


def book_from_paper_state(state: Mapping[str, Any]) -> list[BrokerOrder]:
    """The paper exchange's stored book as broker entries (its orders are all tagged)."""
    entries = [
        BrokerOrder(
            tag=str(rec["client_order_id"]),
            broker_order_id=rec.get("broker_order_id"),
            status=_resting_status(rec),
            instrument_key=f"{rec['instrument']['exchange']}:{rec['instrument']['symbol']}",
            side=str(rec.get("side", "")),
            quantity=int(rec.get("quantity", 0)),
        )
        for rec in state.get("resting", [])
    ]
    entries += [
        BrokerOrder(tag=cid, broker_order_id=None, status=OrderStatus(status))
        for cid, status in state.get("finished", {}).items()
    ]
    return entries


def _resting_status(rec: Mapping[str, Any]) -> OrderStatus:
    if rec.get("order_type") in ("SL", "SL-M") and not rec.get("triggered"):
        return OrderStatus.TRIGGER_PENDING
    return OrderStatus.PARTIALLY_FILLED if int(rec.get("filled", 0)) else OrderStatus.OPEN
