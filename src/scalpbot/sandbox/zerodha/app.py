"""The sandbox's HTTP face: Kite Connect v3's REST routes, its login page and the control API.

Replies use Kite's envelope (`{"status": "success", "data": ...}`, errors as
`{"status": "error", "message", "data": null, "error_type"}` with Kite's HTTP codes), form
bodies, `Authorization: token api_key:access_token`, and CSV for the instrument lists — enough
that Zerodha's own `kiteconnect` client works against it unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute

from scalpbot.domain import IST
from scalpbot.sandbox.zerodha.book import KiteInputError
from scalpbot.sandbox.zerodha.state import SandboxState
from scalpbot.sandbox.zerodha.ticker_ws import ticker_endpoint

#: Kite's limit of days per historical request, by interval.
MAX_DAYS = {
    "minute": 60, "3minute": 100, "5minute": 100, "10minute": 100, "15minute": 200,
    "30minute": 200, "60minute": 400, "day": 2000,
}  # fmt: skip
INTERVAL_MINUTES = {
    "minute": 1, "3minute": 3, "5minute": 5, "10minute": 10, "15minute": 15, "30minute": 30,
    "60minute": 60, "day": 375,
}  # fmt: skip


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"status": "success", "data": data})


def error(status: int, error_type: str, message: str) -> JSONResponse:
    body = {"status": "error", "message": message, "data": None, "error_type": error_type}
    return JSONResponse(body, status_code=status)


async def form_of(request: Request) -> dict[str, str]:
    """A form-encoded body (Kite's only request body), without a multipart parser."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def build_app(state: SandboxState) -> Starlette:
    """The sandbox's Starlette app over `state` (see the module docstring)."""

    def authorised(request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("token ") or ":" not in header:
            return error(403, "TokenException", "Incorrect `api_key` or `access_token`.")
        key, _, token = header[6:].partition(":")
        if key != state.config.api_key or token not in state.tokens:
            return error(403, "TokenException", "Incorrect `api_key` or `access_token`.")
        return None

    async def guarded(request: Request, handler: Any) -> Any:
        state.requests.append(f"{request.method} {request.url.path}")
        stall = state.faults.take_request_stall()
        if stall:
            await asyncio.sleep(stall)
            return error(503, "NetworkException", "Gateway timed out (sandbox fault)")
        fault = state.faults.next_http_fault(request.method)
        if fault is not None:
            status, kind, message = fault
            return error(status, kind, message)
        refused = authorised(request)
        if refused is not None:
            return refused
        if state.faults.take_malformed(request.url.path):
            return ok("<sandbox fault: a reply of the wrong shape>")
        try:
            return await handler(request)
        except KiteInputError as exc:
            return error(400, "InputException", str(exc))
        except ClientDisconnect:  # the client died mid-request (a crash trial's kill)
            return PlainTextResponse("client gone", status_code=499)

    def api(handler: Any) -> Any:
        async def endpoint(request: Request) -> Any:
            return await guarded(request, handler)

        return endpoint

    # -- login ---------------------------------------------------------------------------------
    async def login_page(request: Request) -> Any:
        if request.query_params.get("api_key") != state.config.api_key:
            return HTMLResponse("<h1>Invalid api_key</h1>", status_code=400)
        request_token = secrets.token_hex(16)
        state.request_tokens.add(request_token)
        query = urlencode({"request_token": request_token, "action": "login", "status": "success"})
        target = f"{state.config.redirect_url}?{query}"
        if request.query_params.get("auto") == "1":
            return RedirectResponse(target, status_code=302)
        return HTMLResponse(
            "<!doctype html><title>Kite sandbox login</title><h1>scalpbot Kite sandbox</h1>"
            f"<p>Log in as <b>{state.book.user_id}</b> to the sandbox account.</p>"
            f'<p><a id="authorize" href="{target}">Authorize</a></p>'
        )

    async def session_token(request: Request) -> Any:
        form = await form_of(request)
        request_token = str(form.get("request_token", ""))
        expected = hashlib.sha256(
            f"{state.config.api_key}{request_token}{state.config.api_secret}".encode()
        ).hexdigest()
        if form.get("api_key") != state.config.api_key:
            return error(403, "TokenException", "Invalid `api_key`.")
        if request_token not in state.request_tokens:
            return error(403, "TokenException", "Token is invalid or has expired.")
        if not secrets.compare_digest(expected, str(form.get("checksum", ""))):
            return error(403, "TokenException", "Invalid `checksum`.")
        state.request_tokens.discard(request_token)
        access_token = secrets.token_hex(16)
        state.tokens.add(access_token)
        return ok({**state.profile(), "access_token": access_token,
                   "public_token": secrets.token_hex(8), "refresh_token": "",
                   "login_time": datetime.now(IST).strftime("%Y-%m-%d %H:%M:%S"),
                   "api_key": state.config.api_key, "enctoken": ""})  # fmt: skip

    async def session_delete(request: Request) -> Any:
        state.tokens.discard(request.query_params.get("access_token", ""))
        return ok(True)

    # -- account -------------------------------------------------------------------------------
    async def profile(request: Request) -> Any:
        return ok(state.profile())

    async def margins(request: Request) -> Any:
        data = state.book.margins()
        segment = request.path_params.get("segment")
        if segment is not None:
            if segment not in data:
                raise KiteInputError(f"Invalid segment `{segment}`.")
            return ok(data[segment])
        return ok(data)

    # -- orders --------------------------------------------------------------------------------
    async def place(request: Request) -> Any:
        form = await form_of(request)
        order = state.book.place(request.path_params["variety"], form)
        stall = state.faults.take_order_stall()
        if stall:
            await asyncio.sleep(stall)
        if state.faults.take("fail_after_orders"):
            return error(503, "NetworkException", "Service unavailable (sandbox fault)")
        return ok({"order_id": order.row["order_id"]})

    async def modify(request: Request) -> Any:
        if state.faults.take("reject_modifies"):
            message = "Maximum allowed order modifications exceeded. (sandbox fault)"
            return error(400, "OrderException", message)
        form = await form_of(request)
        order = state.book.modify(request.path_params["order_id"], form)
        return ok({"order_id": order.row["order_id"]})

    async def cancel(request: Request) -> Any:
        order = state.book.cancel(request.path_params["order_id"])
        return ok({"order_id": order.row["order_id"]})

    async def orders(request: Request) -> Any:
        return ok([dict(o.row) for o in state.book.orders.values()])

    async def order_history(request: Request) -> Any:
        order = state.book.orders.get(request.path_params["order_id"])
        if order is None:
            raise KiteInputError("Couldn't find that `order_id`.")
        return ok(order.history)

    async def order_trades(request: Request) -> Any:
        oid = request.path_params["order_id"]
        return ok([t for t in state.book.trades if t["order_id"] == oid])

    async def trades(request: Request) -> Any:
        return ok(list(state.book.trades))

    async def positions(request: Request) -> Any:
        rows = state.book.position_rows()
        return ok({"net": rows, "day": rows})

    async def holdings(request: Request) -> Any:
        return ok([])

    # -- market --------------------------------------------------------------------------------
    def _listings(request: Request) -> list[tuple[str, Any]]:
        found = []
        for name in request.query_params.getlist("i"):
            listing = state.market.listings.get(name)
            if listing is None and name.isdigit():
                listing = state.market.by_token.get(int(name))
            if listing is not None:
                found.append((name, listing))
        return found

    async def quote(request: Request) -> Any:
        return ok({name: state.quote_row(listing) for name, listing in _listings(request)})

    async def ohlc(request: Request) -> Any:
        data = {}
        for name, listing in _listings(request):
            row = state.quote_row(listing)
            data[name] = {k: row[k] for k in ("instrument_token", "last_price", "ohlc")}
        return ok(data)

    async def ltp(request: Request) -> Any:
        return ok({name: {"instrument_token": listing.token,
                          "last_price": float(listing.price())}
                   for name, listing in _listings(request)})  # fmt: skip

    async def instruments(request: Request) -> Any:
        exchange = request.path_params.get("exchange")
        return PlainTextResponse(state.market.instruments_csv(exchange), media_type="text/csv")

    async def historical(request: Request) -> Any:
        interval = request.path_params["interval"]
        if interval not in MAX_DAYS:
            raise KiteInputError(f"Invalid interval `{interval}`.")
        listing = state.market.by_token.get(int(request.path_params["token"]))
        if listing is None:
            raise KiteInputError("Invalid `instrument_token`.")
        try:
            start = datetime.fromisoformat(request.query_params["from"])
            end = datetime.fromisoformat(request.query_params["to"])
        except (KeyError, ValueError):
            raise KiteInputError("Invalid `from` or `to` date.") from None
        start = start if start.tzinfo else start.replace(tzinfo=IST)
        end = end if end.tzinfo else end.replace(tzinfo=IST)
        if end - start > timedelta(days=MAX_DAYS[interval]):
            raise KiteInputError(
                f"interval exceeds max limit: {MAX_DAYS[interval]} days for {interval}"
            )
        rows = state.market.candles(listing, INTERVAL_MINUTES[interval], start, end)
        return ok({"candles": rows})

    # -- control (tests and demos; not part of Kite) -------------------------------------------
    async def control_price(request: Request) -> Any:
        body = await request.json()
        key = str(body.get("instrument", ""))
        if key not in state.market.listings:
            return error(400, "InputException", f"unknown instrument {key!r}")
        try:
            price = Decimal(str(body["price"]))
        except (KeyError, InvalidOperation):
            return error(400, "InputException", "give a numeric `price`")
        await state.set_price(key, price)
        return ok({"instrument": key, "price": float(state.market.listings[key].price())})

    async def control_market(request: Request) -> Any:
        body = await request.json()
        state.market.paused = bool(body.get("paused", state.market.paused))
        return ok({"paused": state.market.paused})

    async def control_fault(request: Request) -> Any:
        body = await request.json()
        try:
            applied = await state.inject(str(body.get("kind", "")), body)
        except ValueError as exc:
            return error(400, "InputException", str(exc))
        return ok(applied)

    async def control_orders(request: Request) -> Any:
        rows = [dict(o.row) for o in state.book.orders.values()]
        counts: dict[str, int] = {}
        for row in rows:
            if row["tag"]:
                counts[row["tag"]] = counts.get(row["tag"], 0) + 1
        return ok({"orders": rows, "by_tag": counts, "positions": state.book.position_rows()})

    async def control_reset(request: Request) -> Any:
        state.reset()
        return ok(True)

    routes = [
        Route("/connect/login", login_page),
        Route("/session/token", session_token, methods=["POST"]),
        Route("/session/token", api(session_delete), methods=["DELETE"]),
        Route("/user/profile", api(profile)),
        Route("/user/margins", api(margins)),
        Route("/user/margins/{segment}", api(margins)),
        Route("/orders", api(orders)),
        Route("/orders/{order_id:str}/trades", api(order_trades)),
        Route("/orders/{variety:str}/{order_id:str}", api(modify), methods=["PUT"]),
        Route("/orders/{variety:str}/{order_id:str}", api(cancel), methods=["DELETE"]),
        Route("/orders/{variety:str}", api(place), methods=["POST"]),
        Route("/orders/{order_id:str}", api(order_history), methods=["GET"]),
        Route("/trades", api(trades)),
        Route("/portfolio/positions", api(positions)),
        Route("/portfolio/holdings", api(holdings)),
        Route("/quote", api(quote)),
        Route("/quote/ohlc", api(ohlc)),
        Route("/quote/ltp", api(ltp)),
        Route("/instruments", api(instruments)),
        Route("/instruments/historical/{token:int}/{interval:str}", api(historical)),
        Route("/instruments/{exchange:str}", api(instruments)),
        Route("/sandbox/price", control_price, methods=["POST"]),
        Route("/sandbox/market", control_market, methods=["POST"]),
        Route("/sandbox/fault", control_fault, methods=["POST"]),
        Route("/sandbox/orders", control_orders),
        Route("/sandbox/reset", control_reset, methods=["POST"]),
        WebSocketRoute("/ws", ticker_endpoint(state)),
    ]
    return Starlette(routes=routes, lifespan=state.lifespan)
