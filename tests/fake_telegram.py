"""A fake Telegram Bot API server on 127.0.0.1 for tests: real HTTP, real sockets.

It speaks the subset scalpbot uses — `sendMessage`, `getUpdates` (with `offset` and `timeout`
long polling) and `getMe` — at `/bot<token>/<method>`, with Telegram's JSON envelope
(`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`).
It runs in its own thread with its own event loop, so synchronous tests, `asyncio.run` tests and
subprocesses can all talk to it.

    with FakeTelegram(token="123:ABC") as tg:
        tg.url                                  # "http://127.0.0.1:PORT" for api_url
        tg.inject("/status", chat_id=42)        # a user's message, delivered by getUpdates
        tg.wait_for(lambda: tg.texts(42))       # sync; `await tg.wait_async(...)` in a loop
        tg.fail_next(2, status=500)             # the next two sendMessage calls fail
        tg.rate_limit_next(1, retry_after=1)    # the next sendMessage gets 429
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class SentMessage:
    chat_id: str
    text: str
    at: float  # time.monotonic() when received


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token-abcdefghijklmnop", port: int = 0) -> None:
        """`port` 0 picks a free one; a fixed port lets a test bring a "dead" server back."""
        self.token = token
        self.messages: list[SentMessage] = []
        self.calls: list[str] = []  # method names, in order
        self.polls: list[dict[str, Any]] = []  # getUpdates payloads
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._failures: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = port
        self._closing = False

    # -- life cycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        self._closing = False
        ready = threading.Event()
        errors: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start_app())
            except BaseException as exc:  # report start-up failures to the caller
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_app())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Close the server (its port then refuses connections)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._closing = True
        woken = self._notify()  # long polls in progress answer now, not at their timeout
        if woken is not None:
            woken.result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _start_app(self) -> None:
        self._new_update = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop_app(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests do ---------------------------------------------------------------------------
    def inject(
        self, text: str, *, chat_id: int | str, date: float | None = None, user_id: int = 1
    ) -> int:
        """A user's message in `chat_id`; returns its update id."""
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": 1000 + update_id,
                        "from": {"id": user_id, "is_bot": False, "first_name": "Trader"},
                        "chat": {"id": int(chat_id), "type": "private"},
                        "date": int(time.time() if date is None else date),
                        "text": text,
                    },
                }
            )
        self._notify()
        return update_id

    def fail_next(self, count: int, *, status: int = 500, description: str = "Bad Gateway") -> None:
        body = {"ok": False, "error_code": status, "description": description}
        with self._lock:
            self._failures.extend((status, body) for _ in range(count))

    def rate_limit_next(self, count: int, *, retry_after: int = 1) -> None:
        body = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }
        with self._lock:
            self._failures.extend((429, body) for _ in range(count))

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        with self._lock:
            return [m.text for m in self.messages if chat_id is None or m.chat_id == str(chat_id)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Poll `condition` until it is truthy (returns it) or fail after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; messages so far: {self.texts()}")
            time.sleep(0.02)

    async def wait_async(self, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
        """`wait_for` for code running in an event loop (does not block the loop)."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; messages so far: {self.texts()}")
            await asyncio.sleep(0.02)

    def _notify(self) -> concurrent.futures.Future[None] | None:
        loop, condition = self._loop, self._new_update
        if loop is None or condition is None:
            return None

        async def wake() -> None:
            async with condition:
                condition.notify_all()

        return asyncio.run_coroutine_threadsafe(wake(), loop)

    # -- the Bot API -------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        with self._lock:
            self.calls.append(method)
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        payload: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                payload.update(await request.json())
            else:
                payload.update(dict(await request.post()))
        if method == "getMe":
            return _ok({"id": 123456, "is_bot": True, "first_name": "Fake", "username": "fake_bot"})
        if method == "sendMessage":
            return self._send_message(payload)
        if method == "getUpdates":
            return await self._get_updates(payload)
        return _error(404, "Not Found: method not found")

    def _send_message(self, payload: dict[str, Any]) -> web.Response:
        with self._lock:
            if self._failures:
                status, body = self._failures.pop(0)
                return web.json_response(body, status=status)
            chat_id, text = payload.get("chat_id"), payload.get("text")
            if chat_id is None or not text:
                return _error(400, "Bad Request: message text is empty")
            self.messages.append(SentMessage(str(chat_id), str(text), time.monotonic()))
            message_id = self._next_message
            self._next_message += 1
        return _ok(
            {
                "message_id": message_id,
                "chat": {"id": int(chat_id), "type": "private"},
                "date": int(time.time()),
                "text": text,
            }
        )

    async def _get_updates(self, payload: dict[str, Any]) -> web.Response:
        offset = int(payload.get("offset") or 0)
        timeout = float(payload.get("timeout") or 0)
        with self._lock:
            self.polls.append(dict(payload))
            if offset:  # confirming: updates below the offset are forgotten
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        condition = self._new_update
        assert condition is not None
        async with condition:  # checked under the condition's lock, so no wake-up is missed
            while True:
                with self._lock:
                    pending = [u for u in self._updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if pending or left <= 0 or self._closing:
                    return _ok(pending)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(condition.wait(), left)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )
