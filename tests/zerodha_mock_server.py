"""A small Kite Connect v3 server on 127.0.0.1 for the adapter's tests.

It serves the mock bodies Zerodha publishes (copied to tests/data/zerodha/), checks what Kite
checks (the `Authorization` header, the login checksum), keeps an order book that `POST
/orders/{variety}` adds to, records every request (method, path, query, headers, form), and
misbehaves on demand: `fail()` queues error replies, stalls after accepting an order, or
dropped connections for one route. It is a real HTTP/1.1 server (keep-alive, threads), so the
adapter's httpx client runs exactly as it does against Kite.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

DATA = Path(__file__).parent / "data" / "zerodha"
# Rows the published instruments sample lacks but the tests trade (our own test data, in
# Kite's CSV layout): RELIANCE and INFY on NSE, SBIN as in the published orders and postback.
EXTRA_INSTRUMENTS = (
    "738561,2885,RELIANCE,RELIANCE INDUSTRIES,0.0,,0.0,0.1,1,EQ,NSE,NSE\n"
    "408065,1594,INFY,INFOSYS,0.0,,0.0,0.05,1,EQ,NSE,NSE\n"
    "779521,3045,SBIN,STATE BANK OF INDIA,0.0,,0.0,0.05,1,EQ,NSE,NSE\n"
)


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@dataclass
class Recorded:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes


@dataclass
class Fault:
    """One misbehaviour: reply `status` with `body` (JSON) or `text`; with `accept`, first
    handle the request as usual (an order enters the book); `stall_s` waits before replying;
    `drop` closes the connection without any reply."""

    status: int = 503
    body: dict[str, Any] | None = None
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    accept: bool = False
    stall_s: float = 0.0
    drop: bool = False


def kite_error(error_type: str, message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "error_type": error_type, "data": None}


class KiteMock:
    def __init__(
        self,
        api_key: str = "mockkey",
        api_secret: str = "mocksecretvalue42",
        access_token: str = "mockaccesstoken0123456789",
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.access_token = access_token
        self.request_token = "reqtoken42"
        self.requests: list[Recorded] = []
        self.faults: dict[tuple[str, str], deque[Fault]] = {}
        self.orders: list[dict[str, Any]] = fixture("orders.json")["data"]
        self.instruments_csv = (DATA / "instruments_nse.csv").read_text() + EXTRA_INSTRUMENTS
        self._next_id = 250101000000001
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> KiteMock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, method: str, path: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault((method, path), deque()).extend(faults)

    def calls(self, method: str, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and (path is None or r.path == path)
            ]

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at shutdown so a stalled handler never outlives its test."""
        self._release.wait(seconds)

    # -- routes --------------------------------------------------------------------------------

    def route(self, req: Recorded) -> tuple[int, Any, str]:
        """(status, JSON body or CSV text, content type) for one request."""
        path = req.path
        if path == "/session/token":
            return self._session(req)
        expected = f"token {self.api_key}:{self.access_token}"
        if req.headers.get("authorization") != expected:
            body = kite_error("TokenException", "Incorrect `api_key` or `access_token`.")
            return 403, body, "application/json"
        parts = [p for p in path.split("/") if p]
        if req.method == "POST" and len(parts) == 2 and parts[0] == "orders":
            return 200, self._place(req, parts[1]), "application/json"
        if req.method in ("PUT", "DELETE") and len(parts) == 3 and parts[0] == "orders":
            name = "order_modify.json" if req.method == "PUT" else "order_cancel.json"
            body = fixture(name)
            body["data"]["order_id"] = parts[2]
            return 200, body, "application/json"
        if parts[:1] == ["instruments"] and len(parts) <= 2:
            text = self.instruments_csv
            if len(parts) == 2:
                head, *rows = text.splitlines(keepends=True)
                text = head + "".join(r for r in rows if r.rstrip().endswith("," + parts[1]))
            return 200, text, "text/csv"
        if parts[:2] == ["instruments", "historical"]:
            return 200, self._candles(req), "application/json"
        if path == "/orders":
            with self._lock:
                book = copy.deepcopy(self.orders)
            return 200, {"status": "success", "data": book}, "application/json"
        if len(parts) == 2 and parts[0] == "orders":
            return self._history(parts[1])
        if path in ("/quote", "/quote/ohlc", "/quote/ltp"):
            return 200, self._quote(req), "application/json"
        simple = {
            "/user/profile": "profile.json",
            "/user/margins": "margins.json",
            "/trades": "trades.json",
            "/portfolio/positions": "positions.json",
            "/portfolio/holdings": "holdings.json",
        }
        if path in simple:
            return 200, fixture(simple[path]), "application/json"
        if len(parts) == 3 and parts[0] == "orders" and parts[2] == "trades":
            return 200, fixture("order_trades.json"), "application/json"
        return 404, kite_error("GeneralException", f"no route {path}"), "application/json"

    def _session(self, req: Recorded) -> tuple[int, Any, str]:
        if req.method == "DELETE":
            return 200, fixture("session_logout.json"), "application/json"
        token = req.form.get("request_token", "")
        digest = hashlib.sha256(f"{self.api_key}{token}{self.api_secret}".encode()).hexdigest()
        if token != self.request_token or req.form.get("checksum") != digest:
            return 403, kite_error("TokenException", "Invalid `checksum`."), "application/json"
        body = fixture("generate_session.json")
        body["data"].update(api_key=self.api_key, access_token=self.access_token)
        body["data"]["login_time"] = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        return 200, body, "application/json"

    def _place(self, req: Recorded, variety: str) -> dict[str, Any]:
        with self._lock:
            order_id = str(self._next_id)
            self._next_id += 1
            row = copy.deepcopy(self.orders[-1])
            row.update(
                order_id=order_id,
                variety=variety,
                status="OPEN",
                tag=req.form.get("tag"),
                exchange=req.form.get("exchange"),
                tradingsymbol=req.form.get("tradingsymbol"),
                transaction_type=req.form.get("transaction_type"),
                order_type=req.form.get("order_type"),
                product=req.form.get("product"),
                quantity=int(req.form.get("quantity", "0")),
                filled_quantity=0,
                pending_quantity=int(req.form.get("quantity", "0")),
                order_timestamp=datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            )
            self.orders.append(row)
        body = fixture("order_response.json")
        body["data"]["order_id"] = order_id
        return body

    def _history(self, order_id: str) -> tuple[int, Any, str]:
        published = fixture("order_info.json")
        if published["data"][0]["order_id"] == order_id:
            return 200, published, "application/json"
        with self._lock:
            rows = [copy.deepcopy(r) for r in self.orders if r["order_id"] == order_id]
        if not rows:
            body = kite_error("InputException", "Couldn't find that `order_id`.")
            return 400, body, "application/json"
        return 200, {"status": "success", "data": rows}, "application/json"

    def _quote(self, req: Recorded) -> dict[str, Any]:
        name = {"/quote": "quote.json", "/quote/ohlc": "ohlc.json", "/quote/ltp": "ltp.json"}
        template = next(iter(fixture(name[req.path])["data"].values()))
        known = {f"{line.split(',')[11]}:{line.split(',')[2]}" for line in self._rows()}
        data = {k: template for key, k in req.query if key == "i" and k in known}
        return {"status": "success", "data": data}

    def _rows(self) -> Iterator[str]:
        yield from self.instruments_csv.splitlines()[1:]

    def _candles(self, req: Recorded) -> dict[str, Any]:
        """The published minute candles when asked for their day; otherwise one candle at the
        page's `from` (so paging shows in the result)."""
        query = dict(req.query)
        start = datetime.strptime(query["from"], "%Y-%m-%d %H:%M:%S")
        end = datetime.strptime(query["to"], "%Y-%m-%d %H:%M:%S")
        published = fixture("historical_minute.json")
        if start <= datetime(2017, 12, 15, 9, 15) <= end:
            return published
        candle = [start.strftime("%Y-%m-%dT%H:%M:%S+0530"), 100, 101, 99, 100.5, 10]
        return {"status": "success", "data": {"candles": [candle]}}


def _handler_for(mock: KiteMock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()} if body else {}
            req = Recorded(
                method=self.command,
                path=split.path,
                query=parse_qsl(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                form=form,
                body=body,
            )
            with mock._lock:
                mock.requests.append(req)
                queue = mock.faults.get((self.command, split.path))
                fault = queue.popleft() if queue else None
            if fault is None or fault.accept:
                status, payload, kind = mock.route(req)
            if fault is not None:
                mock.wait(fault.stall_s)
                if fault.drop:
                    self.close_connection = True
                    return
                if fault.body is not None:
                    status, payload, kind = fault.status, fault.body, "application/json"
                elif fault.text or not fault.accept:
                    status, payload, kind = fault.status, fault.text, "text/html"
                else:
                    status = fault.status
            self._reply(status, payload, kind, fault.headers if fault else {})

        def _reply(self, status: int, payload: Any, kind: str, headers: dict[str, str]) -> None:
            raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Handler


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


class FakeClock:
    """Monotonic time that moves only when someone sleeps; records the sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)
