"""Who hears about leg changes: webhooks (via the outbox), billing, metrics and the dashboard.

Each builder returns plain hooks for call control; the heavy parts run through `Effects` so
the event consumer never waits on them.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections import Counter
from typing import Any

import phonenumbers

from callcontrol import metrics
from callcontrol.domain import legs as L
from callcontrol.domain.sessions import Session
from callcontrol.service.billing import Billing
from callcontrol.service.callcontrol import CallControl, Hooks
from callcontrol.service.effects import Effects
from callcontrol.service.live import LiveLeg
from callcontrol.service.live_hub import LiveHub
from callcontrol.store import outbox
from callcontrol.store.database import Database
from callcontrol.store.legs import LegWriter, OutboxItem

FAILED_REASONS = frozenset(
    {
        L.EndReason.BUSY,
        L.EndReason.NO_ANSWER,
        L.EndReason.CONGESTION,
        L.EndReason.FAILED,
        L.EndReason.REJECTED,
        L.EndReason.NOT_CONFIRMED,
    }
)
_ENDED_VISIBLE_S = 60.0  # an ended leg stays on the dashboard this long


@functools.lru_cache(maxsize=4096)
def caller_country(e164: str | None) -> str | None:
    """The ISO country of a caller's number (the leg's own country is its line's)."""
    if not e164:
        return None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def leg_view(live: LiveLeg) -> dict[str, Any]:
    """A leg as the webhooks and the dashboard show it (caller number masked)."""
    leg = live.leg
    return {
        "leg_id": leg.leg_id,
        "session_id": leg.session_id,
        "node": leg.node,
        "kind": leg.kind.value,
        "role": leg.role.value,
        "state": leg.state.value,
        "country": leg.country,
        "masked_number": L.masked_number(leg.caller_e164) if leg.caller_e164 else None,
        "caller_country": caller_country(leg.caller_e164),
        "created_at_ms": leg.created_at_ms,
        "answered_at_ms": leg.answered_at_ms,
        "waiting_at_ms": leg.waiting_at_ms,
        "conference_at_ms": leg.conference_at_ms,
        "left_at_ms": leg.left_at_ms,
        "ended_at_ms": leg.ended_at_ms,
        "end_reason": leg.end_reason.value if leg.end_reason else None,
        "hangup_cause": leg.hangup_cause,
        "estimated": leg.estimated,
        "muted": leg.muted,
        "talking": live.talking,
        "hand_raised": live.details.hand_raised,
        "idle_drop_at_ms": live.details.idle_deadline_ms,
    }


def webhook_hooks(hooks: Hooks, writer: LegWriter) -> None:
    """Leg events are stored in the same transaction as the leg change that causes them."""

    def enqueue(kind: str, live: LiveLeg) -> None:
        event_id = f"{kind}:{live.leg.leg_id}"  # one event of a kind per leg, ever
        writer.stage_event(OutboxItem(kind, leg_view(live), event_id))

    def joined(live: LiveLeg) -> None:
        enqueue("leg.joined", live)

    def ended(live: LiveLeg) -> None:
        failed = live.leg.end_reason in FAILED_REASONS and live.leg.conference_at_ms is None
        enqueue("leg.failed" if failed else "leg.left", live)

    def hand(live: LiveLeg) -> None:
        # A hand goes up and down many times: each move is its own event. Deliveries may
        # arrive out of order (retries): the PBX's time of the move lets the app keep the
        # newest.
        payload = {**leg_view(live), "hand_changed_at_ms": live.hand_changed_at_ms}
        event_id = f"leg.hand:{live.leg.leg_id}:{uuid.uuid4().hex[:16]}"
        writer.stage_event(OutboxItem("leg.hand", payload, event_id))

    hooks.leg_joined.append(joined)
    hooks.leg_ended.append(ended)
    hooks.hand_changed.append(hand)


async def announce_billed(billing: Billing, database: Database, session: Session) -> None:
    """Rate a closed session's legs for its final outcome and tell the app what it cost
    (`session.billed`, once per session: the event id is the session's)."""
    await billing.on_session_outcome(session)
    total = await billing.live_cost(session.session_id)
    payload = {
        "session_id": session.session_id,
        "account_id": session.account_id,
        "state": session.state.value,
        "amount": str(total),
    }
    event_id = f"session.billed:{session.session_id}"
    await outbox.enqueue_db(database, "session.billed", payload, event_id)


