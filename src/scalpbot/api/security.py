"""The cryptography of logging in: argon2 password hashes, random tokens and their SHA-256.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile), so
a stolen database gives an attacker a slow, memory-hard guess per try. Tokens (login sessions,
CSRF, API tokens) are 32 random bytes; only their SHA-256 is stored, which is enough for tokens
that random: no dictionary to guess from, so no need for a slow hash, and a lookup stays one
indexed query. Comparisons that involve a secret run in constant time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from scalpbot.domain import ConfigError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
#: Prefix of API tokens, so a token pasted somewhere public is recognisable (secret scanners)
#: and the server knows which table to look it up in.
API_TOKEN_PREFIX = "sbt_"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so an unknown name costs as much time as
    a wrong password and the answer time does not tell which names exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> None:
    """Raise ConfigError unless `password` is acceptable as a new dashboard password."""
    if not isinstance(password, str):
        raise ConfigError("the password must be text")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ConfigError(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")
    if password != password.strip():
        raise ConfigError("the password must not start or end with spaces")


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (checked with `check_password_rules` first)."""
    check_password_rules(password)
    return _hasher.hash(_bytes(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; a missing user (`password_hash` None) still costs a full
    verification. Slow on purpose (~0.1 s): call it off the event loop."""
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), _bytes(password))
        return matched and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _bytes(text: str) -> bytes:
    """UTF-8, keeping any lone surrogate a JSON body may carry instead of failing on it."""
    return text.encode("utf-8", "surrogatepass")


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A fresh session or CSRF token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(token: str, stored_hash: str) -> bool:
    """Constant-time check that `token` hashes to `stored_hash`."""
    return hmac.compare_digest(token_hash(token), stored_hash)
