"""Kite Connect's login: the redirect flow, its checksums and the stored access token.

The flow: the user opens `login_url(api_key)`, logs in at Zerodha, and is redirected to the app's
redirect URL with `?request_token=...&status=success`; the app exchanges that token for an access
token with `POST /session/token` and `checksum = sha256(api_key + request_token + api_secret)`.
The access token lapses at 06:00 IST the next morning, so it is kept with that expiry, in a file
only its owner can read (mode 0600), and a stale one is treated as absent.

    url = login_url("my_api_key")
    token = request_token_from("http://127.0.0.1:5000/cb?request_token=abc&status=success")
    store = TokenStore(home / "zerodha_token.json")
    store.save(access_token, user_id="AB1234")
    stored = store.load()          # None once 06:00 IST has passed
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from scalpbot.brokers.zerodha.constants import (
    KITE_VERSION,
    LOGIN_BASE,
    LOGIN_PATH,
    TOKEN_EXPIRY_HOUR_IST,
)
from scalpbot.domain import IST, ConfigError

log = logging.getLogger(__name__)
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9]+$")


def login_url(api_key: str, base: str = LOGIN_BASE) -> str:
    """Where the user logs in: `{base}/connect/login?api_key=...&v=3`.

    `base` is Kite's site or a sandbox's address; a base that already ends in `/connect/login`
    is accepted as it is.
    """
    if not api_key:
        raise ConfigError("broker.api_key is empty: give the Kite Connect app's API key")
    root = base.rstrip("/")
    if not root.endswith(LOGIN_PATH):
        root += LOGIN_PATH
    return f"{root}?{urlencode({'api_key': api_key, 'v': KITE_VERSION})}"


def checksum(api_key: str, request_token: str, api_secret: str) -> str:
    """The `checksum` of `POST /session/token`: sha256 hex of key + request token + secret."""
    return hashlib.sha256((api_key + request_token + api_secret).encode()).hexdigest()


def postback_checksum(order_id: str, order_timestamp: str, api_secret: str) -> str:
    """The checksum Kite puts on an order postback: sha256 of id + timestamp + secret."""
    return hashlib.sha256((order_id + order_timestamp + api_secret).encode()).hexdigest()


def request_token_from(url_or_token: str) -> str:
    """The request token out of the redirected URL (or a bare token pasted as it is).

    A redirect that says `status=error`, or carries no `request_token`, is a failed login and
    raises `ConfigError` saying so.
    """
    text = url_or_token.strip()
    if not text:
        raise ConfigError("no request token given: paste the URL Kite redirected you to")
    looks_like_url = "://" in text or "?" in text or "=" in text
    if not looks_like_url:
        if not _TOKEN_SHAPE.match(text):
            raise ConfigError(
                "that is neither a redirected URL nor a request token (letters and digits): "
                "paste the whole URL Kite redirected you to"
            )
        return text
    query = parse_qs(urlsplit(text).query or text.split("?", 1)[-1])
    status = (query.get("status") or [""])[0]
    if status and status.lower() != "success":
        raise ConfigError(
            f"the Kite login failed (the redirect says status={status!r}); log in again"
        )
    token = (query.get("request_token") or [""])[0].strip()
    if not token:
        raise ConfigError(
            "the redirected URL has no request_token: paste the full URL Kite redirected you "
            "to after logging in"
        )
    if not _TOKEN_SHAPE.match(token):
        raise ConfigError("the request_token in that URL is malformed (letters and digits only)")
    return token


def next_expiry(login_time: datetime) -> datetime:
    """The first 06:00 IST strictly after `login_time` (naive times are taken as IST)."""
    moment = login_time.replace(tzinfo=IST) if login_time.tzinfo is None else login_time
    local = moment.astimezone(IST)
    expiry = local.replace(hour=TOKEN_EXPIRY_HOUR_IST, minute=0, second=0, microsecond=0)
    if expiry <= local:
        expiry += timedelta(days=1)
    return expiry


@dataclass(frozen=True, slots=True)
class StoredToken:
    """An access token with who it belongs to and when it lapses (the token is kept out of
    the repr so that printing one never leaks it)."""

    access_token: str = field(repr=False)
    user_id: str
    expires_at: datetime

    def is_valid(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(IST)) < self.expires_at


class TokenStore:
    """The access token on disk: JSON, mode 0600, written atomically (temp file + rename)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    def save(
        self, access_token: str, user_id: str = "", login_time: datetime | None = None
    ) -> StoredToken:
        """Keep `access_token`, valid until the 06:00 IST after `login_time` (default now)."""
        if not access_token:
            raise ConfigError("Kite returned no access token; log in again")
        stored = StoredToken(access_token, user_id, next_expiry(login_time or datetime.now(IST)))
        payload = {
            "access_token": stored.access_token,
            "user_id": stored.user_id,
            "expires_at": stored.expires_at.isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return stored

    def load(self, now: datetime | None = None) -> StoredToken | None:
        """The stored token while it is valid; None when absent, expired or unreadable."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            stored = StoredToken(
                access_token=str(raw["access_token"]),
                user_id=str(raw.get("user_id", "")),
                expires_at=datetime.fromisoformat(str(raw["expires_at"])),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "ignoring unreadable Kite token file %s (%s)", self.path, type(exc).__name__
            )
            return None
        if not stored.access_token or stored.expires_at.tzinfo is None:
            return None
        return stored if stored.is_valid(now) else None

    def clear(self) -> None:
        """Forget the token (after a logout or a TokenException)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
