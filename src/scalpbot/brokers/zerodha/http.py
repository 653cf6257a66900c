"""`KiteHttp`: one place that speaks Kite Connect v3 over HTTP.

Every call carries `X-Kite-Version: 3` and, once logged in, `Authorization: token
api_key:access_token`; bodies are form-encoded; replies are `{"status": "success", "data": ...}`
(JSON) or CSV (instruments). Failed replies become domain errors (see `errors.py`).

Reads and writes fail differently, and that difference is the point of this module:

- a *read* (GET) changes nothing, so on `BrokerUnavailable` or `RateLimited` it is retried with
  exponential back-off, a bounded number of times;
- a *write* (an order) is sent once. If the connection could not even be opened nothing reached
  Kite and it may be tried again; once any byte may have left, a lost answer (timeout, dropped
  connection, 5xx) raises `OrderOutcomeUnknown` and the order code looks the order up by its tag.
  Sending it again is how bots double their positions.

Every request first passes the client-side rate limiter for its kind (see `rate_limit.py`).
Secrets (the access token, the API secret) never appear in messages: Kite's own error text is
scrubbed of them, and httpx's request log lines have `access_token=` values masked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from scalpbot.brokers.zerodha.constants import API_URL, KITE_VERSION, LOGIN_HINT
from scalpbot.brokers.zerodha.errors import KiteRateLimited, OrderOutcomeUnknown, error_from_reply
from scalpbot.brokers.zerodha.order_channel import OrderChannel, Reply
from scalpbot.brokers.zerodha.rate_limit import Category, KiteRateLimits
from scalpbot.domain import (
    BrokerError,
    BrokerUnavailable,
    RateLimited,
    SessionExpired,
)

log = logging.getLogger(__name__)

Method = Literal["GET", "POST", "PUT", "DELETE"]
Params = Mapping[str, str] | list[tuple[str, str]]
#: Sent with every call (by the httpx client, and by the event-loop order channel).
BASE_HEADERS: dict[str, str] = {"X-Kite-Version": KITE_VERSION, "User-Agent": "scalpbot-kite/1"}
_SECRET_QUERY = re.compile(r"(access_token|api_secret|checksum|request_token)=[^&\s\"']+")


class _RedactSecrets(logging.Filter):
    """Masks token values in log lines of httpx, which logs each request's full URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        redacted = _SECRET_QUERY.sub(r"\1=***", text)
        if redacted != text:
            record.msg, record.args = redacted, None
        return True


for _name in ("httpx", "httpcore"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactSecrets) for f in _logger.filters):
        _logger.addFilter(_RedactSecrets())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try.

    `attempts` bounds a read (first try included); delays double from `base_delay_s` up to
    `max_delay_s`. `connect_attempts` bounds a write Kite never took (no connection, or 429).
    `resolve_polls` and `resolve_delay_s` govern the order-book polls that resolve an order
    whose outcome was lost.
    """

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    connect_attempts: int = 3
    resolve_polls: int = 3
    resolve_delay_s: float = 1.0

    def delay(self, attempt: int) -> float:
        """Back-off before try `attempt + 1`."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


class _NotSent(BrokerUnavailable):
    """The connection could not be opened: nothing reached Kite."""


