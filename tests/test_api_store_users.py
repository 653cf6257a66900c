"""The store's side of API authentication, on SQLite and PostgreSQL: users with argon2 hashes,
login sessions and API tokens kept only as SHA-256 hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalpbot.api.security import hash_password, token_hash, verify_password
from scalpbot.store import RecordNotFound, Store, StoreError

pytest_plugins = ["store_fixtures"]

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_users_are_created_once_and_their_password_hash_replaced(store: Store) -> None:
    assert store.users.count() == 0
    first = store.users.set_password(" Admin", hash_password("first password"))
    assert first.username == "admin"
    again = store.users.set_password("admin", hash_password("second password"))
    assert again.id == first.id and store.users.count() == 1
    found = store.users.get("ADMIN")
    assert found is not None and verify_password(found.password_hash, "second password")
    assert not verify_password(found.password_hash, "first password")
    assert store.users.get("nobody") is None and store.users.get("bad name!") is None
    with pytest.raises(StoreError, match="argon2"):
        store.users.set_password("eve", "plaintext")
    with pytest.raises(StoreError, match="username"):
        store.users.set_password("has space", hash_password("whatever123"))


def test_login_sessions_expire_and_end(store: Store) -> None:
    user = store.users.set_password("admin", hash_password("a password"))
    live, old = token_hash("live-token"), token_hash("old-token")
    store.login_sessions.create(user.id, live, token_hash("csrf"), NOW + timedelta(hours=1))
    store.login_sessions.create(user.id, old, token_hash("csrf2"), NOW - timedelta(seconds=1))
    found = store.login_sessions.find_valid(live, NOW)
    assert found is not None and found.username == "admin"
    assert found.csrf_sha256 == token_hash("csrf")
    assert store.login_sessions.find_valid(old, NOW) is None
    assert store.login_sessions.delete_expired(NOW) == 1
    assert store.login_sessions.delete(live) is True
    assert store.login_sessions.delete(live) is False
    store.login_sessions.create(user.id, live, token_hash("c"), NOW + timedelta(hours=1))
    assert store.login_sessions.delete_for_user(user.id) == 1
    with pytest.raises(StoreError, match="SHA-256"):
        store.login_sessions.create(user.id, "raw-token", token_hash("c"), NOW)
    with pytest.raises(RecordNotFound):
        store.login_sessions.create(999, token_hash("x"), token_hash("c"), NOW)


def test_api_tokens_are_found_by_hash_until_revoked(store: Store) -> None:
    user = store.users.set_password("admin", hash_password("a password"))
    digest = token_hash("sbt_secret")
    created = store.api_tokens.create(user.id, "backup", digest)
    assert created.name == "backup" and not created.revoked and created.last_used_at is None
    found = store.api_tokens.find_active(digest)
    assert found is not None and found.id == created.id and found.username == "admin"
    store.api_tokens.touch(created.id, NOW)
    (listed,) = store.api_tokens.list()
    assert listed.last_used_at == NOW
    revoked = store.api_tokens.revoke(created.id)
    assert revoked.revoked and store.api_tokens.find_active(digest) is None
    assert store.api_tokens.revoke(created.id).revoked_at == revoked.revoked_at
    assert store.api_tokens.list(user.id)[0].revoked
    with pytest.raises(RecordNotFound):
        store.api_tokens.revoke(404)
    with pytest.raises(StoreError):
        store.api_tokens.create(user.id, "dup", digest)  # the hash is unique
