"""Billing, the shell: rate ended legs into the ledger, re-rate on session outcomes, live cost,
spend caps.

The rules are in the domain (`domain/rating.py`, `domain/rules.py`); this module reads what
they need, passes "now", and writes what they decide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from callcontrol.clock import now_ms
from callcontrol.domain.errors import RateNotFound
from callcontrol.domain.legs import Leg, LegState
from callcontrol.domain.rating import Increment, RateBook, live_amount, rate_leg
from callcontrol.domain.rules import session_billing_outcome
from callcontrol.domain.sessions import Session
from callcontrol.logsetup import get_logger
from callcontrol.store import ledger, outbox, rates, usage
from callcontrol.store.database import Database
from callcontrol.store.legs import LegRepository
from callcontrol.store.rates import LoadResult

log = get_logger(__name__)
_Q = Decimal("0.0001")
_CATCH_UP_BATCH = 2000


wall_clock_ms = now_ms  # the default clock; tests pass their own


def month_of(at_ms: int) -> tuple[str, int, int]:
    """The UTC month holding ``at_ms``: ("YYYY-MM", first ms, first ms of the next month)."""
    day = datetime.fromtimestamp(at_ms / 1000, UTC)
    start = datetime(day.year, day.month, 1, tzinfo=UTC)
    end = datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=UTC)
    return (
        f"{day.year:04d}-{day.month:02d}",
        int(start.timestamp()) * 1000,
        int(end.timestamp()) * 1000,
    )


class UnknownAccount(LookupError):
    pass


class UnknownSession(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class SpendStatus:
    """An account's spend this UTC month: ledger lines so far plus its open legs."""

    account_id: str
    period: str
    billed: Decimal
    live: Decimal
    warning: Decimal | None
    limit: Decimal | None

    @property
    def spent(self) -> Decimal:
        return self.billed + self.live

    @property
    def warning_reached(self) -> bool:
        return self.warning is not None and self.spent >= self.warning

    @property
    def limit_reached(self) -> bool:
        return self.limit is not None and self.spent >= self.limit


