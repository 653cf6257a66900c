"""Kite's order book and order calls: place, modify, cancel, and finding an order by its tag.

An order is never sent twice. Every order carries a tag (the caller's client order id, or one
made here) so that when the answer to `POST /orders/{variety}` is lost (timeout after sending,
dropped connection, 5xx) the order book can be searched for it. Found: its order id is the
answer. Not found after a few looks: `BrokerUnavailable` saying the order's state is unknown,
for the caller to mark it UNKNOWN and reconcile with the book later.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from decimal import Decimal
from typing import Any

from scalpbot.brokers.zerodha import mapping
from scalpbot.brokers.zerodha.constants import TAG_MAX_LENGTH, VARIETIES
from scalpbot.brokers.zerodha.errors import KiteRateLimited, OrderOutcomeUnknown
from scalpbot.brokers.zerodha.http import KiteHttp
from scalpbot.brokers.zerodha.instruments import InstrumentMaster, KiteInstrument
from scalpbot.brokers.zerodha.order_channel import OrderChannel, Reply, ReplyLost
from scalpbot.brokers.zerodha.shapes import expect_rows
from scalpbot.domain import (
    BrokerError,
    BrokerUnavailable,
    DataError,
    Fill,
    InstrumentNotFound,
    Order,
    OrderRejected,
)
from scalpbot.market.ticks import round_to_tick, to_decimal

log = logging.getLogger(__name__)
Price = Decimal | float | None


class KiteOrders:
    """Order calls over `http`; `ready` checks the session first, `master` resolves symbols."""

    def __init__(
        self,
        http: KiteHttp,
        ready: Callable[[], object],
        master: Callable[[], InstrumentMaster],
        algo_id: str | None = None,
    ) -> None:
        self.http = http
        self._ready = ready
        self._master = master
        self.algo_id = algo_id

    def rows(self, path: str = "/orders") -> list[Mapping[str, Any]]:
        """Kite's raw order rows (the day's book, or one order's history)."""
        self._ready()
        return expect_rows(self.http.get(path), f"GET {path}")

    def book(self) -> list[Order]:
        return [mapping.order_from_kite(row, self._master()) for row in self.rows()]

    def history(self, order_id: str) -> list[Order]:
        rows = self.rows(f"/orders/{order_id_checked(order_id)}")
        return [mapping.order_from_kite(row, self._master()) for row in rows]

    def trades(self, order_id: str | None = None) -> list[Fill]:
        """Fills of the day, or of one order, with our client ids from the orders' tags."""
        if order_id is None:
            tags = _tags(self.rows())
            fills = self.rows("/trades")
        else:
            oid = order_id_checked(order_id)
            tags = _tags(self.rows(f"/orders/{oid}"))
            fills = self.rows(f"/orders/{oid}/trades")
        return [mapping.fill_from_kite(row, self._master(), tags) for row in fills]

    def find_by_tag(self, tag: str) -> Order | None:
        """The latest order of today's book carrying `tag`, or None."""
        found = [row for row in self.rows() if _has_tag(row, tag)]
        if not found:
            return None
        latest = max(found, key=lambda row: str(row.get("order_timestamp") or ""))
        return mapping.order_from_kite(latest, self._master())

    def place(self, row: KiteInstrument, **fields: Any) -> str:
        """Send one order (see the module docstring) and return Kite's order id; `fields` are
        those of `prepare`."""
        kind, tag, form = self.prepare(row, **fields)
        return self.send_prepared(kind, tag, form)

    def prepare(
        self,
        row: KiteInstrument,
        *,
        transaction_type: str,
        quantity: int,
        order_type: str = "MARKET",
        product: str = "MIS",
        price: Price = None,
        trigger_price: Price = None,
        validity: str = "DAY",
        tag: str | None = None,
        variety: str = "regular",
        validity_ttl: int | None = None,
        market_protection: int | None = None,
        disclosed_quantity: int | None = None,
        iceberg_legs: int | None = None,
        iceberg_quantity: int | None = None,
    ) -> tuple[str, str, dict[str, str]]:
        """The order's variety, tag and form, checked and on the instrument's tick."""
        kind = variety_checked(variety)
        tick = row.instrument.tick_size
        order_kind = str(order_type).strip().upper()
        if market_protection is None and order_kind in ("MARKET", "SL-M"):
            market_protection = -1  # Kite's automatic protection, required on these types
        tag = tag or new_tag()  # every order needs a tag, or a lost reply cannot be resolved
        form = mapping.order_params(
            tradingsymbol=row.tradingsymbol,
            exchange=row.instrument.exchange.value,
            transaction_type=transaction_type,
            quantity=quantity,
            product=product,
            order_type=order_kind,
            price=None if price is None else round_to_tick(price, tick),
            trigger_price=None if trigger_price is None else round_to_tick(trigger_price, tick),
            validity=validity,
            validity_ttl=validity_ttl,
            tag=tag,
            algo_id=self.algo_id,
            market_protection=market_protection,
            disclosed_quantity=disclosed_quantity,
            iceberg_legs=iceberg_legs,
            iceberg_quantity=iceberg_quantity,
        )
        return kind, tag, form

    def send_prepared(self, kind: str, tag: str, form: Mapping[str, str]) -> str:
        """POST a prepared order once (blocking) and return Kite's order id."""
        self._ready()
        try:
            data = self.http.write("POST", f"/orders/{kind}", form)
        except OrderOutcomeUnknown as exc:
            return self.resolve_lost(tag, exc)
        return order_id_of(data, f"POST /orders/{kind}")

    def begin_place(
        self, row: KiteInstrument, channel: OrderChannel, **fields: Any
    ) -> Coroutine[Any, Any, str] | None:
        """Write the order's request on `channel` now, from the event loop, and return what to
        await for Kite's order id — or None, with nothing sent, when it cannot go at once (the
        caller then uses `place` in a worker thread). Same checks and outcomes as `place`."""
        kind, tag, form = self.prepare(row, **fields)
        self._ready()
        reply = self.http.begin_order_write(channel, "POST", f"/orders/{kind}", form)
        if reply is None:
            return None
        return self._finish_place(reply, kind, tag, form)

    async def _finish_place(
        self, reply: Awaitable[Reply], kind: str, tag: str, form: Mapping[str, str]
    ) -> str:
        what = f"POST /orders/{kind}"
        try:
            answer = await reply
        except ReplyLost as exc:
            lost = OrderOutcomeUnknown(
                f"{what}: {exc} after the request was sent; its outcome is unknown"
            )
            return await asyncio.to_thread(self.resolve_lost, tag, lost)
        try:
            data = self.http.finish_order_write(answer, what)
        except KiteRateLimited:
            # Kite refused it before acting on it: the ordinary path waits and sends it again.
            return await asyncio.to_thread(self.send_prepared, kind, tag, form)
        except OrderOutcomeUnknown as exc:
            return await asyncio.to_thread(self.resolve_lost, tag, exc)
        return order_id_of(data, what)

    def resolve_lost(self, tag: str, cause: OrderOutcomeUnknown) -> str:
        """Find the order whose POST lost its answer by its tag; never send it again."""
        log.warning("order %s: %s; looking it up by tag", tag, cause)
        polls = max(1, self.http.retry.resolve_polls)
        for poll in range(1, polls + 1):
            try:
                found = self.find_by_tag(tag)
            except (BrokerError, InstrumentNotFound, DataError) as exc:
                log.warning("order %s: look %d/%d failed: %s", tag, poll, polls, exc)
                found = None
            if found is not None and found.broker_order_id:
                log.info("order %s: found at Kite as %s", tag, found.broker_order_id)
                return found.broker_order_id
            if poll < polls:
                self.http.limits.clock.sleep(self.http.retry.resolve_delay_s)
        raise BrokerUnavailable(
            f"order with tag {tag!r}: its state is unknown ({cause}); it was not found in Kite's "
            f"order book after {polls} looks and was NOT sent again: mark it UNKNOWN and "
            "reconcile with the order book"
        ) from cause

    def modify(
        self, order_id: str, variety: str | None, changes: Mapping[str, object | None]
    ) -> str:
        """Send the given changes (None values are left out) to one open order."""
        oid = order_id_checked(order_id)
        kind, _ = self._route(oid, variety)
        form: dict[str, str] = {}
        for field, value in changes.items():
            if value is None:
                continue
            if isinstance(value, float | Decimal):
                form[field] = str(to_decimal(value))
            else:
                form[field] = str(value).strip().upper() if field == "order_type" else str(value)
        if not form:
            raise OrderRejected(f"modify of order {oid}: nothing to change was given")
        self._ready()
        data = self.http.write("PUT", f"/orders/{kind}/{oid}", form)
        return order_id_of(data, f"PUT /orders/{kind}/{oid}")

    def cancel(self, order_id: str, variety: str | None = None) -> str:
        oid = order_id_checked(order_id)
        kind, parent = self._route(oid, variety)
        params = {"parent_order_id": parent} if parent else None
        self._ready()
        data = self.http.write("DELETE", f"/orders/{kind}/{oid}", params=params)
        return order_id_of(data, f"DELETE /orders/{kind}/{oid}")

    def cancel_all(self) -> list[str]:
        """Cancel every working order of today's book; returns the ids cancelled. An order
        that finished meanwhile (Kite refuses its cancel) is skipped with a warning."""
        cancelled: list[str] = []
        for row in self.rows():
            status = mapping.KITE_STATUS.get(str(row.get("status") or "").upper())
            if status is None or not status.is_working or row.get("parent_order_id"):
                continue
            oid = str(row["order_id"])
            try:
                cancelled.append(self.cancel(oid, str(row.get("variety") or "regular")))
            except OrderRejected as exc:
                log.warning("cancel of order %s refused: %s", oid, exc)
        return cancelled

    def _route(self, order_id: str, variety: str | None) -> tuple[str, str | None]:
        """The order's variety (looked up in its history when not given) and parent id."""
        if variety is not None:
            return variety_checked(variety), None
        history = self.rows(f"/orders/{order_id}")
        if not history:
            raise OrderRejected(f"order {order_id} is not in Kite's order book")
        last = history[-1]
        parent = last.get("parent_order_id")
        return variety_checked(str(last.get("variety") or "regular")), (
            str(parent) if parent else None
        )


