"""Who may use the dashboard and the API: users, their login sessions and their API tokens.

The store never sees a password or a token: it keeps what the API layer hands it, an argon2
hash of the password and SHA-256 hashes of the tokens. A stolen database therefore lets nobody
log in or call the API, and nothing here can ever print a credential.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from scalpbot.store.errors import RecordNotFound, StoreError
from scalpbot.store.models import ApiTokenRow, DashboardUserRow, LoginSessionRow
from scalpbot.store.repositories.base import Repository, require_int, require_text
from scalpbot.store.types import utc_now

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class DashboardUserRecord:
    id: int
    username: str
    password_hash: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """An API token's bookkeeping; the token itself exists only in its owner's hands."""

    id: int
    user_id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class LoginSessionRecord:
    id: int
    user_id: int
    username: str
    csrf_sha256: str
    created_at: datetime
    expires_at: datetime


def normalise_username(username: object) -> str:
    """A username as stored: stripped and lower-cased, 1-64 of a-z 0-9 _ . @ - (first one a
    letter or digit), so `Admin` and `admin ` are the same person."""
    if not isinstance(username, str):
        raise StoreError(f"username must be text, got {type(username).__name__}")
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise StoreError(
            f"username {username!r}: use 1 to 64 letters, digits or _ . @ - "
            "(starting with a letter or digit)"
        )
    return name


def _hash(value: object, what: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise StoreError(f"{what} must be a SHA-256 hex digest (64 lower-case hex digits)")
    return value


def _aware(moment: object, what: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise StoreError(f"{what} must be an aware datetime, got {moment!r}")
    return moment


def _user(row: DashboardUserRow) -> DashboardUserRecord:
    return DashboardUserRecord(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _token(row: ApiTokenRow, username: str) -> ApiTokenRecord:
    return ApiTokenRecord(
        id=row.id,
        user_id=row.user_id,
        username=username,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class UserRepository(Repository):
    def set_password(self, username: str, password_hash: str) -> DashboardUserRecord:
        """Create the user or replace their password hash; returns the user as stored."""
        name = normalise_username(username)
        stored = require_text(password_hash, "password hash", 256)
        if not stored.startswith("$argon2"):
            raise StoreError("password hash must be an argon2 hash (it starts with $argon2)")
        with self._write(f"setting the password of {name!r}") as db:
            row = db.scalars(select(DashboardUserRow).where(DashboardUserRow.username == name))
            found = row.first()
            if found is None:
                found = DashboardUserRow(username=name, password_hash=stored)
                db.add(found)
            else:
                found.password_hash = stored
                found.updated_at = utc_now()
            db.flush()
            return _user(found)

    def get(self, username: str) -> DashboardUserRecord | None:
        try:
            name = normalise_username(username)
        except StoreError:
            return None  # a name no user can have: nobody by that name
        with self._read("looking up a user") as db:
            row = db.scalars(
                select(DashboardUserRow).where(DashboardUserRow.username == name)
            ).first()
            return None if row is None else _user(row)

    def count(self) -> int:
        with self._read("counting users") as db:
            return int(db.scalar(select(func.count()).select_from(DashboardUserRow)) or 0)


class ApiTokenRepository(Repository):
    def create(self, user_id: int, name: str, token_sha256: str) -> ApiTokenRecord:
        row = ApiTokenRow(
            user_id=require_int(user_id, "user id"),
            name=require_text(name, "token name", 128),
            token_sha256=_hash(token_sha256, "token hash"),
        )
        with self._write(f"creating API token {name!r}") as db:
            user = db.get(DashboardUserRow, row.user_id)
            if user is None:
                raise RecordNotFound(f"no user with id {user_id}")
            db.add(row)
            db.flush()
            return _token(row, user.username)

    def find_active(self, token_sha256: str) -> ApiTokenRecord | None:
        """The unrevoked token with this hash, if any."""
        query = (
            select(ApiTokenRow, DashboardUserRow.username)
            .join(DashboardUserRow, DashboardUserRow.id == ApiTokenRow.user_id)
            .where(
                ApiTokenRow.token_sha256 == _hash(token_sha256, "token hash"),
                ApiTokenRow.revoked_at.is_(None),
            )
        )
        with self._read("looking up an API token") as db:
            found = db.execute(query).first()
            return None if found is None else _token(found[0], found[1])

    def list(self, user_id: int | None = None) -> builtins.list[ApiTokenRecord]:
        """Every token (revoked ones too, so the list shows what was revoked), oldest first."""
        query = select(ApiTokenRow, DashboardUserRow.username).join(
            DashboardUserRow, DashboardUserRow.id == ApiTokenRow.user_id
        )
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == require_int(user_id, "user id"))
        with self._read("listing API tokens") as db:
            return [_token(row, name) for row, name in db.execute(query.order_by(ApiTokenRow.id))]

    def revoke(self, token_id: int) -> ApiTokenRecord:
        """Revoke a token (revoking twice keeps the first time); RecordNotFound if unknown."""
        with self._write(f"revoking API token {token_id}") as db:
            row = db.get(ApiTokenRow, require_int(token_id, "token id"))
            if row is None:
                raise RecordNotFound(f"no API token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = utc_now()
            user = db.get(DashboardUserRow, row.user_id)
            db.flush()
            return _token(row, user.username if user is not None else "")

    def touch(self, token_id: int, when: datetime) -> None:
        """Record that the token was used at `when` (callers throttle how often)."""
        moment = _aware(when, "last used time")
        with self._write(f"recording use of API token {token_id}") as db:
            row = db.get(ApiTokenRow, require_int(token_id, "token id"))
            if row is not None:
                row.last_used_at = moment


class LoginSessionRepository(Repository):
    def create(
        self, user_id: int, token_sha256: str, csrf_sha256: str, expires_at: datetime
    ) -> LoginSessionRecord:
        row = LoginSessionRow(
            user_id=require_int(user_id, "user id"),
            token_sha256=_hash(token_sha256, "session token hash"),
            csrf_sha256=_hash(csrf_sha256, "CSRF token hash"),
            expires_at=_aware(expires_at, "session expiry"),
        )
        with self._write("creating a login session") as db:
            user = db.get(DashboardUserRow, row.user_id)
            if user is None:
                raise RecordNotFound(f"no user with id {user_id}")
            db.add(row)
            db.flush()
            return _session(row, user.username)

    def find_valid(self, token_sha256: str, now: datetime) -> LoginSessionRecord | None:
        """The session with this token hash if it has not expired at `now`."""
        query = (
            select(LoginSessionRow, DashboardUserRow.username)
            .join(DashboardUserRow, DashboardUserRow.id == LoginSessionRow.user_id)
            .where(
                LoginSessionRow.token_sha256 == _hash(token_sha256, "session token hash"),
                LoginSessionRow.expires_at > _aware(now, "now"),
            )
        )
        with self._read("looking up a login session") as db:
            found = db.execute(query).first()
            return None if found is None else _session(found[0], found[1])

    def delete(self, token_sha256: str) -> bool:
        """End one session (logout); False if there was none."""
        with self._write("ending a login session") as db:
            result = db.execute(
                delete(LoginSessionRow).where(
                    LoginSessionRow.token_sha256 == _hash(token_sha256, "session token hash")
                )
            )
            return bool(getattr(result, "rowcount", 0))

    def delete_for_user(self, user_id: int) -> int:
        """End every session of a user (after a password change); returns how many."""
        with self._write(f"ending the sessions of user {user_id}") as db:
            result = db.execute(
                delete(LoginSessionRow).where(
                    LoginSessionRow.user_id == require_int(user_id, "user id")
                )
            )
            return int(getattr(result, "rowcount", 0))

    def delete_expired(self, now: datetime) -> int:
        with self._write("removing expired login sessions") as db:
            result = db.execute(
                delete(LoginSessionRow).where(LoginSessionRow.expires_at <= _aware(now, "now"))
            )
            return int(getattr(result, "rowcount", 0))


def _session(row: LoginSessionRow, username: str) -> LoginSessionRecord:
    return LoginSessionRecord(
        id=row.id,
        user_id=row.user_id,
        username=username,
        csrf_sha256=row.csrf_sha256,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
