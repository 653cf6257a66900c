"""`scalpbot sandbox zerodha`: a local Kite Connect server to try scalpbot on without an
account (and what the adapter's tests run against). See docs/sandbox.md."""

from __future__ import annotations

import asyncio
import contextlib

import click

from scalpbot.sandbox.zerodha.server import SandboxServer
from scalpbot.sandbox.zerodha.state import SandboxConfig


@click.group("sandbox")
def sandbox_command() -> None:
    """Local stand-ins for brokers."""


@sandbox_command.command("zerodha")
@click.option("--port", default=8600, show_default=True, type=click.IntRange(1, 65535))
@click.option("--api-key", default="sandbox_key", show_default=True)
@click.option("--api-secret", default="sandbox_secret", show_default=True)
@click.option(
    "--redirect-url",
    default="http://127.0.0.1:8050/api/broker/zerodha/callback",
    show_default=True,
    help="Where the login page sends the request token (the dashboard's callback).",
)
@click.option("--tick-interval", default=0.5, show_default=True, type=click.FloatRange(0.01))
@click.option(
    "--time-scale", default=1.0, show_default=True, type=click.FloatRange(0.001),
    help="Exchange clock speed: 60 makes one real second an exchange minute.",
)  # fmt: skip
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--postback-url", default=None, help="POST order updates here (with checksum).")
def zerodha_command(
    port: int,
    api_key: str,
    api_secret: str,
    redirect_url: str,
    tick_interval: float,
    time_scale: float,
    seed: int,
    postback_url: str | None,
) -> None:
    """Run a Kite Connect v3 sandbox (REST, login page, binary ticker) on 127.0.0.1."""
    config = SandboxConfig(
        api_key=api_key,
        api_secret=api_secret,
        redirect_url=redirect_url,
        tick_interval=tick_interval,
        time_scale=time_scale,
        seed=seed,
        postback_url=postback_url,
    )
    server = SandboxServer(config, port=port)
    click.echo("Kite sandbox (not a real broker: simulated prices and fills)")
    click.echo(f"  HTTP:      {server.http_url}      (login page {server.http_url}/connect/login)")
    click.echo(f"  WebSocket: {server.ws_url}")
    click.echo(f"  api_key:   {api_key}")
    click.echo(f"  api_secret: {api_secret}")
    click.echo("Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())
