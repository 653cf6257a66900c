"""Broker accounts scalpbot knows of: broker, user id, a display name and harmless details.

There is no column for a secret, and `meta` is refused when one of its keys looks like one
(password, token, secret, ...): keys and tokens belong in the secrets file, never in a database
that gets backed up, copied and shown on a dashboard.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from scalpbot.store.errors import StoreError
from scalpbot.store.models import BrokerAccountRow
from scalpbot.store.records import BrokerAccountRecord
from scalpbot.store.repositories.base import Repository, require_text
from scalpbot.store.types import json_value

#: A key holding one of these is taken for a secret; "pin"/"mpin" only as a whole word.
SECRET_PARTS = ("secret", "password", "passwd", "token", "api_key", "apikey", "totp")
SECRET_WORDS = frozenset({"pin", "mpin", "pwd"})


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    words = re.split(r"[^a-z0-9]+", lowered)
    return any(part in lowered for part in SECRET_PARTS) or not SECRET_WORDS.isdisjoint(words)


def _secret_keys(value: Any, path: str = "meta") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if _looks_secret(str(key)):
                found.append(where)
            found.extend(_secret_keys(item, where))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(_secret_keys(item, f"{path}[{i}]"))
    return found


def _record(row: BrokerAccountRow) -> BrokerAccountRecord:
    return BrokerAccountRecord(
        id=row.id,
        broker=row.broker,
        user_id=row.user_id,
        name=row.name,
        meta=row.meta,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class BrokerAccountRepository(Repository):
    def upsert(self, broker: str, user_id: str, name: str, meta: dict[str, Any]) -> int:
        """Add the account, or update name and meta of the one with this broker and user id."""
        broker = require_text(broker, "broker", 32)
        user_id = require_text(user_id, "broker user id", 64)
        if not isinstance(meta, dict):
            raise StoreError(f"broker account meta must be an object, got {meta!r}")
        secrets = _secret_keys(meta)
        if secrets:
            raise StoreError(
                f"broker account meta must not hold secrets, but has {', '.join(secrets)}: "
                "keep keys and tokens in the secrets file"
            )
        stored = json_value(meta, "broker account meta")
        if not isinstance(name, str) or len(name) > 128:
            raise StoreError(f"broker account name must be text of up to 128 characters: {name!r}")
        with self._write(f"saving broker account {broker}:{user_id}") as db:
            row = db.scalars(
                select(BrokerAccountRow).where(
                    BrokerAccountRow.broker == broker, BrokerAccountRow.user_id == user_id
                )
            ).first()
            if row is None:
                row = BrokerAccountRow(broker=broker, user_id=user_id, name=name, meta=stored)
                db.add(row)
            else:
                row.name = name
                row.meta = stored
            db.flush()
            return row.id

    def list(self) -> list[BrokerAccountRecord]:
        query = select(BrokerAccountRow).order_by(BrokerAccountRow.broker, BrokerAccountRow.user_id)
        with self._read("listing broker accounts") as db:
            return [_record(row) for row in db.scalars(query)]
