"""The billing scenarios of design.md, end to end: calls on the simulated PBX, sessions driven
over the HTTP API, charges read back from the usage report."""

from collections import defaultdict
from decimal import Decimal

from callcontrol.settings import CallSettings
from callcontrol.sim.callers import Digits, Hangup, WaitMs
from tests.e2e.conftest import Service

ACCOUNT = {"plan": "pro", "billing_mode": "online", "billing_contact_user_id": "u-bill"}
WINDOW = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"
CALLS = CallSettings(digit_timeout_ms=3000, prestart_idle_timeout=2)


async def _session(svc: Service) -> dict:
    await svc.call("PUT", "/v1/accounts/acme", ACCOUNT, role="app")
    await svc.call(
        "PUT", "/v1/accounts/acme/advanced-audio", {"acting_user_id": "u-bill"}, role="app"
    )
    body = {"account_id": "acme", "organizer_id": "u-org", "title": "T",
            "starts_at": "2030-05-01T14:00:00.000Z", "tollfree_countries": ["US"]}  # fmt: skip
    status, session = await svc.call("POST", "/v1/sessions", body, role="app")
    assert status == 201, session
    return session


def _number(session: dict, kind: str) -> str:
    return next(n["e164"] for n in session["dial_in"] if n["kind"] == kind and n["country"] == "US")


def _dial(svc: Service, did: str, session: dict, pin: str = "", stay_ms: int = 60_000, n: int = 0):  # type: ignore[no-untyped-def]
    script = [Digits(f"{session['access_code']}#"), Digits(f"{pin}#"), WaitMs(stay_ms), Hangup()]
    return svc.sim.place_call(did, f"+1415555{n:04d}", script=script)


async def _net_by_leg(svc: Service) -> dict[str, tuple[str, Decimal, str]]:
    """leg id -> (kind, net cost, rule of its last line) from the usage report."""
    status, report = await svc.call("GET", f"/v1/accounts/acme/usage?{WINDOW}", role="app")
    assert status == 200, report
    net: dict[str, Decimal] = defaultdict(Decimal)
    info: dict[str, tuple[str, str]] = {}
    for session in report["sessions"]:
        for line in session["legs"]:
            net[line["leg_id"]] += Decimal(line["cost"])
            info[line["leg_id"]] = (line["kind"], line["rule"])
    total = sum(net.values(), Decimal(0))
    assert total == sum((Decimal(v) for v in report["cost"].values()), Decimal(0))
    return {leg: (info[leg][0], net[leg], info[leg][1]) for leg in net}


async def _until_all_rated(svc: Service, count: int) -> dict[str, tuple[str, Decimal, str]]:
    async def rated() -> dict | None:
        await svc.running.effects.drain()
        lines = await _net_by_leg(svc)
        return lines if len(lines) >= count else None

    return await svc.wait_for_async(rated, timeout=20)


async def test_cancelled_never_started_bills_nothing(service_factory) -> None:  # type: ignore[no-untyped-def]
    async with service_factory(
        CallSettings(digit_timeout_ms=3000, prestart_idle_timeout=600)
    ) as svc:
        session = await _session(svc)
        for n in range(2):
            _dial(svc, _number(session, "toll_free"), session, n=n)
        await svc.wait_for(
            lambda: (
                sum(lv.leg.state.value == "waiting" for lv in svc.cc.registry.legs.values()) == 2
            )
        )
        status, _ = await svc.call(
            "POST", f"/v1/sessions/{session['session_id']}/cancel", role="app"
        )
        assert status == 200
        await svc.wait_for(lambda: not svc.cc.registry.legs)
        lines = await _until_all_rated(svc, 2)
    assert [net for _, net, _ in lines.values()] == [Decimal(0)] * 2
    assert {rule for _, _, rule in lines.values()} == {"void_cancelled_never_started"}


async def test_organizer_joined_never_started_bills_organizer_and_waiting_callers(
    service_factory,
) -> None:  # type: ignore[no-untyped-def]
    async with service_factory(
        CallSettings(digit_timeout_ms=3000, prestart_idle_timeout=600)
    ) as svc:
        session = await _session(svc)
        _dial(svc, _number(session, "toll_free"), session, pin=session["organizer_pin"], n=1)
        _dial(svc, _number(session, "toll_free"), session, n=2)
        _dial(svc, _number(session, "toll"), session, n=3)
        await svc.wait_for(
            lambda: (
                sum(lv.leg.state.value == "waiting" for lv in svc.cc.registry.legs.values()) == 3
            )
        )
        status, _ = await svc.call(
            "POST", f"/v1/sessions/{session['session_id']}/cancel", role="app"
        )
        assert status == 200
        await svc.wait_for(lambda: not svc.cc.registry.legs)
        lines = await _until_all_rated(svc, 3)
    by_kind = defaultdict(list)
    for kind, net, rule in lines.values():
        by_kind[kind].append((net, rule))
    assert all(net > 0 for net, _ in by_kind["tollfree"]), by_kind
    assert len(by_kind["tollfree"]) == 2  # the organizer and the waiting participant
    assert by_kind["toll"] == [(Decimal(0), "toll_not_billed")]


async def test_started_session_bills_tollfree_and_callme_not_toll_and_idle_drops_to_the_drop(
    service_factory,
) -> None:  # type: ignore[no-untyped-def]
    async with service_factory(CALLS) as svc:
        session = await _session(svc)
        sid = session["session_id"]
        # An early caller is idle-dropped after the (shortened) two seconds.
        early = _dial(svc, _number(session, "toll_free"), session, n=9)
        await early.ended.wait()
        assert (await svc.call("POST", f"/v1/sessions/{sid}/start", role="app"))[0] == 200
        toll = _dial(svc, _number(session, "toll"), session, stay_ms=1500, n=1)
        tollfree = _dial(svc, _number(session, "toll_free"), session, stay_ms=1500, n=2)
        svc.sim.add_callee(
            "+493012345671",
            kind="answer",
            ring_s=0.2,
            digits="1",
            digits_after_s=0.1,
            hangup_after_s=1.5,
        )
        body = {"phone": "+493012345671", "name": "Bo", "role": "attendee"}
        assert (await svc.call("POST", f"/v1/sessions/{sid}/callme", body, role="app"))[0] == 202
        await toll.ended.wait()
        await tollfree.ended.wait()
        await svc.wait_for(lambda: not svc.cc.registry.legs)
        lines = await _until_all_rated(svc, 4)
    rules = sorted((kind, rule) for kind, _, rule in lines.values())
    assert rules == [
        ("callme", "billed_answer_to_end"),
        ("toll", "toll_not_billed"),
        ("tollfree", "billed_answer_to_end"),
        ("tollfree", "idle_drop_billed_to_drop"),
    ]
    nets = {rule: net for _, net, rule in lines.values()}
    assert nets["toll_not_billed"] == 0
    assert nets["idle_drop_billed_to_drop"] > 0
