"""End to end: the webinar app's HTTP calls reach the simulated PBX, and back."""

import json
from decimal import Decimal

from callcontrol.sim.callers import Digits, Hangup, WaitMs
from tests.e2e.conftest import Service

ACCOUNT = {"plan": "pro", "billing_mode": "online", "billing_contact_user_id": "u-bill"}
CALLEE = "+493012345670"


def _us_toll(session: dict) -> str:
    """The session's US toll dial-in number."""
    return next(
        n["e164"] for n in session["dial_in"] if n["kind"] == "toll" and n["country"] == "US"
    )


async def _account_and_session(svc: Service, tollfree: list[str] | None = None) -> dict:
    status, _ = await svc.call("PUT", "/v1/accounts/acme", ACCOUNT, role="app")
    assert status in (200, 201)
    status, _ = await svc.call(
        "PUT", "/v1/accounts/acme/advanced-audio", {"acting_user_id": "u-bill"}, role="app"
    )
    assert status == 200
    body = {
        "account_id": "acme",
        "organizer_id": "u-org",
        "title": "Launch",
        "starts_at": "2030-05-01T14:00:00.000Z",
        "tollfree_countries": tollfree or ["US"],
    }
    status, session = await svc.call("POST", "/v1/sessions", body, role="app")
    assert status == 201, session
    return session


def _dial(svc: Service, did: str, code: str, stay_ms: int = 60_000, caller: str = "+14155550150"):  # type: ignore[no-untyped-def]
    return svc.sim.place_call(
        did, caller, script=[Digits(f"{code}#"), Digits("#"), WaitMs(stay_ms), Hangup()]
    )


async def test_start_over_http_moves_the_waiting_caller_and_controls_reach_the_pbx(
    service_factory,
) -> None:  # type: ignore[no-untyped-def]
    async with service_factory() as svc:
        session = await _account_and_session(svc)
        sid = session["session_id"]
        toll = _us_toll(session)
        caller = _dial(svc, toll, session["access_code"])

        async def waiting() -> list:
            _, body = await svc.call("GET", f"/v1/sessions/{sid}/legs", role="operator")
            return [leg for leg in body["legs"] if leg["state"] == "waiting"]

        [leg] = await svc.wait_for_async(waiting)
        status, _ = await svc.call("POST", f"/v1/sessions/{sid}/start", role="app")
        assert status == 200

        async def in_conference() -> bool:
            _, body = await svc.call("GET", f"/v1/legs/{leg['leg_id']}", role="operator")
            return body["state"] == "in_conference"

        await svc.wait_for_async(in_conference)
        status, _ = await svc.call("POST", f"/v1/legs/{leg['leg_id']}/mute", role="operator")
        assert status == 202
        await svc.wait_for(lambda: any(c["Muted"] for c in svc.sim.channels() if c["Conference"]))
        status, _ = await svc.call("POST", f"/v1/sessions/{sid}/lock", role="operator")
        assert status == 202
        await svc.wait_for(lambda: svc.sim.conferences()[0]["Locked"])
        status, _ = await svc.call("DELETE", f"/v1/legs/{leg['leg_id']}", role="operator")
        assert status == 202
        await caller.ended.wait()

        async def ended() -> dict | None:
            _, body = await svc.call("GET", f"/v1/legs/{leg['leg_id']}", role="operator")
            return body if body["state"] == "ended" else None

        final = await svc.wait_for_async(ended)
    assert final["end_reason"] == "operator_drop"
    assert final["muted"] is True


async def test_call_me_over_http_is_placed_once_and_billed(service_factory) -> None:  # type: ignore[no-untyped-def]
    async with service_factory() as svc:
        session = await _account_and_session(svc)
        sid = session["session_id"]
        assert (await svc.call("POST", f"/v1/sessions/{sid}/start", role="app"))[0] == 200
        svc.sim.add_callee(
            CALLEE, kind="answer", ring_s=0.2, digits="1", digits_after_s=0.1, hangup_after_s=2.5
        )
        body = {"phone": CALLEE, "name": "Ada", "role": "attendee"}
        status, placed = await svc.call("POST", f"/v1/sessions/{sid}/callme", body, role="app")
        assert status == 202, placed
        leg_id = placed["leg_id"]

        async def ended() -> dict | None:
            _, leg = await svc.call("GET", f"/v1/legs/{leg_id}", role="app")
            return leg if leg["state"] == "ended" and leg["cost"] is not None else None

        leg = await svc.wait_for_async(ended, timeout=20)
        originated = [e for e in svc.sim.channels() if e.get("Uniqueid") == leg_id]
        assert originated == []  # gone after the hang-up
        status, usage = await svc.call(
            "GET",
            "/v1/accounts/acme/usage?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
            role="app",
        )
        assert status == 200, usage
    assert leg["joined_at"] is not None
    assert leg["end_reason"] == "caller_hangup"
    assert Decimal(leg["cost"]) > 0
    [line] = [line for s in usage["sessions"] for line in s["legs"] if line["leg_id"] == leg_id]
    assert Decimal(line["cost"]) == Decimal(leg["cost"])


