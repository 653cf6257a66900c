"""`KiteSession`: the day's access token, from login to expiry.

A token comes from a login (`POST /session/token`), from the token file another process wrote
(`scalpbot login zerodha`, the dashboard's callback) or from the caller. It is used until 06:00
IST or until Kite refuses it (TokenException); after that every call raises `SessionExpired`,
which stops new orders, until a new login. A login made elsewhere is picked up from the token
file without a restart, but a token Kite already refused is never tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from scalpbot.brokers.zerodha import auth
from scalpbot.brokers.zerodha.constants import LOGIN_HINT
from scalpbot.brokers.zerodha.http import KiteHttp
from scalpbot.domain import IST, BrokerError, ConfigError, SessionExpired

log = logging.getLogger(__name__)


class KiteSession:
    """Holds the token on `http` and knows when it is no longer good."""

    def __init__(
        self,
        http: KiteHttp,
        api_secret: str | None = None,
        access_token: str | None = None,
        store: auth.TokenStore | None = None,
    ) -> None:
        self.http = http
        self.store = store
        self._api_secret = api_secret or None
        self.expires_at: datetime | None = None
        self._rejected: str | None = None
        http.on_session_expired = self.expired
        if api_secret:
            http.add_secret(api_secret)
        if access_token:
            self._use(access_token, None)
        else:
            self._load_stored()

    @property
    def logged_in(self) -> bool:
        return self.http.access_token is not None

    def token(self) -> str:
        """The access token to send; `SessionExpired` (asking for a login) when there is none
        valid. A lapsed or refused token makes way for a newer one from the token file."""
        current = self.http.access_token
        if current and (self.expires_at is None or datetime.now(IST) < self.expires_at):
            return current
        self.http.access_token = None
        if self._load_stored() and self.http.access_token:
            return self.http.access_token
        raise SessionExpired(
            f"no valid Kite access token (absent, or past its 06:00 IST expiry); {LOGIN_HINT}"
        )

    def expired(self) -> None:
        """Kite refused the token: stop using it until a new login."""
        if self.http.access_token:
            self._rejected = self.http.access_token
            log.warning("Kite refused the access token; %s", LOGIN_HINT)
        self.http.access_token, self.expires_at = None, None

    def login(self, api_key: str, redirected_url_or_request_token: str) -> Mapping[str, Any]:
        """Exchange a request token for the day's access token; returns Kite's session data
        (the user's profile fields), the token kept in the store when there is one."""
        if not self._api_secret:
            raise ConfigError("broker.api_secret is not set: Kite's login needs the app's secret")
        request_token = auth.request_token_from(redirected_url_or_request_token)
        self.http.add_secret(request_token)
        form = {
            "api_key": api_key,
            "request_token": request_token,
            "checksum": auth.checksum(api_key, request_token, self._api_secret),
        }
        reply = self.http.write("POST", "/session/token", form, category="other", auth=False)
        data: Mapping[str, Any] = reply if isinstance(reply, Mapping) else {}
        token = str(data.get("access_token") or "")
        if not token:
            raise BrokerError("POST /session/token: Kite's reply carries no access token")
        # Valid until the next 06:00 IST after now: Kite has just issued it (its `login_time`
        # is not trusted, a sandbox or a skewed clock could make a fresh token look stale).
        now = datetime.now(IST)
        if self.store is not None:
            expiry = self.store.save(token, str(data.get("user_id") or ""), now).expires_at
        else:
            expiry = auth.next_expiry(now)
        self._use(token, expiry)
        log.info("logged in to Kite as %s until %s", data.get("user_id"), expiry)
        return data

    def logout(self, api_key: str) -> None:
        """End the session at Kite (DELETE /session/token) and forget the token."""
        params = {"api_key": api_key, "access_token": self.token()}
        self.http.write("DELETE", "/session/token", params=params, category="other")
        self.expired()
        if self.store is not None:
            self.store.clear()

    def _use(self, token: str, expires_at: datetime | None) -> None:
        self.http.add_secret(token)
        self.http.access_token, self.expires_at, self._rejected = token, expires_at, None

    def _load_stored(self) -> bool:
        stored = self.store.load() if self.store else None
        if stored is None or stored.access_token == self._rejected:
            return False
        self.http.add_secret(stored.access_token)
        self.http.access_token, self.expires_at = stored.access_token, stored.expires_at
        return True
