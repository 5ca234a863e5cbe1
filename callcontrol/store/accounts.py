"""Accounts in PostgreSQL, as domain Accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import asyncpg

from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.sessions import Session
from callcontrol.store.database import Database
from callcontrol.store.sessions import (
    audio_from_json,
    audio_to_json,
    locked_for_account,
    save_session,
)

_INCREMENT_TO_S = {"60/60": 60, "6/6": 6, "1/1": 1}
_S_TO_INCREMENT = {v: k for k, v in _INCREMENT_TO_S.items()}

_COLUMNS = (
    "account_id, plan, advanced_audio, billing_mode, billing_contact_user_id, default_audio,"
    " billing_increment, spend_warning, spend_limit"
)
_UPSERT = f"""
INSERT INTO accounts ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)
ON CONFLICT (account_id) DO UPDATE SET
    plan = EXCLUDED.plan, advanced_audio = EXCLUDED.advanced_audio,
    billing_mode = EXCLUDED.billing_mode,
    billing_contact_user_id = EXCLUDED.billing_contact_user_id,
    default_audio = EXCLUDED.default_audio, billing_increment = EXCLUDED.billing_increment,
    spend_warning = EXCLUDED.spend_warning, spend_limit = EXCLUDED.spend_limit,
    updated_at = now()
"""


def _from_record(r: asyncpg.Record) -> Account:
    return Account(
        account_id=r["account_id"],
        plan=Plan(r["plan"]),
        advanced_audio=r["advanced_audio"],
        billing_mode=BillingMode(r["billing_mode"]),
        billing_contact_user_id=r["billing_contact_user_id"],
        default_audio_options=audio_from_json(r["default_audio"]),
        billing_increment_s=_INCREMENT_TO_S[r["billing_increment"]],
        spend_warning=r["spend_warning"],
        spend_limit=r["spend_limit"],
    )


async def save_account(conn: asyncpg.Connection, account: Account) -> None:
    await conn.execute(
        _UPSERT,
        account.account_id,
        account.plan.value,
        account.advanced_audio,
        account.billing_mode.value,
        account.billing_contact_user_id,
        audio_to_json(account.default_audio_options),
        _S_TO_INCREMENT.get(account.billing_increment_s, "60/60"),
        account.spend_warning,
        account.spend_limit,
    )


class AccountRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, account_id: str) -> Account | None:
        async with self.database.connection() as conn:
            record = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM accounts WHERE account_id = $1", account_id
            )
        return _from_record(record) if record else None

    async def save(self, account: Account) -> None:
        async with self.database.connection() as conn:
            await save_account(conn, account)

    async def change_with_sessions(
        self,
        account_id: str,
        states: Iterable[str],
        change: Callable[[Account, list[Session]], tuple[Account, Sequence[Session]]],
    ) -> tuple[Account, Sequence[Session]] | None:
        """Lock the account and its sessions in ``states``, apply ``change`` (which may raise:
        nothing is written then) and save what it returns, all in one transaction (rule 8)."""
        async with self.database.connection() as conn, conn.transaction():
            record = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM accounts WHERE account_id = $1 FOR UPDATE", account_id
            )
            if record is None:
                return None
            sessions = await locked_for_account(conn, account_id, states)
            account, changed = change(_from_record(record), sessions)
            await save_account(conn, account)
            for session in changed:
                await save_session(conn, session)
            return account, changed
