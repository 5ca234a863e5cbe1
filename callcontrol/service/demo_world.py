"""The demo's realistic day: accounts with and without the add-on, sessions in every state."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from callcontrol.clock import now_ms
from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.sessions import AudioMode, AudioOptions, Session, SessionState
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.database import Database
from callcontrol.store.sessions import SessionRepository

ACCOUNTS = (
    Account("acme", Plan.BUSINESS, True, BillingMode.ONLINE, "u-acme-billing"),
    Account("globex", Plan.STARTER, False, BillingMode.ONLINE, "u-globex-billing"),
    Account("initech", Plan.ENTERPRISE, True, BillingMode.INVOICE, "u-initech-billing"),
)


@dataclass(frozen=True, slots=True)
class DemoSession:
    session_id: str
    account_id: str
    title: str
    state: SessionState
    tollfree: frozenset[str] = frozenset()
    audio: AudioOptions = field(default_factory=AudioOptions)


SESSIONS = (
    DemoSession("acme-keynote", "acme", "Product keynote", SessionState.STARTED,
                frozenset({"US", "FR", "DE", "GB"})),
    DemoSession("acme-training", "acme", "Partner training", SessionState.SCHEDULED,
                frozenset({"US", "FR"})),
    DemoSession("acme-board", "acme", "Board briefing", SessionState.ORGANIZER_JOINED,
                frozenset({"US"})),
    DemoSession("globex-town-hall", "globex", "Town hall", SessionState.STARTED),
    DemoSession("initech-quarterly", "initech", "Quarterly results", SessionState.STARTED,
                frozenset({"US", "GB"}), AudioOptions(join_muted=True, hold_beeps=False)),
    DemoSession("initech-podcast", "initech", "Live podcast (own audio)", SessionState.STARTED,
                audio=AudioOptions(audio_mode=AudioMode.CUSTOM)),
    DemoSession("acme-retro", "acme", "Last week's retro", SessionState.ENDED),
    DemoSession("globex-offsite", "globex", "Cancelled offsite", SessionState.CANCELLED),
)  # fmt: skip


async def seed(database: Database, rng: random.Random) -> list[Session]:
    """Create the demo's accounts and sessions (idempotent across demo restarts)."""
    accounts = AccountRepository(database)
    sessions = SessionRepository(database)
    for account in ACCOUNTS:
        await accounts.save(account)
    created = []
    at = now_ms()
    for index, spec in enumerate(SESSIONS):
        existing = await sessions.get(spec.session_id)
        if existing is not None:
            created.append(existing)
            continue
        started = spec.state in (SessionState.STARTED, SessionState.ENDED)
        session = Session(
            session_id=spec.session_id,
            account_id=spec.account_id,
            organizer_id=f"u-{spec.account_id}-organizer",
            title=spec.title,
            starts_at_ms=at + (index - 3) * 3_600_000,
            access_code=f"{rng.randrange(10**8, 10**9)}",
            organizer_pin=f"{rng.randrange(1000, 10000)}",
            state=spec.state,
            tollfree_countries=spec.tollfree,
            audio=spec.audio,
            organizer_joined_at_ms=at if spec.state is SessionState.ORGANIZER_JOINED else None,
            started_at_ms=at if started else None,
            ended_at_ms=at if spec.state is SessionState.ENDED else None,
            cancelled_at_ms=at if spec.state is SessionState.CANCELLED else None,
        )
        await sessions.insert(session)
        created.append(session)
    return created
