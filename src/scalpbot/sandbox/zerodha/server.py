"""Running the sandbox: in its own thread for tests, or in the foreground for the CLI.

server = SandboxServer(SandboxConfig(tick_interval=0.05))
http_url, ws_url = server.start_in_thread()     # "http://127.0.0.1:PORT", "ws://…/ws"
...
server.stop()
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn

from scalpbot.sandbox.zerodha.app import build_app
from scalpbot.sandbox.zerodha.state import SandboxConfig, SandboxState

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None, port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config)
        self.port = port or free_port()
        self._server = uvicorn.Server(
            uvicorn.Config(
                build_app(self.state),
                host=HOST,
                port=self.port,
                log_level="warning",
                ws="websockets-sansio",
                lifespan="on",
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws"

    async def serve(self) -> None:
        await self._server.serve()

    def start_in_thread(self, timeout: float = 10.0) -> tuple[str, str]:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.serve()), name="kite-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the Kite sandbox did not start on port {self.port}")
            time.sleep(0.02)
        return self.http_url, self.ws_url

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