class Billing:
    def __init__(self, database: Database, now_ms: Callable[[], int] = wall_clock_ms) -> None:
        self.database = database
        self.legs = LegRepository(database)
        self._now_ms = now_ms
        self._book: RateBook | None = None

    # Rates ---------------------------------------------------------------------------------

    async def load_rates_file(self, path: Path) -> LoadResult:
        """Publish a rates CSV (refused whole if it changes a published row), then reload."""
        parsed = rates.read_rates_file(path)
        async with self.database.connection() as conn:
            result = await rates.publish(conn, parsed)
        log.info("rates loaded", file=str(path), inserted=result.inserted)
        await self.reload_rates()
        return result

    async def reload_rates(self) -> RateBook:
        async with self.database.connection() as conn:
            self._book = RateBook.of(await rates.all_rates(conn))
        return self._book

    async def _rates(self) -> RateBook:
        return self._book if self._book is not None else await self.reload_rates()

    async def _increment(self, conn: asyncpg.Connection, account_id: str) -> Increment:
        account = await usage.account_billing(conn, account_id)
        if account is None:
            raise UnknownAccount(account_id)
        return account.increment

    # Rating --------------------------------------------------------------------------------

    async def on_leg_ended(self, leg: Leg, session: Session) -> ledger.Recorded | None:
        """Rate an ended leg of ``session`` (its current state) into the ledger.

        None when nothing was written: the leg never reached a session, or no rate is in
        force (logged as an error; `catch_up` rates it once the rates are fixed).
        """
        if leg.session_id is None:
            log.info("leg ended outside any session: nobody to bill", leg_id=leg.leg_id)
            return None
        book = await self._rates()
        async with self.database.connection() as conn:
            increment = await self._increment(conn, session.account_id)
            try:
                charge = rate_leg(leg, session, book, increment)
            except RateNotFound as exc:
                log.error("leg not rated", leg_id=leg.leg_id, error=exc.message)
                return None
            outcome = session_billing_outcome(session)
            result = await ledger.record(conn, ledger.Rated(charge, leg, outcome))
        if charge.amount > 0:
            await self.check_spend(session.account_id)
        return result

    async def on_session_outcome(self, session: Session) -> dict[ledger.Recorded, int]:
        """Re-rate every ended leg of the session (e.g. a cancel that voids them), at once."""
        book = await self._rates()
        rows = await self.legs.for_session(session.session_id)
        outcome = session_billing_outcome(session)
        counts = dict.fromkeys(ledger.Recorded, 0)
        async with self.database.connection() as conn, conn.transaction():
            increment = await self._increment(conn, session.account_id)
            for row in rows:
                if row.leg.state is not LegState.ENDED:
                    continue  # rated when it ends
                try:
                    charge = rate_leg(row.leg, session, book, increment)
                except RateNotFound as exc:
                    log.error("leg not rated", leg_id=row.leg.leg_id, error=exc.message)
                    continue
                counts[await ledger.record(conn, ledger.Rated(charge, row.leg, outcome))] += 1
        log.info(
            "session re-rated",
            session_id=session.session_id,
            outcome=outcome.value,
            **{k.value: v for k, v in counts.items()},
        )
        return counts

    async def catch_up(self, batch: int = _CATCH_UP_BATCH) -> int:
        """Rate ended legs that have no ledger line (ended while billing was down, or before
        a missing rate was published). Returns the lines written."""
        book = await self._rates()
        written, after = 0, ""
        async with self.database.connection() as conn:
            while found := await usage.unrated_ended_legs(conn, after, batch):
                after = found[-1][0]
                todo: list[ledger.Rated] = []
                for session_id in sorted({s for _, s in found}):
                    session = await usage.load_session(conn, session_id)
                    if session is None:
                        log.error("leg in an unknown session not rated", session_id=session_id)
                        continue
                    increment = await self._increment(conn, session.account_id)
                    wanted = {leg_id for leg_id, s in found if s == session_id}
                    outcome = session_billing_outcome(session)
                    for row in await self.legs.for_session(session_id):
                        if row.leg.leg_id not in wanted:
                            continue
                        try:
                            charge = rate_leg(row.leg, session, book, increment)
                        except RateNotFound as exc:
                            log.error("leg not rated", leg_id=row.leg.leg_id, error=exc.message)
                            continue
                        todo.append(ledger.Rated(charge, row.leg, outcome))
                written += await ledger.append_first_charges(conn, todo)
        return written

    # Live cost -----------------------------------------------------------------------------

    async def _session_cost(
        self, conn: asyncpg.Connection, session: Session, book: RateBook, now_ms: int
    ) -> tuple[Decimal, Decimal]:
        """(rated in the ledger, not rated yet: open legs so far and unrated ended legs)."""
        increment = await self._increment(conn, session.account_id)
        net = await ledger.net_by_leg(conn, session.session_id)
        unrated = Decimal(0)
        for row in await self.legs.for_session(session.session_id):
            if row.leg.leg_id in net:
                continue
            try:
                unrated += live_amount(row.leg, session, book, increment, now_ms)
            except RateNotFound as exc:
                log.warning("no rate for live cost", leg_id=row.leg.leg_id, error=exc.message)
        return sum(net.values(), Decimal(0)), unrated

    async def leg_costs(self, session_id: str) -> dict[str, Decimal]:
        """Each leg's cost so far: its ledger net once rated, else its open time up to now."""
        book, now_ms = await self._rates(), self._now_ms()
        async with self.database.connection() as conn:
            session = await usage.load_session(conn, session_id)
            if session is None:
                return {}
            increment = await self._increment(conn, session.account_id)
            costs = dict(await ledger.net_by_leg(conn, session_id))
            for row in await self.legs.for_session(session_id):
                if row.leg.leg_id in costs:
                    continue
                try:
                    costs[row.leg.leg_id] = live_amount(row.leg, session, book, increment, now_ms)
                except RateNotFound:
                    continue  # no rate in force: the cost stays unknown (null)
        return {leg_id: amount.quantize(_Q) for leg_id, amount in costs.items()}

    async def live_cost(self, session_id: str) -> Decimal:
        """What the session has cost so far: rated legs plus open legs up to now."""
        book, now_ms = await self._rates(), self._now_ms()
        async with self.database.connection() as conn:
            session = await usage.load_session(conn, session_id)
            if session is None:
                raise UnknownSession(session_id)
            rated, unrated = await self._session_cost(conn, session, book, now_ms)
        return (rated + unrated).quantize(_Q)

    async def live_cost_for_account(self, account_id: str) -> Decimal:
        """What the account's live (not ended, not cancelled) sessions have cost so far."""
        book, now_ms = await self._rates(), self._now_ms()
        total = Decimal(0)
        async with self.database.connection() as conn:
            if not await usage.account_exists(conn, account_id):
                raise UnknownAccount(account_id)
            for session in await usage.live_sessions(conn, account_id):
                rated, unrated = await self._session_cost(conn, session, book, now_ms)
                total += rated + unrated
        return total.quantize(_Q)

    # Spend caps ----------------------------------------------------------------------------

    async def spend_status(self, account_id: str) -> SpendStatus:
        book, now_ms = await self._rates(), self._now_ms()
        period, start_ms, end_ms = month_of(now_ms)
        async with self.database.connection() as conn:
            account = await usage.account_billing(conn, account_id)
            if account is None:
                raise UnknownAccount(account_id)
            billed = await ledger.net_for_account(conn, account_id, start_ms, end_ms)
            live = Decimal(0)
            for session in await usage.live_sessions(conn, account_id):
                live += (await self._session_cost(conn, session, book, now_ms))[1]
        return SpendStatus(
            account_id,
            period,
            billed.quantize(_Q),
            live.quantize(_Q),
            account.spend_warning,
            account.spend_limit,
        )

    async def check_spend(self, account_id: str) -> SpendStatus:
        """The spend status; a threshold crossed for the first time this month raises its
        alert (dashboard), and the warning also queues a spend.warning webhook."""
        status = await self.spend_status(account_id)
        crossed = [
            (level, threshold)
            for level, threshold, reached in (
                ("warning", status.warning, status.warning_reached),
                ("limit", status.limit, status.limit_reached),
            )
            if reached and threshold is not None
        ]
        if not crossed:
            return status
        async with self.database.connection() as conn, conn.transaction():
            for level, threshold in crossed:
                alert = usage.SpendAlert(account_id, status.period, level, status.spent, threshold)
                if not await usage.raise_spend_alert(conn, alert):
                    continue  # raised earlier this month
                log.warning("spend threshold crossed", account_id=account_id, level=level)
                if level == "warning":
                    await outbox.enqueue(
                        conn,
                        "spend.warning",
                        {
                            "account_id": account_id,
                            "period": status.period,
                            "spent": str(status.spent),
                            "warning": str(threshold),
                            "limit": None if status.limit is None else str(status.limit),
                        },
                        f"spend.warning:{account_id}:{status.period}",
                    )
        return status

    async def spend_limit_reached(self, account_id: str) -> bool:
        """True when the account may not take a new toll-free or Call Me leg (live legs are
        never cut). Call control asks this before answering/originating such a leg."""
        return (await self.check_spend(account_id)).limit_reached

    async def spent(self, account_id: str) -> Decimal:
        """The account's spend this month (ledger plus open legs), for the domain's
        ``spend_limit_reached(account, spent)``: what call control and the API ask before
        a toll-free or Call Me leg (alerts are raised when legs are charged, not here)."""
        return (await self.spend_status(account_id)).spent

    async def spend_alerts(self) -> list[usage.SpendAlert]:
        """This month's spend alerts, for the dashboard."""
        period = month_of(self._now_ms())[0]
        async with self.database.connection() as conn:
            return await usage.spend_alerts(conn, period)