def new_tag() -> str:
    """A fresh order tag: alphanumeric, within Kite's 20 characters, unique in practice."""
    return ("sb" + secrets.token_hex(9))[:TAG_MAX_LENGTH]


def variety_checked(variety: str) -> str:
    kind = str(variety).strip().lower()
    if kind not in VARIETIES:
        raise OrderRejected(f"unknown order variety {variety!r}; one of {', '.join(VARIETIES)}")
    return kind


def order_id_checked(order_id: str) -> str:
    oid = str(order_id).strip()
    if not oid.isalnum():
        raise OrderRejected(f"{order_id!r} is not a Kite order id")
    return oid


def order_id_of(data: Any, what: str) -> str:
    """The order id of a successful order call's reply. A success without one leaves the
    outcome unknown (Kite may well have acted): the caller resolves it from the book."""
    oid = data.get("order_id") if isinstance(data, Mapping) else None
    if not oid:
        raise OrderOutcomeUnknown(
            f"{what}: Kite's reply carries no order_id; the outcome of the request is unknown"
        )
    return str(oid)


def _has_tag(row: Mapping[str, Any], tag: str) -> bool:
    tags = row.get("tags")
    return row.get("tag") == tag or (isinstance(tags, list | tuple) and tag in tags)


def _tags(rows: list[Mapping[str, Any]]) -> dict[str, str]:
    """order_id -> our client id, for the orders that carry a tag."""
    return {str(row["order_id"]): str(row["tag"]) for row in rows if row.get("tag")}
