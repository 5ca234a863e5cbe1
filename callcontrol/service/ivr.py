"""The FastAGI scripts: `dialin` (access code, PIN, routing) and `callme` (press 1 to join).

Decisions come from the domain (routing, lockout); this module only talks to the caller and
tells the dialplan where to go through CC_* channel variables (docs/asterisk.md).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from callcontrol.clock import now_ms
from callcontrol.domain import legs as L
from callcontrol.domain import routing as R
from callcontrol.domain.accounts import Account
from callcontrol.domain.numbers import Did, NumberKind, is_e164
from callcontrol.domain.sessions import Session, SessionEvent
from callcontrol.logsetup import bound, get_logger
from callcontrol.pbx.agi_server import AgiCall, AgiHangup
from callcontrol.service.guard import BruteForceGuard
from callcontrol.service.live import LiveLeg, LiveRegistry
from callcontrol.settings import CallSettings, LockoutSettings

log = get_logger(__name__)

# Stock Asterisk sounds, and our own generated from config/prompts/en.
PROMPT_ACCESS_CODE = "conf-getconfno"
PROMPT_INVALID = "conf-invalid"
PROMPT_PIN = "conf-getpin"
PROMPT_CALLME = "cc-callme-press1"
PROMPT_FOR_REASON = {
    R.RouteReason.UNKNOWN_CODE: "conf-invalid",
    R.RouteReason.SESSION_ENDED: "vm-goodbye",
    R.RouteReason.SESSION_CANCELLED: "vm-goodbye",
    R.RouteReason.CUSTOM_AUDIO: "ss-noservice",
    R.RouteReason.COMPUTER_ONLY: "ss-noservice",
    R.RouteReason.TOLLFREE_NOT_ALLOWED: "ss-noservice",
    R.RouteReason.ADDON_MISSING: "ss-noservice",
    R.RouteReason.PLAN_WITHOUT_PHONE: "ss-noservice",
    R.RouteReason.SPEND_LIMIT_REACHED: "ss-noservice",
    R.RouteReason.UNKNOWN_ACCOUNT: "ss-noservice",
}
MAX_CODE_DIGITS = 12
MAX_PIN_DIGITS = 8


def new_leg_id() -> str:
    """Leg ids double as Asterisk ChannelIds for Call Me, so they are short and plain."""
    return f"leg-{uuid.uuid4().hex[:20]}"


def e164_of(number: str) -> str | None:
    """Asterisk gives DIDs and caller numbers with or without '+'; we keep E.164 or nothing."""
    candidate = number if number.startswith("+") else f"+{number}"
    return candidate if is_e164(candidate) else None


@dataclass(frozen=True, slots=True)
class IvrPorts:
    """What the IVR reads and changes outside itself (repositories, call-control hooks)."""

    did: Callable[[str], Awaitable[Did | None]]
    session_by_code: Callable[[str], Awaitable[Session | None]]
    session: Callable[[str], Awaitable[Session | None]]
    account: Callable[[str], Awaitable[Account | None]]
    spent: Callable[[str], Awaitable[Decimal]]
    session_event: Callable[[Session, SessionEvent], Awaitable[Session]]
    place_session: Callable[[Session, str], Awaitable[None]]
    node_of: Callable[[AgiCall], str]


class Ivr:
    def __init__(
        self,
        registry: LiveRegistry,
        ports: IvrPorts,
        calls: CallSettings,
        lockout_settings: LockoutSettings,
    ) -> None:
        self.registry = registry
        self.ports = ports
        self.calls = calls
        self.guard = BruteForceGuard(lockout_settings)
        self.on_decision: Callable[[float], None] = lambda seconds: None
        self.end_leg: Callable[[LiveLeg, int, L.EndReason], None] = lambda live, at, why: None

    # -- dial-in -------------------------------------------------------------------------------
    async def dialin(self, call: AgiCall) -> None:
        node = self.ports.node_of(call)
        try:
            await self._dialin(call, node)
        except AgiHangup:
            self._close_if_orphan(self._find(node, call))
            raise
        except Exception as exc:  # noqa: BLE001 - any failure still ends the call cleanly (logged there)
            await self._ivr_failed(call, self._find(node, call), exc)

    def _find(self, node: str, call: AgiCall) -> LiveLeg | None:
        return self.registry.by_channel(node, call.uniqueid)

    def _close_if_orphan(self, live: LiveLeg | None) -> None:
        """The caller hung up during the IVR. If that Hangup was read before the leg existed
        (its channel is already forgotten), nothing else will end the leg: end it here."""
        if live is None or live.leg.state is L.LegState.ENDED:
            return
        if (live.leg.node, live.leg.uniqueid or "") not in self.registry.channels:
            self.end_leg(live, now_ms(), L.EndReason.CALLER_HANGUP)

    async def _ivr_failed(self, call: AgiCall, live: LiveLeg | None, exc: Exception) -> None:
        """A prompt could not play (missing file), the database was away, a rule refused an
        unexpected state: refuse the caller cleanly and record why."""
        log.error("IVR failed; caller refused", error=str(exc) or type(exc).__name__, exc_info=exc)
        if live is not None:
            live.requested_end = L.EndReason.FAILED
            self.registry.update(live, end_detail="ivr_failed")
        await call.set_variable("CC_PROMPT", "ss-noservice")
        await call.set_variable("CC_ROUTE", "goodbye")

    async def _dialin(self, call: AgiCall, node: str) -> None:
        did_e164 = e164_of(call.extension)
        did = await self.ports.did(did_e164) if did_e164 else None
        live = self._new_leg(call, node, did)
        with bound(leg_id=live.leg.leg_id, node=node):
            await call.set_variable("CC_LEG_ID", live.leg.leg_id)
            if did is None:
                await self._reject(call, live, "unknown_did", "ss-noservice")
                return
            if self.guard.caller_locked(live.leg.caller_e164, now_ms()):
                await self._reject(call, live, "caller_locked_out", "vm-goodbye")
                return
            delay_ms = self.guard.did_delay_ms(did.e164, now_ms())
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)  # slows a DID under a code-guessing attack
            session = await self._ask_access_code(call, live, did)
            if session is None:
                return
            answer = await self._ask_pin(call, live, did, session)
            if answer is None:
                return
            started = time.perf_counter()
            session, as_organizer, participant = answer
            role = L.LegRole.ORGANIZER if as_organizer else L.LegRole.ATTENDEE
            account = await self.ports.account(session.account_id)
            spent = await self._spent(account)
            route = R.route_dialin(did, session, account, as_organizer, spent)
            await self._route(call, live, session, route, role, participant, started)

    def _new_leg(self, call: AgiCall, node: str, did: Did | None) -> LiveLeg:
        seen = self.registry.channels.get((node, call.uniqueid))
        created = seen.created_at_ms if seen else now_ms()
        kind = L.LegKind.TOLLFREE if did and did.kind is NumberKind.TOLL_FREE else L.LegKind.TOLL
        leg = L.Leg(
            leg_id=new_leg_id(),
            kind=kind,
            node=node,
            created_at_ms=created,
            country=did.country if did else None,
            caller_e164=e164_of(call.caller_number),
            uniqueid=call.uniqueid,
        )
        if seen is not None and seen.answered_at_ms is not None:
            leg = L.answer(leg, seen.answered_at_ms)
        live = LiveLeg(leg)
        self.registry.update(live, channel=call.channel, did=did.e164 if did else None)
        log.info("dial-in", did=did.e164 if did else call.extension, kind=kind.value)
        return live

    async def _ask_access_code(self, call: AgiCall, live: LiveLeg, did: Did) -> Session | None:
        for attempt in range(1, self.calls.access_code_attempts + 1):
            code = await call.get_data(
                PROMPT_ACCESS_CODE, self.calls.digit_timeout_ms, MAX_CODE_DIGITS
            )
            session = await self.ports.session_by_code(code) if code.isdigit() else None
            if session is not None:
                return session
            log.info("wrong access code", attempt=attempt, digits=len(code))
            if await self._wrong_entry(call, live, did, attempt, "access_code"):
                return None
        await self._reject(call, live, "wrong_access_code", PROMPT_INVALID)
        return None

    async def _ask_pin(
        self, call: AgiCall, live: LiveLeg, did: Did, session: Session
    ) -> tuple[Session, bool, str | None] | None:
        """The organizer PIN, or an attendee's audio PIN (`#` skips) -> (session as it is now,
        organizer?, audio PIN). An entry as long as the organizer PIN that is not it is a
        wrong organizer PIN: counted like a wrong access code, and asked again."""
        for attempt in range(1, self.calls.access_code_attempts + 1):
            pin = await call.get_data(PROMPT_PIN, self.calls.digit_timeout_ms, MAX_PIN_DIGITS)
            # The PIN took seconds: route on the session as it is now (it may have started).
            session = await self.ports.session(session.session_id) or session
            if pin == session.organizer_pin:
                return session, True, None
            if len(pin) != len(session.organizer_pin):
                return session, False, pin or None
            log.info("wrong organizer PIN", attempt=attempt)
            if await self._wrong_entry(call, live, did, attempt, "organizer_pin"):
                return None
        await self._reject(call, live, "wrong_organizer_pin", PROMPT_INVALID)
        return None

    async def _wrong_entry(
        self, call: AgiCall, live: LiveLeg, did: Did, attempt: int, what: str
    ) -> bool:
        """Count a wrong access code or organizer PIN; True when the caller is now locked
        out (and refused), else "invalid" is played before the next try, if any."""
        if self.guard.failed(live.leg.caller_e164, did.e164, now_ms(), what):
            await self._reject(call, live, "caller_locked_out", "vm-goodbye")
            return True
        if attempt < self.calls.access_code_attempts:
            await call.stream_file(PROMPT_INVALID)
        return False

    # -- Call Me -------------------------------------------------------------------------------
    async def callme(self, call: AgiCall) -> None:
        node = self.ports.node_of(call)
        try:
            await self._callme(call)
        except AgiHangup:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure still ends the call cleanly (logged there)
            await self._ivr_failed(call, self._find(node, call), exc)

    async def _callme(self, call: AgiCall) -> None:
        node = self.ports.node_of(call)
        live = self.registry.by_channel(node, call.uniqueid)
        if live is None:
            leg_id = await call.get_variable("CC_LEG_ID")
            live = self.registry.legs.get(leg_id or "")
        if live is None or live.leg.session_id is None:
            log.warning("callme AGI for an unknown leg", uniqueid=call.uniqueid)
            await call.set_variable("CC_ROUTE", "goodbye")
            return
        with bound(leg_id=live.leg.leg_id, session_id=live.leg.session_id, node=node):
            digit = await call.get_data(PROMPT_CALLME, self.calls.callme_confirm_timeout_ms, 1)
            if digit != self.calls.callme_confirm_digit:
                live.requested_end = L.EndReason.NOT_CONFIRMED
                log.info("call me not confirmed", pressed=digit or None)
                await self._goodbye(call, "vm-goodbye")
                return
            started = time.perf_counter()
            session = await self.ports.session(live.leg.session_id)
            account = await self.ports.account(session.account_id) if session else None
            spent = await self._spent(account)
            as_organizer = live.leg.role is L.LegRole.ORGANIZER
            route = R.route_callme(session, account, as_organizer, spent)
            if session is None:
                await self._reject(call, live, "session_gone", "vm-goodbye")
                return
            await self._route(call, live, session, route, live.leg.role, None, started)

    async def _spent(self, account: Account | None) -> Decimal:
        """What the account spent this month; only asked when a spend limit could refuse."""
        if account is None or account.spend_limit is None:
            return Decimal(0)
        return await self.ports.spent(account.account_id)

    # -- routing -------------------------------------------------------------------------------
    async def _route(
        self,
        call: AgiCall,
        live: LiveLeg,
        session: Session,
        route: R.Route,
        role: L.LegRole,
        participant: str | None,
        started: float,
    ) -> None:
        if route.kind is R.RouteKind.REJECT:
            self.on_decision(time.perf_counter() - started)
            await self._reject(call, live, route.reason.value, PROMPT_FOR_REASON[route.reason])
            return
        leg = L.bind(live.leg, session.session_id, role)
        if participant is not None:
            self.registry.update(live, leg, participant_id=participant)
        else:
            self.registry.update(live, leg)
        if route.marks_organizer_joined:
            session = await self.ports.session_event(session, SessionEvent.ORGANIZER_JOINED)
        self.registry.remember_session(session)
        await self.ports.place_session(session, live.leg.node)
        audio = session.audio
        variables = {
            "CC_CONF": R.conference_name(session.session_id),
            "CC_BRIDGE_PROFILE": R.bridge_profile(audio),
            "CC_USER_PROFILE": R.user_profile(role, audio),
            "CC_MENU": R.menu(role),
            "CC_MOH_CLASS": R.moh_class(audio),
            "CC_ROUTE": route.kind.value,
        }
        self.on_decision(time.perf_counter() - started)
        with bound(session_id=session.session_id):
            log.info("routed", route=route.kind.value, role=role.value, reason=route.reason.value)
            for name, value in variables.items():
                await call.set_variable(name, value)

    async def _reject(self, call: AgiCall, live: LiveLeg, why: str, prompt: str) -> None:
        live.requested_end = L.EndReason.REJECTED
        self.registry.update(live, end_detail=why)
        log.info("caller rejected", why=why)
        await self._goodbye(call, prompt)

    @staticmethod
    async def _goodbye(call: AgiCall, prompt: str) -> None:
        await call.set_variable("CC_PROMPT", prompt)
        await call.set_variable("CC_ROUTE", "goodbye")
