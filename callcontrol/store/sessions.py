"""Sessions in PostgreSQL, as domain Sessions; access codes are unique among open sessions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import asyncpg

from callcontrol.domain.sessions import AudioMode, AudioOptions, Session, SessionState
from callcontrol.store.database import Database

OPEN_STATES = ("scheduled", "organizer_joined", "started")

COLUMNS = (
    "session_id, account_id, organizer_id, title, starts_at_ms, access_code, organizer_pin,"
    " state, tollfree_countries, audio, node, organizer_joined_at_ms, started_at_ms,"
    " ended_at_ms, cancelled_at_ms"
)
_INSERT = f"""
INSERT INTO sessions ({COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, NULL, $11, $12, $13, $14)
"""
_UPSERT = (
    _INSERT
    + """
ON CONFLICT (session_id) DO UPDATE SET
    title = EXCLUDED.title, starts_at_ms = EXCLUDED.starts_at_ms,
    access_code = EXCLUDED.access_code, organizer_pin = EXCLUDED.organizer_pin,
    state = EXCLUDED.state, tollfree_countries = EXCLUDED.tollfree_countries,
    audio = EXCLUDED.audio, organizer_joined_at_ms = EXCLUDED.organizer_joined_at_ms,
    started_at_ms = EXCLUDED.started_at_ms, ended_at_ms = EXCLUDED.ended_at_ms,
    cancelled_at_ms = EXCLUDED.cancelled_at_ms, updated_at = now()
"""
)


class AccessCodeTaken(Exception):
    """Another open session holds this access code."""


def audio_to_json(audio: AudioOptions) -> str:
    return json.dumps(
        {
            "join_muted": audio.join_muted,
            "entry_exit_chimes": audio.entry_exit_chimes,
            "hold_beeps": audio.hold_beeps,
            "audio_mode": audio.audio_mode.value,
        }
    )


def audio_from_json(raw: str | None) -> AudioOptions:
    """Stored audio options; keys missing from older rows take the defaults."""
    data = json.loads(raw) if raw else {}
    defaults = AudioOptions()
    return AudioOptions(
        join_muted=bool(data.get("join_muted", defaults.join_muted)),
        entry_exit_chimes=bool(data.get("entry_exit_chimes", defaults.entry_exit_chimes)),
        hold_beeps=bool(data.get("hold_beeps", defaults.hold_beeps)),
        audio_mode=AudioMode(data.get("audio_mode", defaults.audio_mode.value)),
    )


def session_from_record(r: asyncpg.Record) -> Session:
    return Session(
        session_id=r["session_id"],
        account_id=r["account_id"],
        organizer_id=r["organizer_id"],
        title=r["title"],
        starts_at_ms=r["starts_at_ms"],
        access_code=r["access_code"],
        organizer_pin=r["organizer_pin"],
        state=SessionState(r["state"]),
        tollfree_countries=frozenset(r["tollfree_countries"]),
        audio=audio_from_json(r["audio"]),
        organizer_joined_at_ms=r["organizer_joined_at_ms"],
        started_at_ms=r["started_at_ms"],
        ended_at_ms=r["ended_at_ms"],
        cancelled_at_ms=r["cancelled_at_ms"],
    )


def _values(s: Session) -> tuple[object, ...]:
    return (
        s.session_id,
        s.account_id,
        s.organizer_id,
        s.title,
        s.starts_at_ms,
        s.access_code,
        s.organizer_pin,
        s.state.value,
        sorted(s.tollfree_countries),
        audio_to_json(s.audio),
        s.organizer_joined_at_ms,
        s.started_at_ms,
        s.ended_at_ms,
        s.cancelled_at_ms,
    )


async def save_session(conn: asyncpg.Connection, session: Session) -> None:
    await conn.execute(_UPSERT, *_values(session))


class SessionRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, session_id: str) -> Session | None:
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM sessions WHERE session_id = $1", session_id
            )
        return session_from_record(r) if r else None

    async def by_access_code(self, code: str) -> Session | None:
        """The open session (scheduled, organizer joined or started) with this access code."""
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM sessions WHERE access_code = $1 AND state = ANY($2)",
                code,
                list(OPEN_STATES),
            )
        return session_from_record(r) if r else None

    async def insert(self, session: Session) -> None:
        """A new session; ``AccessCodeTaken`` when an open session already has its code."""
        try:
            async with self.database.connection() as conn:
                await conn.execute(_INSERT, *_values(session))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "sessions_open_access_code":
                raise AccessCodeTaken(session.access_code) from None
            raise

    async def save(self, session: Session) -> None:
        async with self.database.connection() as conn:
            await save_session(conn, session)

    async def update(
        self, session_id: str, change: Callable[[Session], Session]
    ) -> tuple[Session, Session] | None:
        """Lock the row, apply ``change`` (which may raise: nothing is written then) and save.
        Returns (before, after), or None when there is no such session."""
        async with self.database.connection() as conn, conn.transaction():
            r = await conn.fetchrow(
                f"SELECT {COLUMNS} FROM sessions WHERE session_id = $1 FOR UPDATE", session_id
            )
            if r is None:
                return None
            before = session_from_record(r)
            after = change(before)
            if after != before:
                await save_session(conn, after)
            return before, after

    async def set_node(self, session_id: str, node: str | None) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                "UPDATE sessions SET node = $2, updated_at = now() WHERE session_id = $1",
                session_id,
                node,
            )

    async def node_of(self, session_id: str) -> str | None:
        async with self.database.connection() as conn:
            return await conn.fetchval(  # type: ignore[no-any-return]
                "SELECT node FROM sessions WHERE session_id = $1", session_id
            )

    async def for_account(
        self, account_id: str, states: Iterable[SessionState | str] = OPEN_STATES
    ) -> list[Session]:
        wanted = [str(s) for s in states]
        async with self.database.connection() as conn:
            records = await conn.fetch(
                f"SELECT {COLUMNS} FROM sessions WHERE account_id = $1 AND state = ANY($2)"
                " ORDER BY starts_at_ms, session_id",
                account_id,
                wanted,
            )
        return [session_from_record(r) for r in records]


async def latest_by_access_code(database: Database, code: str) -> Session | None:
    """The session a caller's code means: the open one, else the latest closed one with it
    (so a caller of an ended or cancelled session hears why instead of "invalid code")."""
    async with database.connection() as conn:
        r = await conn.fetchrow(
            f"SELECT {COLUMNS} FROM sessions WHERE access_code = $1"
            " ORDER BY (state = ANY($2)) DESC, updated_at DESC LIMIT 1",
            code,
            list(OPEN_STATES),
        )
    return session_from_record(r) if r else None


async def locked_for_account(
    conn: asyncpg.Connection, account_id: str, states: Iterable[str]
) -> list[Session]:
    """Sessions of an account in ``states``, locked until the caller's transaction ends."""
    records = await conn.fetch(
        f"SELECT {COLUMNS} FROM sessions WHERE account_id = $1 AND state = ANY($2)"
        " ORDER BY session_id FOR UPDATE",
        account_id,
        list(states),
    )
    return [session_from_record(r) for r in records]