async def test_metrics_count_what_happened(service_factory) -> None:  # type: ignore[no-untyped-def]
    async with service_factory() as svc:
        session = await _account_and_session(svc)
        toll = next(n["e164"] for n in session["dial_in"] if n["kind"] == "toll")
        caller = _dial(svc, toll, "000000000", stay_ms=100)
        await caller.ended.wait()
        await svc.wait_for(lambda: not svc.cc.registry.legs)
        async with svc.client.get(svc.base + "/metrics") as r:
            text = await r.text()
    assert 'callcontrol_new_calls_total{kind="toll"}' in text
    assert "callcontrol_ivr_decision_seconds" in text


async def test_controls_are_audited_and_listed_for_operators(service_factory) -> None:  # type: ignore[no-untyped-def]
    async with service_factory() as svc:
        session = await _account_and_session(svc)
        sid = session["session_id"]
        assert (await svc.call("POST", f"/v1/sessions/{sid}/start", role="app"))[0] == 200
        toll = _us_toll(session)
        _dial(svc, toll, session["access_code"])
        await svc.wait_for(
            lambda: any(
                lv.leg.state.value == "in_conference" for lv in svc.cc.registry.legs.values()
            )
        )
        assert (await svc.call("POST", f"/v1/sessions/{sid}/mute-all", role="operator"))[0] == 202
        status, audit = await svc.call("GET", "/v1/audit", role="operator")
        assert status == 200
        assert (await svc.call("GET", "/v1/audit", role="app"))[0] == 403
    actions = [(e["action"], e["target"]) for e in audit["items"]]
    assert actions[0] == ("session.mute-all", f"session:{sid}")
    operator_token_id = svc.tokens["operator"].split("_")[1]
    assert audit["items"][0]["actor"] == f"token:{operator_token_id}"


async def test_leg_events_reach_the_webhook_outbox_with_the_leg(service_factory) -> None:  # type: ignore[no-untyped-def]
    async with service_factory() as svc:
        session = await _account_and_session(svc)
        sid = session["session_id"]
        assert (await svc.call("POST", f"/v1/sessions/{sid}/start", role="app"))[0] == 200
        toll = _us_toll(session)
        code = session["access_code"]
        script = [Digits(f"{code}#"), Digits("#"), Digits("*9"), WaitMs(800), Hangup()]
        caller = svc.sim.place_call(toll, "+14155550151", script=script)  # raises a hand
        await caller.ended.wait()
        await svc.wait_for(lambda: not svc.cc.registry.legs)
        await svc.cc.writer.flush()
        async with svc.running.database.connection() as conn:
            rows = await conn.fetch(
                "SELECT event_id, kind, payload FROM webhook_outbox ORDER BY id"
            )
            [leg_id] = [r["leg_id"] for r in await conn.fetch("SELECT leg_id FROM legs")]
    kinds = [(r["kind"], r["event_id"]) for r in rows]
    assert ("leg.joined", f"leg.joined:{leg_id}") in kinds
    assert ("leg.left", f"leg.left:{leg_id}") in kinds
    payloads = {r["kind"]: json.loads(r["payload"]) for r in rows}
    [hand_id] = [event_id for kind, event_id in kinds if kind == "leg.hand"]
    assert hand_id.startswith(f"leg.hand:{leg_id}:")
    hand = payloads["leg.hand"]  # delivered as the event's "data"
    assert hand["hand_raised"] is True
    assert hand["ended_at_ms"] is None  # sent when the hand went up, mid-call
    assert hand["conference_at_ms"] <= hand["hand_changed_at_ms"]
    assert payloads["leg.left"]["hand_raised"] is False  # the call is over
