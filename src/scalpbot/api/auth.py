"""Who is calling: dashboard logins, API tokens, CSRF tokens and the first user.

Two kinds of credentials reach the API, both random 32-byte tokens stored only as SHA-256:

- a **login session** from `POST /api/login` (username and password), sent back by a browser in
  the HttpOnly cookie `scalpbot_session` or by a script as `Authorization: Bearer <token>`;
  it expires after `SESSION_LIFETIME` and ends at logout. Each has a CSRF token: a request that
  authenticates with the cookie and changes something must repeat it in `X-CSRF-Token`, which
  a page of another site cannot read, so it cannot forge such a request.
- an **API token** (`sbt_…`) for scripts, created and revoked in Settings; it works until
  revoked, as a bearer token only.

Lookups are cached for two seconds, so a dashboard polling `/api/status` costs no database
query per request; logout and revocation drop the cache entry at once.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from scalpbot.api import security
from scalpbot.api.ratelimit import LoginRateLimiter
from scalpbot.store import Store
from scalpbot.store.repositories.users import ApiTokenRecord, DashboardUserRecord
from scalpbot.store.types import utc_now

SESSION_COOKIE = "scalpbot_session"
CSRF_COOKIE = "scalpbot_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_LIFETIME = timedelta(hours=12)
FIRST_USER = "admin"
#: How often an API token's `last_used_at` is written at most (not once per request).
TOUCH_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: whose credential, and which one."""

    user_id: int
    username: str
    kind: str  # "session" or "api_token"
    token_sha256: str
    csrf_sha256: str | None = None
    token_id: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    csrf_token: str
    expires_at: datetime
    username: str


class LoginFailed(Exception):
    """Wrong username or password (which one is deliberately not said)."""


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class Authenticator:
    def __init__(
        self,
        store: Store,
        *,
        limiter: LoginRateLimiter | None = None,
        session_lifetime: timedelta = SESSION_LIFETIME,
        cache_ttl_s: float = 2.0,
    ) -> None:
        self.store = store
        self.limiter = limiter or LoginRateLimiter()
        self.session_lifetime = session_lifetime
        self.cache_ttl_s = cache_ttl_s
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._touched: dict[int, float] = {}

    # -- login and logout -------------------------------------------------------------------
    async def login(self, username: str, password: str, address: str) -> LoginResult:
        """Check the password (in a worker thread: argon2 is slow on purpose) and open a
        session. Raises LoginThrottled before checking anything when the limit is reached."""
        wait = self.limiter.retry_after(username, address)
        if wait:
            raise LoginThrottled(wait)
        user = self.store.users.get(username)
        stored_hash = None if user is None else user.password_hash
        ok = await asyncio.to_thread(security.verify_password, stored_hash, password)
        if not ok or user is None:
            self.limiter.failed(username, address)
            raise LoginFailed("wrong username or password")
        self.limiter.succeeded(username)
        if security.needs_rehash(user.password_hash):
            self.store.users.set_password(user.username, security.hash_password(password))
        token, csrf = security.new_token(), security.new_token()
        now = utc_now()
        self.store.login_sessions.delete_expired(now)
        record = self.store.login_sessions.create(
            user.id,
            security.token_hash(token),
            security.token_hash(csrf),
            now + self.session_lifetime,
        )
        return LoginResult(token, csrf, record.expires_at, user.username)

    def logout(self, principal: Principal) -> None:
        self._cache.pop(principal.token_sha256, None)
        self.store.login_sessions.delete(principal.token_sha256)

    # -- who is this ----------------------------------------------------------------------------
    def resolve(self, token: str | None) -> Principal | None:
        """The caller a token belongs to, or None (unknown, expired, revoked or malformed)."""
        if not token or len(token) > 256:
            return None
        digest = security.token_hash(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[1] < self.cache_ttl_s:
            principal = cached[0]
            if principal.expires_at is None or principal.expires_at > utc_now():
                return principal
        found = (
            self._api_token(digest, now)
            if security.is_api_token(token)
            else self._login_session(digest)
        )
        if found is None:
            self._cache.pop(digest, None)
            return None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (found, now)
        return found

    def _login_session(self, digest: str) -> Principal | None:
        found = self.store.login_sessions.find_valid(digest, utc_now())
        if found is None:
            return None
        return Principal(
            user_id=found.user_id,
            username=found.username,
            kind="session",
            token_sha256=digest,
            csrf_sha256=found.csrf_sha256,
            expires_at=found.expires_at,
        )

    def _api_token(self, digest: str, now: float) -> Principal | None:
        found = self.store.api_tokens.find_active(digest)
        if found is None:
            return None
        if now - self._touched.get(found.id, -TOUCH_EVERY_S) >= TOUCH_EVERY_S:
            self._touched[found.id] = now
            self.store.api_tokens.touch(found.id, utc_now())
        return Principal(
            user_id=found.user_id,
            username=found.username,
            kind="api_token",
            token_sha256=digest,
            token_id=found.id,
        )

    @staticmethod
    def csrf_ok(principal: Principal, header_value: str | None) -> bool:
        """True if the request repeats the session's CSRF token (constant-time comparison)."""
        if principal.csrf_sha256 is None or not header_value or len(header_value) > 256:
            return False
        return security.same_hash(header_value, principal.csrf_sha256)

    # -- API tokens ------------------------------------------------------------------------------
    def create_api_token(self, principal: Principal, name: str) -> tuple[str, ApiTokenRecord]:
        """A new token for `principal`'s user; the token text is returned this once only."""
        token = security.new_api_token()
        record = self.store.api_tokens.create(principal.user_id, name, security.token_hash(token))
        return token, record

    def revoke_api_token(self, token_id: int) -> ApiTokenRecord:
        record = self.store.api_tokens.revoke(token_id)
        for digest, (principal, _) in list(self._cache.items()):
            if principal.token_id == token_id:
                del self._cache[digest]
        return record


# -- users (CLI and first start) ----------------------------------------------------------------
def set_user_password(
    store: Store, username: str, password: str
) -> tuple[DashboardUserRecord, int]:
    """Create `username` or change their password; a change ends their login sessions (the old
    password may be why it changed). Returns the user and how many sessions were ended."""
    record = store.users.set_password(username, security.hash_password(password))
    ended = store.login_sessions.delete_for_user(record.id)
    return record, ended


def create_first_user(store: Store) -> str | None:
    """If nobody can log in yet, create user `admin` with a random password and return it (for
    printing once); None when a user exists."""
    if store.users.count():
        return None
    password = secrets.token_urlsafe(15)
    store.users.set_password(FIRST_USER, security.hash_password(password))
    return password