class KiteHttp:
    """Kite Connect's REST API over one `httpx.Client` (connection reuse, timeouts).

    http = KiteHttp("api_key", access_token, base_url="http://127.0.0.1:8001")
    data = http.get("/user/profile")                      # the reply's "data"
    csv_text = http.get_text("/instruments/NSE")
    order = http.write("POST", "/orders/regular", form)   # sent once, see module docstring
    """

    def __init__(
        self,
        api_key: str,
        access_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 7.0,
        limits: KiteRateLimits | None = None,
        retry: RetryPolicy | None = None,
        secrets: Sequence[str] = (),
        on_session_expired: Callable[[], None] | None = None,
    ) -> None:
        self.api_key = api_key
        self.access_token = access_token
        self.base_url = (base_url or API_URL).rstrip("/")
        self.limits = limits or KiteRateLimits()
        self.retry = retry or RetryPolicy()
        self.on_session_expired = on_session_expired
        self._secrets = [s for s in secrets if s]
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            headers=BASE_HEADERS,
        )

    def __repr__(self) -> str:
        return f"KiteHttp(base_url={self.base_url!r})"

    def add_secret(self, value: str) -> None:
        """Another value to scrub from every error message (e.g. the API secret)."""
        if value and value not in self._secrets:
            self._secrets.append(value)

    def close(self) -> None:
        self._client.close()

    # -- reads ---------------------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None, *, category: Category = "other") -> Any:
        """GET `path` and return the reply's `data`; retried on transient failures."""
        return self._read(path, params, category, want_text=False)

    def get_text(
        self, path: str, params: Params | None = None, *, category: Category = "other"
    ) -> str:
        """GET a CSV reply (the instrument master) as text; retried like `get`."""
        text = self._read(path, params, category, want_text=True)
        assert isinstance(text, str)
        return text

    def _read(self, path: str, params: Params | None, category: Category, want_text: bool) -> Any:
        attempts = max(1, self.retry.attempts)
        for attempt in range(1, attempts + 1):
            self.limits.acquire(category)
            try:
                return self._send("GET", path, params=params, want_text=want_text)
            except (BrokerUnavailable, RateLimited) as exc:
                if attempt == attempts:
                    raise
                delay = self._retry_after(exc) or self.retry.delay(attempt)
                log.warning(
                    "GET %s failed (%s); retry %d/%d in %.2fs",
                    path,
                    type(exc).__name__,
                    attempt,
                    attempts - 1,
                    delay,
                )
                self.limits.clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- writes --------------------------------------------------------------------------------

    def write(
        self,
        method: Method,
        path: str,
        form: Mapping[str, str] | None = None,
        *,
        params: Params | None = None,
        category: Category = "order",
        auth: bool = True,
    ) -> Any:
        """Send a write once and return the reply's `data`.

        Only a request Kite never took is tried again: a connection that could not be opened,
        and a 429 (Kite's rate limiter refuses before the request is acted on), after the wait
        Kite asked for or the back-off. For an
        order call (`category="order"`) Kite's input errors are `OrderRejected` and a lost
        answer raises `OrderOutcomeUnknown`; session calls (login, logout) map errors as reads.
        """
        order_call = category == "order"
        attempts = max(1, self.retry.connect_attempts)
        for attempt in range(1, attempts + 1):
            self.limits.acquire(category)
            try:
                return self._send(
                    method, path, params=params, form=form, write=order_call, auth=auth
                )
            except KiteRateLimited as exc:
                if attempt == attempts:
                    raise
                delay = self._retry_after(exc) or self.retry.delay(attempt)
                log.warning("%s %s: rate limited by Kite; retry in %.2fs", method, path, delay)
                self.limits.clock.sleep(delay)
            except _NotSent as exc:
                if attempt == attempts:
                    raise BrokerUnavailable(
                        f"{method} {path}: could not connect to Kite at {self.base_url} "
                        f"({attempts} tries); nothing was sent"
                    ) from exc
                delay = self.retry.delay(attempt)
                log.warning("%s %s: could not connect; retry in %.2fs", method, path, delay)
                self.limits.clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one exchange --------------------------------------------------------------------------

    def _send(
        self,
        method: Method,
        path: str,
        *,
        params: Params | None = None,
        form: Mapping[str, str] | None = None,
        write: bool = False,
        auth: bool = True,
        want_text: bool = False,
    ) -> Any:
        what = f"{method} {path}"
        headers: dict[str, str] = {}
        if auth:
            if not self.access_token:
                raise SessionExpired(f"{what}: no valid Kite access token; {LOGIN_HINT}")
            headers["Authorization"] = self._authorization()
        query: list[tuple[str, str | int | float | bool | None]] = []
        if params:
            query.extend(params.items() if isinstance(params, Mapping) else params)
        try:
            response = self._client.request(
                method, path, params=query, data=dict(form) if form else None, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _NotSent(f"{what}: could not connect to Kite ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection lost"
            if write:
                raise OrderOutcomeUnknown(
                    f"{what}: {kind} ({type(exc).__name__}) after the request was sent; "
                    "its outcome is unknown"
                ) from None
            raise BrokerUnavailable(f"{what}: {kind} ({type(exc).__name__})") from None
        return self._parse(
            response.status_code, response.headers, response.text, what, write, want_text
        )

    # -- order writes from the event loop (see order_channel.py) -------------------------------

    def begin_order_write(
        self, channel: OrderChannel, method: Method, path: str, form: Mapping[str, str]
    ) -> asyncio.Future[Reply] | None:
        """Write an order request now on `channel`, or None (nothing sent) when it cannot go
        at once: no token (the ordinary path says why), no idle connection, or no free slot
        under Kite's order rate limit (the ordinary path waits for one)."""
        if not self.access_token:
            return None
        headers = {**BASE_HEADERS, "Authorization": self._authorization()}
        return channel.send(
            method, path, form, headers, admit=lambda: self.limits.try_acquire("order")
        )

    def _authorization(self) -> str:
        return f"token {self.api_key}:{self.access_token}"

    def finish_order_write(self, reply: Reply, what: str) -> Any:
        """The `data` of an order write's reply, or the error it stands for (as `write`)."""
        return self._parse(reply.status, reply.headers, reply.text, what, True, False)

    def _parse(
        self,
        status: int,
        headers: Mapping[str, str],
        text: str,
        what: str,
        write: bool,
        want_text: bool,
    ) -> Any:
        content_type = headers.get("content-type", "")
        body: Mapping[str, Any] | None = None
        if "json" in content_type:
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            body = loaded if isinstance(loaded, dict) else None
        failed = status >= 400 or (body is not None and body.get("status") == "error")
        if failed:
            error = error_from_reply(
                status,
                body,
                what,
                write=write,
                retry_after=_retry_after_header(headers),
                scrub=self._scrub,
            )
            if isinstance(error, SessionExpired) and self.on_session_expired is not None:
                self.on_session_expired()
            raise error
        if want_text:
            if "json" in content_type:
                raise BrokerError(f"{what}: expected CSV from Kite, got JSON")
            return text
        if body is None or "data" not in body:
            problem = (
                f"{what}: unreadable reply from Kite (HTTP {status}, "
                f"{content_type or 'no content type'})"
            )
            if write:
                raise OrderOutcomeUnknown(problem + "; the outcome of the request is unknown")
            raise BrokerUnavailable(problem)
        return body["data"]

    def _scrub(self, text: str) -> str:
        for secret in [*self._secrets, self.access_token or ""]:
            if secret:
                text = text.replace(secret, "***")
        return _SECRET_QUERY.sub(r"\1=***", text)

    def _retry_after(self, exc: BaseException) -> float:
        """Seconds a 429 asked us to wait (Retry-After), capped; 0 when it did not say."""
        if isinstance(exc, KiteRateLimited) and exc.retry_after > 0:
            return min(exc.retry_after, self.retry.max_delay_s)
        return 0.0


def _retry_after_header(headers: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(headers.get("retry-after", "0")))
    except ValueError:
        return 0.0
