"""Building call control from the store: the IVR's ports, Call Me caller IDs, session moves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from callcontrol.clock import now_ms
from callcontrol.domain.errors import IllegalSessionTransition
from callcontrol.domain.numbers import NumberKind
from callcontrol.domain.sessions import Session, SessionEvent, apply
from callcontrol.pbx.agi_server import AgiCall
from callcontrol.service.callcontrol import CallControl, Hooks
from callcontrol.service.ivr import IvrPorts
from callcontrol.settings import Settings
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.database import Database
from callcontrol.store.dids import DidRepository
from callcontrol.store.sessions import SessionRepository, latest_by_access_code

Spent = Callable[[str], Awaitable[Decimal]]


async def _nothing_spent(_: str) -> Decimal:
    return Decimal(0)


def build_call_control(
    settings: Settings,
    database: Database,
    hooks: Hooks | None = None,
    spent: Spent | None = None,
) -> CallControl:
    sessions = SessionRepository(database)
    accounts = AccountRepository(database)
    dids = DidRepository(database)
    node_names = [n.name for n in settings.nodes]
    call_control: CallControl | None = None

    def node_of(call: AgiCall) -> str:
        # The dialplan may name its node as the AGI's first argument; one node needs nothing.
        named = call.arg(1)
        if named in node_names:
            return named
        return node_names[0] if node_names else "unknown"

    async def session_event(session: Session, event: SessionEvent) -> Session:
        at = now_ms()

        def change(current: Session) -> Session:
            try:
                return apply(current, event, at)
            except IllegalSessionTransition:
                return current  # applied meanwhile (the app said so too): nothing to do

        result = await sessions.update(session.session_id, change)
        return result[1] if result is not None else session

    async def place_session(session: Session, node: str) -> None:
        assert call_control is not None
        nodes = call_control.registry.session_nodes
        if session.session_id not in nodes:
            nodes[session.session_id] = node
            await sessions.set_node(session.session_id, node)

    async def caller_id_for(country: str) -> str | None:
        """Call Me shows a toll number of the callee's country when there is one."""
        for candidate in (country, None):
            numbers = await dids.numbers(
                frozenset({candidate}) if candidate else None, NumberKind.TOLL
            )
            if numbers:
                return numbers[0].e164
        return None

    ports = IvrPorts(
        did=dids.get,
        session_by_code=lambda code: latest_by_access_code(database, code),
        session=sessions.get,
        account=accounts.get,
        spent=spent or _nothing_spent,
        session_event=session_event,
        place_session=place_session,
        node_of=node_of,
    )
    call_control = CallControl(settings, database, ports, caller_id_for, sessions.get, hooks)
    return call_control
