"""A closed session whose session.billed event was lost (a crash) gets it from the catch-up."""

from pathlib import Path

from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.sessions import Session, SessionState
from callcontrol.service.billing import Billing
from callcontrol.service.observers import announce_billed
from callcontrol.store import outbox
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.database import Database
from callcontrol.store.sessions import SessionRepository

RATES = Path(__file__).resolve().parents[2] / "config" / "rates.csv"


async def test_a_lost_session_billed_event_is_restored_once(database: Database) -> None:
    await AccountRepository(database).save(
        Account("acme", Plan.PRO, True, BillingMode.ONLINE, "u-bill")
    )
    session = Session(
        session_id="s-lost",
        account_id="acme",
        organizer_id="u-org",
        title="T",
        starts_at_ms=1_000,
        access_code="123456789",
        organizer_pin="4321",
        state=SessionState.ENDED,
        started_at_ms=1_000,
        ended_at_ms=2_000,
    )
    await SessionRepository(database).insert(session)
    billing = Billing(database)
    await billing.load_rates_file(RATES)

    assert await outbox.sessions_without_billed_event(database, 0) == ["s-lost"]
    await announce_billed(billing, database, session)
    await announce_billed(billing, database, session)  # a second run adds nothing
    assert await outbox.sessions_without_billed_event(database, 0) == []
    async with database.connection() as conn:
        rows = await conn.fetch("SELECT kind, payload FROM webhook_outbox")
    assert [r["kind"] for r in rows] == ["session.billed"]
