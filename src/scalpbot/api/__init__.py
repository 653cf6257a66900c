"""The REST API and WebSocket push of a scalpbot installation (FastAPI).

`create_app(home)` builds the app; `scalpbot serve` runs it together with the trading session
in one event loop. See docs/api.md for logging in, tokens, CSRF and the endpoints.
"""

from scalpbot.api.app import create_app

__all__ = ["create_app"]