def billing_hooks(
    hooks: Hooks, effects: Effects, billing: Billing, cc: CallControl, database: Database
) -> None:
    """Rate each leg as it ends; re-rate a session whose outcome changes (rule 5: a cancel
    before any start voids it); once a closed session has no live leg, say it is billed."""

    def billed_if_done(session: Session) -> None:
        if not session.is_terminal or any(cc.registry.of_session(session.session_id)):
            return

        effects.submit(
            "billing.session_billed", lambda: announce_billed(billing, database, session)
        )

    def ended(live: LiveLeg) -> None:
        leg = live.leg
        if leg.session_id is None:
            return  # never reached a session: nobody to bill
        session_id = leg.session_id

        async def rate() -> None:
            session = cc.registry.sessions.get(session_id) or await cc.load_session(session_id)
            if session is not None:
                await billing.on_leg_ended(leg, session)  # checks the spend when it charged
                billed_if_done(session)

        effects.submit("billing.leg_ended", rate)

    def session_changed(session: Session) -> None:
        if session.is_terminal:
            effects.submit("billing.session_outcome", lambda: billing.on_session_outcome(session))
            billed_if_done(session)

    hooks.leg_ended.append(ended)
    hooks.session_changed.append(session_changed)


def metric_hooks(hooks: Hooks) -> None:
    seen: dict[str, tuple[str, str]] = {}

    def changed(live: LiveLeg) -> None:
        leg = live.leg
        before = seen.get(leg.leg_id)
        now = (leg.kind.value, leg.state.value)
        if before == now:
            return
        if before is None:
            metrics.NEW_CALLS.labels(kind=leg.kind.value).inc()
        else:
            metrics.LIVE_LEGS.labels(*before).dec()
        if leg.state is L.LegState.ENDED:
            seen.pop(leg.leg_id, None)
        else:
            seen[leg.leg_id] = now
            metrics.LIVE_LEGS.labels(*now).inc()

    hooks.leg_changed.append(changed)
    hooks.lockout.append(lambda kind: metrics.LOCKOUTS.labels(kind=kind).inc())
    hooks.ivr_decision.append(metrics.IVR_DECISION_SECONDS.observe)


def hub_hooks(hooks: Hooks, hub: LiveHub, cc: CallControl) -> None:
    loop = asyncio.get_running_loop()

    def changed(live: LiveLeg) -> None:
        leg = live.leg
        hub.publish("leg", leg.leg_id, leg_view(live))
        if leg.state is L.LegState.ENDED:
            loop.call_later(_ENDED_VISIBLE_S, hub.publish, "leg", leg.leg_id, None)
        if leg.session_id is not None:
            publish_session(hub, cc, leg.session_id)

    def session_changed(session: Session) -> None:
        # A start or an end with no leg changing after it would leave the page's state stale;
        # this hook runs before the registry holds the new session, so it is passed along.
        publish_session(hub, cc, session.session_id, session)
        if session.is_terminal:
            loop.call_later(_ENDED_VISIBLE_S, hub.publish, "session", session.session_id, None)

    hooks.leg_changed.append(changed)
    hooks.session_changed.append(session_changed)


def publish_session(
    hub: LiveHub, cc: CallControl, session_id: str, session: Session | None = None
) -> None:
    session = session or cc.registry.sessions.get(session_id)
    legs = cc.registry.live_of_session(session_id)
    counts = cc.registry.counts(session_id)
    waiting = [lv for lv in legs if lv.leg.state is L.LegState.WAITING]
    deadlines = [lv.details.idle_deadline_ms for lv in waiting if lv.details.idle_deadline_ms]
    hub.publish(
        "session",
        session_id,
        {
            "session_id": session_id,
            "account_id": session.account_id if session else None,
            "title": session.title if session else session_id,
            "state": session.state.value if session else None,
            "node": cc.registry.session_nodes.get(session_id),
            "access_code": session.access_code if session else None,
            "counts": {
                "waiting": counts.waiting,
                "in_conference": counts.in_conference,
                "ringing": counts.ringing,
                "by_kind": dict(Counter(lv.leg.kind.value for lv in legs)),
            },
            "oldest_waiting_since_ms": min(
                (lv.leg.waiting_at_ms for lv in waiting if lv.leg.waiting_at_ms), default=None
            ),
            "idle_drop_at_ms": min(deadlines, default=None),
            "running_cost": cc.registry.session_costs.get(session_id),
            "locked": session_id in cc.registry.locked_sessions,
        },
    )
