"""API tokens: only a SHA-256 of each token is stored; the token itself is shown once.

A token reads ``cc_<token_id>_<secret>``: the id finds the row, then the hash of the whole token
is compared in constant time. Every request reads the row, so a revocation applies at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from callcontrol.store.database import Database

_TOKEN = re.compile(r"cc_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


class Role(StrEnum):
    APP = "app"
    OPERATOR = "operator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Token:
    token_id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _from_record(r: object) -> Token:
    row = dict(r)  # type: ignore[call-overload]
    return Token(
        row["token_id"], row["name"], Role(row["role"]), row["created_at"], row["revoked_at"]
    )


class TokenRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, role: Role, name: str) -> tuple[Token, str]:
        """A new token: its record and the plain token, which is never stored."""
        token_id = secrets.token_hex(8)
        plain = f"cc_{token_id}_{secrets.token_urlsafe(32)}"
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                """INSERT INTO api_tokens (token_id, name, role, token_hash) VALUES ($1, $2, $3, $4)
                   RETURNING token_id, name, role, created_at, revoked_at""",
                token_id,
                name,
                role.value,
                _hash(plain),
            )
        return _from_record(r), plain

    async def verify(self, plain: str) -> Token | None:
        """The live token this plain token is, or None (malformed, unknown, revoked)."""
        match = _TOKEN.fullmatch(plain)
        if match is None:
            return None
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                """SELECT token_id, name, role, created_at, revoked_at, token_hash
                   FROM api_tokens WHERE token_id = $1""",
                match[1],
            )
        if r is None or r["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(r["token_hash"], _hash(plain)):
            return None
        return _from_record(r)

    async def revoke(self, token_id: str) -> Token | None:
        """Revoke a token (a second revoke keeps the first time); None when unknown."""
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                """UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
                   WHERE token_id = $1 RETURNING token_id, name, role, created_at, revoked_at""",
                token_id,
            )
        return _from_record(r) if r else None

    async def get(self, token_id: str) -> Token | None:
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                "SELECT token_id, name, role, created_at, revoked_at FROM api_tokens"
                " WHERE token_id = $1",
                token_id,
            )
        return _from_record(r) if r else None

    async def all(self) -> list[Token]:
        async with self.database.connection() as conn:
            records = await conn.fetch(
                "SELECT token_id, name, role, created_at, revoked_at FROM api_tokens"
                " ORDER BY created_at, token_id"
            )
        return [_from_record(r) for r in records]
