"""`ZerodhaBroker`: the `Broker` protocol over Kite Connect v3.

    broker = ZerodhaBroker(api_key, api_secret, token_file=home / "tokens/zerodha.json")
    broker.interactive_login()                       # once a day
    broker.get_quote("RELIANCE", "NSE").last_price
    broker.place_order(symbol="RELIANCE", exchange="NSE", transaction_type="BUY", quantity=1,
                       order_type="MARKET", product="MIS")

Results are scalpbot's domain types; Kite's field names stay in `mapping.py`. Symbols are ours
("NSE:RELIANCE") and become Kite's (`tradingsymbol`, `instrument_token`) through the instrument
master, loaded on first need from a daily cache (see `master`). The pieces: `KiteHttp` (wire,
retries, rate limits), `KiteSession` (the day's token), `KiteOrders` (orders that are never sent
twice), `historical` (paged candles).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Coroutine, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalpbot.brokers.zerodha import auth, mapping
from scalpbot.brokers.zerodha.constants import LOGIN_BASE, WS_URL
from scalpbot.brokers.zerodha.historical import fetch_candles
from scalpbot.brokers.zerodha.http import KiteHttp, Params, RetryPolicy
from scalpbot.brokers.zerodha.instruments import (
    InstrumentMaster,
    KiteInstrument,
    parse_instruments_csv,
)
from scalpbot.brokers.zerodha.master_cache import cached_master
from scalpbot.brokers.zerodha.order_channel import OrderChannel
from scalpbot.brokers.zerodha.orders import KiteOrders, Price
from scalpbot.brokers.zerodha.rate_limit import Category, Clock, KiteRateLimits
from scalpbot.brokers.zerodha.session import KiteSession
from scalpbot.brokers.zerodha.shapes import expect_member_rows, expect_object, expect_rows
from scalpbot.domain import (
    Bar,
    BrokerUnavailable,
    ConfigError,
    DataError,
    Fill,
    Funds,
    Instrument,
    InstrumentNotFound,
    Order,
    Position,
    Profile,
    Quote,
    StreamHandler,
)
from scalpbot.market.ticks import to_decimal

if TYPE_CHECKING:
    from scalpbot.brokers.zerodha.ticker_client import KiteTickerClient

log = logging.getLogger(__name__)


class ZerodhaBroker:
    """Kite Connect account API: login, orders, book, positions, funds, quotes, history.

    `base_url`, `login_url` and `ws_url` point it at Kite (default) or a sandbox; `token_file`
    keeps the day's access token (mode 0600); `instruments_cache` keeps the instrument master
    between runs. `clock` and `retry` exist for tests and tuning.
    """

    name = "zerodha"

    def __init__(
        self,
        api_key: str,
        api_secret: str | None = None,
        access_token: str | None = None,
        *,
        base_url: str | None = None,
        login_url: str | None = None,
        ws_url: str | None = None,
        redirect_url: str | None = None,
        algo_id: str | None = None,
        token_file: Path | str | None = None,
        instruments_cache: Path | str | None = None,
        timeout: float = 7.0,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ConfigError("broker.api_key is empty: give the Kite Connect app's API key")
        self.api_key = api_key.strip()
        self._api_secret = api_secret or None
        self.login_base = login_url or LOGIN_BASE
        self.ws_url = ws_url or WS_URL
        self.redirect_url = redirect_url
        self.instruments_cache = Path(instruments_cache) if instruments_cache else None
        self.http = KiteHttp(
            self.api_key,
            base_url=base_url,
            timeout=timeout,
            limits=KiteRateLimits(clock),
            retry=retry,
        )
        store = auth.TokenStore(token_file) if token_file else None
        self.session = KiteSession(self.http, api_secret, access_token, store)
        self.orders = KiteOrders(
            self.http, self.session.token, lambda: self.master, algo_id or None
        )
        self._master: InstrumentMaster | None = None
        self._master_lock = threading.Lock()
        self.order_channel = OrderChannel(self.http.base_url, timeout=timeout)

    def __repr__(self) -> str:
        shown = f"{self.api_key[:4]}…"
        state = "logged in" if self.session.logged_in else "not logged in"
        return f"ZerodhaBroker(api_key={shown!r}, base_url={self.http.base_url!r}, {state})"

    @property
    def algo_id(self) -> str | None:
        """The SEBI algo id sent with every order as Kite's `algo_id` (None: not sent)."""
        return self.orders.algo_id

    def close(self) -> None:
        self.http.close()
        self.order_channel.close()

    # -- session -------------------------------------------------------------------------------

    def login_url(self) -> str:
        """Where the user logs in to Kite; it redirects back with a request token."""
        return auth.login_url(self.api_key, self.login_base)

    def complete_login(self, redirected_url_or_request_token: str) -> Profile:
        """Exchange the redirect's request token (or the URL holding it) for the day's access
        token, keep it, and return who logged in."""
        data = self.session.login(self.api_key, redirected_url_or_request_token)
        return mapping.profile_from_kite(data)

    def interactive_login(self) -> Profile:
        """Print the login address, read the redirected URL from stdin, complete the login."""
        print(f"Open this address in a browser and log in to Kite:\n  {self.login_url()}")
        where = f" (it starts with {self.redirect_url})" if self.redirect_url else ""
        redirected = input(f"Then paste the address you were redirected to{where}:\n> ")
        return self.complete_login(redirected)

    def logout(self) -> None:
        """End the session at Kite and forget the token."""
        self.session.logout(self.api_key)

    def _get(self, path: str, params: Params | None = None, category: Category = "other") -> Any:
        self.session.token()
        return self.http.get(path, params, category=category)

    # -- instruments ---------------------------------------------------------------------------

    @property
    def master(self) -> InstrumentMaster:
        """Kite's instrument master, loaded on first use: from the cache file while it is from
        today (after 08:00 IST), else downloaded (a refused download keeps the cached one)."""
        with self._master_lock:
            if self._master is None:
                self._master = self._load_master()
            return self._master

    def refresh_instruments(self) -> InstrumentMaster:
        """Download the instrument master now (e.g. each morning of a long-running session)."""
        with self._master_lock:
            self._master = self._load_master(force=True)
            return self._master

    def _download(self, path: str = "/instruments") -> str:
        self.session.token()
        return self.http.get_text(path)

    def _load_master(self, force: bool = False) -> InstrumentMaster:
        cache = self.instruments_cache
        if cache is None:
            rows = parse_instruments_csv(self._download())
            if not rows:
                raise DataError("Kite's instrument master came back empty")
            return InstrumentMaster(rows)
        return cached_master(cache, self._download, force=force)

    def instrument(self, key_or_symbol: str, exchange: str = "NSE") -> Instrument:
        """Our `Instrument` for "NSE:INFY" or ("INFY", "NSE"); `InstrumentNotFound` if unknown."""
        return self._kite_instrument(key_or_symbol, exchange).instrument

    def _kite_instrument(self, symbol: str, exchange: str) -> KiteInstrument:
        text = symbol.strip().upper()
        key = text if ":" in text else f"{exchange.strip().upper()}:{text}"
        return self.master.get(key)

    def get_instruments(self, exchange: str | None = None) -> list[Instrument]:
        """Every instrument Kite lists (of one exchange when given), freshly downloaded."""
        path = f"/instruments/{exchange.strip().upper()}" if exchange else "/instruments"
        return [row.instrument for row in parse_instruments_csv(self._download(path))]

    # -- account -------------------------------------------------------------------------------

    def get_profile(self) -> Profile:
        return mapping.profile_from_kite(
            expect_object(self._get("/user/profile"), "GET /user/profile")
        )

    def get_funds(self, segment: str = "equity") -> Funds:
        """Cash and margin of one segment ("equity" or "commodity")."""
        data = expect_object(self._get("/user/margins"), "GET /user/margins")
        return mapping.funds_from_kite(data, segment)

    def get_positions(self, which: str = "net") -> list[Position]:
        """Positions; `which` is "net" (Kite's net book, default) or "day" (today's trades)."""
        if which not in ("net", "day"):
            raise ConfigError(f"positions are 'net' or 'day', not {which!r}")
        data = self._get("/portfolio/positions")
        rows = expect_member_rows(data, which, "GET /portfolio/positions")
        return [mapping.position_from_kite(row, self.master) for row in rows]

    def get_holdings(self) -> list[Position]:
        rows = expect_rows(self._get("/portfolio/holdings"), "GET /portfolio/holdings")
        return [mapping.holding_from_kite(row, self.master) for row in rows]

    # -- quotes and history --------------------------------------------------------------------

    def _market(self, path: str, symbol: str, exchange: str) -> tuple[str, Mapping[str, Any]]:
        row = self._kite_instrument(symbol, exchange)
        kite_key = f"{row.instrument.exchange.value}:{row.tradingsymbol}"
        data = self._get(path, [("i", kite_key)], "quote")
        found = data.get(kite_key) if isinstance(data, Mapping) else None
        if not isinstance(found, Mapping):
            raise InstrumentNotFound(f"Kite has no quote for {row.instrument.key}")
        return row.instrument.key, found

    def get_quote(self, symbol: str, exchange: str = "NSE") -> Quote:
        """Full quote (last price, OHLC, volume, depth) of one instrument."""
        return mapping.quote_from_kite(*self._market("/quote", symbol, exchange))

    def get_ohlc(self, symbol: str, exchange: str = "NSE") -> Quote:
        """Last price and the day's OHLC (a lighter call than `get_quote`)."""
        return mapping.quote_from_kite(*self._market("/quote/ohlc", symbol, exchange))

    def get_ltp(self, symbol: str, exchange: str = "NSE") -> Decimal:
        key, row = self._market("/quote/ltp", symbol, exchange)
        if row.get("last_price") is None:
            raise BrokerUnavailable(f"GET /quote/ltp: no last price for {key}")
        return to_decimal(row["last_price"])

    def get_historical_data(
        self,
        symbol: str,
        exchange: str,
        interval: str,
        start: datetime,
        end: datetime,
        *,
        continuous: bool = False,
        oi: bool = False,
    ) -> list[Bar]:
        """Candles of `interval` (Kite's names: minute, 3minute, ..., 60minute, day) from
        `start` to `end` (naive times are IST), fetched in as many pages as Kite needs."""
        row = self._kite_instrument(symbol, exchange)
        self.session.token()
        candles = fetch_candles(
            self.http, row.token, interval, start, end, continuous=continuous, oi=oi
        )
        return mapping.bars_from_candles(row.instrument.key, candles)

    # -- orders --------------------------------------------------------------------------------

    def get_orders(self) -> list[Order]:
        return self.orders.book()

    def get_order_history(self, order_id: str) -> list[Order]:
        return self.orders.history(order_id)

    def get_trades(self) -> list[Fill]:
        return self.orders.trades()

    def get_order_trades(self, order_id: str) -> list[Fill]:
        return self.orders.trades(order_id)

    def find_order_by_tag(self, tag: str) -> Order | None:
        """The order carrying our client id as its tag, if today's book has it."""
        return self.orders.find_by_tag(tag)

    def place_order(
        self,
        *,
        symbol: str,
        exchange: str,
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
    ) -> str:
        """Place an order and return Kite's order id; never sends it twice (see `orders.py`).

        `tag` is our client order id (one is made when not given); prices go on the
        instrument's tick; `market_protection` defaults to -1 (automatic) on MARKET and SL-M.
        """
        return self.orders.place(
            self._kite_instrument(symbol, exchange),
            transaction_type=transaction_type,
            quantity=quantity,
            order_type=order_type,
            product=product,
            price=price,
            trigger_price=trigger_price,
            validity=validity,
            tag=tag,
            variety=variety,
            validity_ttl=validity_ttl,
            market_protection=market_protection,
            disclosed_quantity=disclosed_quantity,
            iceberg_legs=iceberg_legs,
            iceberg_quantity=iceberg_quantity,
        )

    def begin_place_order(
        self, *, symbol: str, exchange: str, **order: Any
    ) -> Coroutine[Any, Any, str] | None:
        """`place_order` for the event loop (same keywords): the request is written before this
        returns and the result is awaited for Kite's order id; None, with nothing sent, when it
        cannot leave at once (then call `place_order` in a worker thread)."""
        row = self._kite_instrument(symbol, exchange)
        return self.orders.begin_place(row, self.order_channel, **order)

    def warm_order_entry(self) -> None:
        """Open the order channel's connections in the background (call on the event loop)."""
        self.order_channel.warm()

    def modify_order(
        self,
        order_id: str,
        *,
        quantity: int | None = None,
        price: Price = None,
        trigger_price: Price = None,
        order_type: str | None = None,
        validity: str | None = None,
        disclosed_quantity: int | None = None,
        variety: str | None = None,
    ) -> str:
        """Change an open order (only the given fields); its variety is looked up when not
        given. A lost answer raises `BrokerUnavailable` (the change is not sent again)."""
        changes = {
            "quantity": quantity,
            "price": price,
            "trigger_price": trigger_price,
            "order_type": order_type,
            "validity": validity,
            "disclosed_quantity": disclosed_quantity,
        }
        return self.orders.modify(order_id, variety, changes)

    def cancel_order(self, order_id: str, variety: str | None = None) -> str:
        return self.orders.cancel(order_id, variety)

    def cancel_all_orders(self) -> list[str]:
        return self.orders.cancel_all()

    # -- streaming and postbacks ---------------------------------------------------------------

    def stream(self, handler: StreamHandler) -> KiteTickerClient:
        """A ticker client for this session (run it with `await client.run()`)."""
        from scalpbot.brokers.zerodha.ticker_client import KiteTickerClient

        token = self.session.token()
        return KiteTickerClient(self.api_key, token, handler, url=self.ws_url, master=self.master)

    def parse_postback(self, body: bytes | str) -> Order:
        """The order a Kite postback reports, once its checksum proves Kite sent it
        (`DataError` for a malformed or forged one, which changes nothing)."""
        if not self._api_secret:
            raise ConfigError("broker.api_secret is not set: postbacks cannot be verified")
        try:
            row = json.loads(body)
            oid = str(row["order_id"])
            expected = auth.postback_checksum(oid, str(row["order_timestamp"]), self._api_secret)
            given = str(row.get("checksum") or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"postback is not a Kite order update ({type(exc).__name__})") from None
        if not secrets.compare_digest(expected, given):
            raise DataError(f"postback for order {oid}: bad checksum, refused")
        return mapping.order_from_kite(row, self.master)
