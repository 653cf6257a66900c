"""The sandbox's ticker: Kite's WebSocket protocol at `/ws?api_key=..&access_token=..`.

Clients send JSON `{"a": "subscribe"|"unsubscribe", "v": [tokens]}` and
`{"a": "mode", "v": [mode, [tokens]]}`; they receive binary frames for their instruments in
their modes, one-byte heartbeats, and order updates as text. A bad token is refused at the
handshake with HTTP 403, as Kite does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

if TYPE_CHECKING:
    from scalpbot.sandbox.zerodha.state import SandboxState


def _apply(client: Any, message: dict[str, Any]) -> None:
    action, value = message.get("a"), message.get("v")
    if action == "subscribe" and isinstance(value, list):
        for token in value:
            client.modes.setdefault(int(token), "quote")
    elif action == "unsubscribe" and isinstance(value, list):
        for token in value:
            client.modes.pop(int(token), None)
    elif action == "mode" and isinstance(value, list) and len(value) == 2:
        mode, tokens = value
        if mode in ("ltp", "quote", "full"):
            for token in tokens:
                client.modes[int(token)] = mode


def ticker_endpoint(state: SandboxState) -> Callable[[WebSocket], Awaitable[None]]:
    from scalpbot.sandbox.zerodha.state import TickerClient

    async def endpoint(socket: WebSocket) -> None:
        params = socket.query_params
        if state.faults.down:  # a "ws_down" fault: the ticker is unreachable for a while
            await socket.send_denial_response(_unavailable())
            return
        if (
            params.get("api_key") != state.config.api_key
            or params.get("access_token") not in state.tokens
        ):
            await socket.send_denial_response(
                _denial()  # HTTP 403 at the handshake, as Kite refuses a bad token
            )
            return
        await socket.accept()
        client = TickerClient(socket)
        state.clients.append(client)

        async def reader() -> None:
            while True:
                text = await socket.receive_text()
                with contextlib.suppress(ValueError, TypeError):
                    message = json.loads(text)
                    if isinstance(message, dict):
                        _apply(client, message)

        read = asyncio.create_task(reader())
        try:
            while True:
                out = await client.outbox.get()
                if out is None:
                    break  # a "ws_drop" fault
                if isinstance(out, bytes):
                    await socket.send_bytes(out)
                else:
                    await socket.send_text(out)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            read.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await read
            state.clients.remove(client)
            with contextlib.suppress(Exception):
                await socket.close()

    return endpoint


def _denial() -> Any:
    from starlette.responses import JSONResponse

    body = {"status": "error", "message": "Invalid `api_key` or `access_token`.",
            "error_type": "TokenException"}  # fmt: skip
    return JSONResponse(body, status_code=403)


def _unavailable() -> Any:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("ticker unavailable (sandbox fault)", status_code=503)
