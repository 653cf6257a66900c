"""`OrderChannel`: HTTP/1.1 requests written to the socket from the event loop, in the call.

Why this exists: the engine decides on a tick, on the event loop. Handing the request to a
worker thread (as `KiteHttp`'s blocking client needs) costs a thread wake-up plus a wait for the
GIL while the loop finishes its turn: on a busy session that hand-over was most of the time
from tick to request, and all of its tail. Here the request's bytes are framed and handed
to an already-open asyncio transport inside `send`, so they are on the wire before the loop does
anything else; the reply is read by the loop like any other socket and resolves a future.

The channel keeps a few keep-alive connections open (`open`, `warm`); a request goes out only on
an idle one. When none is idle (all busy, not yet open, or closed by the server) `send` returns
None and the caller uses its ordinary path — nothing is queued here, so nothing waits unseen.

What can go wrong is reported in the terms an order needs (see `http.py`): bytes that may have
left and got no whole answer (timeout, dropped connection, garbled reply) resolve the future with
`ReplyLost`, and the caller must find out what happened, never resend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import select
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import httptools

log = logging.getLogger(__name__)

#: Seconds before a connection the server closed is replaced.
REOPEN_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class Reply:
    """One whole HTTP reply."""

    status: int
    headers: Mapping[str, str]  # lower-case names
    text: str


class ReplyLost(Exception):
    """The request may have reached the server but no whole reply came back."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight; replies are parsed by
    httptools (llhttp, the parser of Node.js), requests are framed here (see `frame`)."""

    def __init__(
        self,
        on_idle: Callable[[_Connection], None],
        on_closed: Callable[[_Connection], None],
    ):
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._on_idle = on_idle
        self._on_closed = on_closed
        self._reply: asyncio.Future[Reply] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._headers: dict[str, str] = {}
        self._body = bytearray()
        self.closed = False

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self._reply is None:  # nothing asked: a server speaking out of turn
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"unreadable HTTP reply ({exc})")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail("connection lost")
        self._on_closed(self)

    # -- httptools callbacks -------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        reply = Reply(
            self._parser.get_status_code(), self._headers, self._body.decode("utf-8", "replace")
        )
        self._headers, self._body = {}, bytearray()
        future, self._reply = self._reply, None
        self._cancel_timer()
        if not self._parser.should_keep_alive():
            self.close()
        if future is not None and not future.done():
            future.set_result(reply)
        if self.idle:
            self._on_idle(self)

    # -- requests ------------------------------------------------------------------------------
    def send(self, request: bytes, reply: asyncio.Future[Reply], timeout: float) -> None:
        """Write one framed request now; `reply` gets its answer."""
        assert self._transport is not None and self._reply is None
        self._reply = reply
        self._transport.write(request)
        self._timer = asyncio.get_running_loop().call_later(timeout, self._timed_out, timeout)

    @property
    def idle(self) -> bool:
        return not self.closed and self._reply is None and self._transport is not None

    def went_stale(self) -> bool:
        """True (and the connection closed) when the server has closed it or spoken out of
        turn and the loop has not read that yet: a request written there would be lost."""
        assert self._transport is not None
        sock = self._transport.get_extra_info("socket")
        if sock is None:
            return False
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            self.close()
        return bool(readable)

    def close(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.close()
        self.closed = True

    # -- internals -----------------------------------------------------------------------------
    def _timed_out(self, timeout: float) -> None:
        self._timer = None
        self._fail(f"timed out after {timeout:g} s")
        self.close()

    def _fail(self, why: str) -> None:
        self._cancel_timer()
        future, self._reply = self._reply, None
        if future is not None and not future.done():
            future.set_exception(ReplyLost(why))
            self.close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def frame(method: str, target: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """An HTTP/1.1 request's bytes. Framed by hand because this sits between a tick and its
    order (a general-purpose framer costs several times more); what goes in is checked first,
    so no value can break the framing (a control character, a space in the request line, a
    header name that is not a token)."""
    if _CONTROL.search("".join((method, target, *headers.values()))) or " " in method + target:
        raise ValueError(f"{method} {target}: a control character or space would break the request")
    for name in headers:
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid HTTP header name")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{method} {target} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + body


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class OrderChannel:
    """A few keep-alive connections to one HTTP(S) server, used from one event loop.

    channel = OrderChannel("https://api.kite.trade", connections=2, timeout=7.0)
    await channel.open()                       # or channel.warm() from the loop, not waiting
    reply = channel.send("POST", "/orders/regular", {"quantity": "1"}, headers)
    if reply is None: ...                      # no idle connection: use the ordinary path
    answer = await reply                       # Reply, or raises ReplyLost
    """

    def __init__(self, base_url: str, *, connections: int = 2, timeout: float = 7.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OrderChannel needs an http(s) URL, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/")
        self.authority = parts.netloc
        self.connections = max(1, connections)
        self.timeout = timeout
        #: Called with the request's path just before its bytes are written (latency probes).
        self.on_write: Callable[[str], None] | None = None
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._opening: set[asyncio.Task[None]] = set()
        self._shut = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def send(
        self,
        method: str,
        path: str,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        admit: Callable[[], bool] = lambda: True,
    ) -> asyncio.Future[Reply] | None:
        """Write the request now on an idle connection and return the future of its reply, or
        None (nothing written) when no connection is idle or `admit` (asked only once a
        connection is in hand, e.g. for a rate-limit slot) says no; call it on the event loop."""
        loop = self._bind_loop()
        connection = self._take_idle()
        if connection is None:
            self.warm()  # for the next request
            return None
        if not admit():
            self._idle.append(connection)
            return None
        body = urlencode(list(form.items())).encode() if form else b""
        fields = {"Host": self.authority, **headers}
        if form:
            fields["Content-Type"] = "application/x-www-form-urlencoded"
        fields["Content-Length"] = str(len(body))
        try:
            request = frame(method, self.prefix + path, fields, body)
        except ValueError:
            self._idle.append(connection)
            raise
        reply: asyncio.Future[Reply] = loop.create_future()
        if self.on_write is not None:
            self.on_write(path)
        connection.send(request, reply, self.timeout)
        if len(self._all) + len(self._opening) < self.connections:
            self.warm()  # a connection the server closed is replaced, after the request left
        return reply

    async def open(self) -> None:
        """Open the pool's connections and wait for them (e.g. when a session starts)."""
        self.warm()
        await asyncio.gather(*self._opening)

    def warm(self) -> None:
        """Start opening connections up to the pool's size, without waiting (this also
        reopens a channel that was closed)."""
        loop = self._bind_loop()
        self._shut = False
        for _ in range(self.connections - len(self._all) - len(self._opening)):
            task = loop.create_task(self._open_one())
            self._opening.add(task)
            task.add_done_callback(self._opening.discard)

    def close(self) -> None:
        """Close the connections (from any thread; a finished loop's are simply dropped)."""
        loop, connections = self._loop, list(self._all)
        self._shut = True
        self._forget()
        if loop is None or loop.is_closed():
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        for connection in connections:
            if on_loop:
                connection.close()
            else:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(connection.close)

    @property
    def idle_connections(self) -> int:
        return sum(1 for c in self._idle if c.idle)

    def _refill(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._shut and loop is self._loop:
            self.warm()

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        """The running loop; connections made on an earlier one (now gone) are forgotten."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._forget()
            self._loop = loop
        return loop

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.idle and not connection.went_stale():
                return connection
        return None

    async def _open_one(self) -> None:
        loop = asyncio.get_running_loop()
        connection = _Connection(self._idle.append, self._closed)
        try:
            context = ssl.create_default_context() if self.tls else None
            await loop.create_connection(
                lambda: connection,
                self.host,
                self.port,
                ssl=context,
                server_hostname=self.host if context else None,
            )
        except OSError as exc:
            log.warning("order channel to %s:%d could not connect: %s", self.host, self.port, exc)
            return
        if loop is not self._loop:  # opened for a loop that has since been replaced
            connection.close()
            return
        self._all.add(connection)
        self._idle.append(connection)

    def _closed(self, connection: _Connection) -> None:
        """A connection ended. Servers close idle keep-alive connections:
        another is opened, so that an order an hour after the last one still leaves from the
        loop (paced, so a server that closes every connection at once costs a connect a second,
        no more)."""
        self._all.discard(connection)
        loop = self._loop
        if not self._shut and loop is not None and not loop.is_closed():
            loop.call_later(REOPEN_AFTER_S, self._refill, loop)

    def _forget(self) -> None:
        self._idle.clear()
        self._all.clear()
        self._opening = set()
