"""`scalpbot serve`: the dashboard's API and the trading session in one process and one loop.

    scalpbot serve                      # 127.0.0.1:8050, paper session on the simulated market
    scalpbot serve --no-start           # the API only; start a session from it
    scalpbot serve --host 0.0.0.0       # only once a dashboard password exists

One `asyncio.run`: uvicorn's server and, through the app's lifespan, the `SessionManager`
whose session task runs beside it; Ctrl-C or SIGTERM stops the server, and the lifespan stops
the session cleanly. The first start of a home without a dashboard user creates `admin` with a
random password, printed once on stdout (never logged). Listening on anything but a loopback
address is refused until a password has been set, so a fresh install is never exposed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scalpbot.cli.errors import fail, one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.cli.run import parse_speed
from scalpbot.config import load_settings
from scalpbot.runtime.factory import RunOptions
from scalpbot.runtime.home_store import open_home_store
from scalpbot.runtime.status import StatusPrinter

if TYPE_CHECKING:
    from fastapi import FastAPI

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@home_option
@click.option("--host", default=None, help="Address to listen on (default: server.host).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="Default: server.port.")
@click.option(
    "--start/--no-start",
    default=True,
    show_default=True,
    help="Start a paper session (trading.strategies, simulated market) at once.",
)
@click.option("--speed", default="1", show_default=True, help="Simulated market speed or 'max'.")
@click.option("--seed", default=7, show_default=True, type=int, help="Simulated market seed.")
@click.option("--resume", is_flag=True, help="Continue the last unfinished identical session.")
@click.option("--status-line", is_flag=True, help="Print the session's status line on stderr.")
@one_line_errors
def serve_command(
    home: Path,
    host: str | None,
    port: int | None,
    start: bool,
    speed: str,
    seed: int,
    resume: bool,
    status_line: bool,
) -> None:
    """Run the REST API and WebSocket push with the trading session (until Ctrl-C)."""
    from scalpbot.api.app import create_app
    from scalpbot.api.auth import FIRST_USER, create_first_user

    settings = load_settings(home)
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    home.mkdir(parents=True, exist_ok=True)
    store = open_home_store(settings, home)
    try:
        if not is_loopback(host) and store.users.count() == 0:
            fail(
                f"refusing to listen on {host}: a non-loopback address needs a dashboard "
                "password first; run `scalpbot admin set-password --password-stdin`, or serve "
                "on 127.0.0.1"
            )
        password = create_first_user(store)
        if password is not None:
            click.echo(
                f"created dashboard user {FIRST_USER!r} with the one-time password: {password}\n"
                "(shown only this once; change it with `scalpbot admin set-password`)"
            )
        options = RunOptions(feed="simulated", speed=parse_speed(speed), seed=seed)
        printer = StatusPrinter() if status_line else None
        app = create_app(
            home,
            store=store,
            run_options=options,
            start_session=start,
            resume=resume,
            status=printer,
        )
        try:
            asyncio.run(_serve(app, host, port))
        except SystemExit as exc:  # uvicorn's way of saying it could not start
            fail(f"the server could not start on {host}:{port} (exit {exc.code}; see above)")
        finally:
            if printer is not None:
                printer.close()
    finally:
        store.close()


async def _serve(app: FastAPI, host: str, port: int) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, saying where it listens once it does, and ending with exit status
        0 after a clean shutdown on SIGINT/SIGTERM (uvicorn re-raises the signal afterwards,
        which would kill the process before the store is closed)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            bound = port
            for listener in self.servers:
                for sock in listener.sockets:
                    bound = sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host else host
            click.echo(f"dashboard: http://{shown}:{bound}")
            sys.stdout.flush()

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
    )
    await Server(config).serve()
