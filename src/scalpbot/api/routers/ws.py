"""`/ws`: the push channel (status, orders, fills, positions, P&L, log lines, watched ticks).

Authenticated by `AuthMiddleware` before the handshake is accepted: the session cookie (from a
page of the same origin), `Authorization: Bearer`, or `?token=` (a login or API token).
On connecting the client gets a snapshot (status, P&L, positions, working orders); from then
on what `scalpbot.api.push` sends. The client may send `{"watch": ["NSE:INFY", ...]}` to
receive that instrument's ticks (an empty list stops them); anything else is answered with an
"error" message and otherwise ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from scalpbot.api.deps import ApiContext
from scalpbot.api.push import MAX_WATCHED, PushClient, encode
from scalpbot.config.fields import SymbolKey

router = APIRouter()

_WATCH = TypeAdapter(list[SymbolKey])
MAX_MESSAGE = 16_384


@router.websocket("/ws")
async def push_channel(websocket: WebSocket) -> None:
    context: ApiContext = websocket.app.state.api
    await websocket.accept()
    client = context.hub.connect()
    sender = asyncio.create_task(_send(websocket, client))
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                break
            text = received.get("text")
            if text is None:
                client.put(encode("error", {"message": "send text (JSON) messages"}))
                continue
            client.put(_handle(context, client, text))
    except WebSocketDisconnect:
        pass
    finally:
        context.hub.disconnect(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _send(websocket: WebSocket, client: PushClient) -> None:
    while True:
        message = await client.get()
        await websocket.send_text(message)


def _handle(context: ApiContext, client: PushClient, text: str) -> str:
    if len(text) > MAX_MESSAGE:
        return encode("error", {"message": f"message longer than {MAX_MESSAGE} characters"})
    try:
        message: Any = json.loads(text)
    except json.JSONDecodeError:
        return encode("error", {"message": 'not JSON; send {"watch": ["NSE:INFY"]}'})
    if not isinstance(message, dict) or set(message) != {"watch"}:
        return encode("error", {"message": 'unknown message; send {"watch": ["NSE:INFY"]}'})
    try:
        keys = _WATCH.validate_python(message["watch"])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in ("watch", *first["loc"]))
        return encode("error", {"message": f"{where}: {first['msg']}"})
    if len(keys) > MAX_WATCHED:
        return encode("error", {"message": f"watch at most {MAX_WATCHED} instruments"})
    return encode("watching", {"instruments": context.hub.set_watch(client, keys)})
