"""Parser + translator over every real Asterisk 22 trace, read in random chunk sizes."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from callcontrol.domain import pbx_events as ev
from callcontrol.pbx.ami_parser import AmiMessage, AmiParser, ParseError
from callcontrol.pbx.translator import (
    TRACKED_VARIABLES,
    WANTED_EVENTS,
    TranslationError,
    Translator,
    UnknownEvent,
    translate,
)

TRACES = (
    Path(
        os.environ.get("CALLCONTROL_TRACES")
        or Path(__file__).resolve().parents[2].parent / "shared" / "traces"
    )
    / "asterisk-22"
)
ALL_TRACES = sorted(p.name.removesuffix(".raw.txt") for p in TRACES.glob("*.raw.txt"))
RECEIVED_AT = 1_700_000_000_000


def replay(trace: str, seed: int = 0, filtered: bool = True) -> list[object]:
    """Every translation result of a trace, the stream read in random chunk sizes."""
    data = (TRACES / f"{trace}.raw.txt").read_bytes()
    parser = AmiParser(WANTED_EVENTS, TRACKED_VARIABLES) if filtered else AmiParser()
    rng = random.Random(seed)
    results: list[object] = []
    pos = 0
    while pos < len(data):
        size = rng.randint(1, 3000)
        for item in parser.feed(data[pos : pos + size]):
            assert not isinstance(item, ParseError), item
            results.append(translate(item, "node-a", RECEIVED_AT))
        pos += size
    assert parser.buffered == 0
    return results


def events(trace: str, kind: type, seed: int = 0) -> list:
    return [e for e in replay(trace, seed) if isinstance(e, kind)]


@pytest.mark.parametrize("trace", ALL_TRACES)
def test_every_trace_translates_cleanly_and_the_filter_loses_nothing(trace: str) -> None:
    full = [r for r in replay(trace, seed=1, filtered=False) if r is not None]
    assert not [r for r in full if isinstance(r, UnknownEvent | TranslationError)]
    for seed in (2, 3):
        assert [r for r in replay(trace, seed) if r is not None] == full
    assert all(e.node == "node-a" and e.at_ms == RECEIVED_AT for e in full)  # type: ignore[union-attr]


def test_two_callers_join_mute_and_hang_up() -> None:
    t = "ami_confbridge_two_callers"
    originated = [e.uniqueid for e in events(t, ev.OriginateResult)]
    joins = events(t, ev.ConferenceJoined)
    assert [(j.conference, j.uniqueid, j.admin, j.muted) for j in joins] == [
        ("123456789", "1795770568.15", False, False),
        ("123456789", "1795770572.19", False, False),
    ]
    # The ;2 half joins; its Linkedid is the Originate's Uniqueid.
    assert [j.linkedid for j in joins] == originated
    assert [m.uniqueid for m in events(t, ev.ConferenceMuted)] == ["1795770568.15", "1795770572.19"]
    assert [m.uniqueid for m in events(t, ev.ConferenceUnmuted)] == ["1795770568.15"]
    causes = {h.uniqueid: (h.cause, h.cause_txt) for h in events(t, ev.ChannelHungUp)}
    assert causes == {
        "1795770568.14": (16, "Normal Clearing"),
        "1795770568.15": (16, "Normal Clearing"),
        "1795770572.18": (0, "Unknown"),  # AMI Hangup of the ;1 half shows cause 0 there
        "1795770572.19": (16, "Normal Clearing"),
    }
    results = [(v.uniqueid, v.value) for v in events(t, ev.VariableSet)]
    assert results == [("1795770568.15", "KICKED"), ("1795770572.19", "HANGUP")]
    (room,) = events(t, ev.ConferenceRoomListed)
    assert (room.conference, room.parties, room.locked, room.muted) == (
        "123456789",
        2,
        False,
        False,
    )
    assert len(events(t, ev.ConferenceMemberListed)) == 2
    assert [e.conference for e in events(t, ev.ConferenceEnded)] == ["123456789"]


@pytest.mark.parametrize(
    ("trace", "reason", "causes"),
    [
        ("callme_busy", ev.OriginateReason.BUSY, {";2": 17, ";1": 0}),
        ("callme_noanswer", ev.OriginateReason.RINGING, {";2": 19, ";1": 19}),
        ("callme_congestion", ev.OriginateReason.CONGESTION, {";2": 34, ";1": 0}),
    ],
)
def test_failed_call_me(trace: str, reason: ev.OriginateReason, causes: dict[str, int]) -> None:
    (result,) = events(trace, ev.OriginateResult)
    assert not result.success and result.reason == reason and result.outcome is reason
    # With ChannelId set, a failed Originate reports the ChannelId as Uniqueid.
    assert result.uniqueid is not None and result.uniqueid.startswith("5f0c1a2e-")
    assert "@lab-pstn" in result.channel
    hangups = {h.channel[-2:]: h.cause for h in events(trace, ev.ChannelHungUp)}
    assert hangups == causes


def test_originate_result_may_come_after_the_hangups() -> None:
    kinds = [type(e) for e in replay("callme_noanswer") if e is not None]
    assert kinds.index(ev.OriginateResult) > max(
        i for i, k in enumerate(kinds) if k is ev.ChannelHungUp
    )


def test_originate_failure_has_no_uniqueid() -> None:
    results = events("ami_originate_failure", ev.OriginateResult)
    assert [(r.success, r.reason, r.uniqueid, r.channel) for r in results] == [
        (False, 0, None, "Local/999@no-such-context"),
        (False, 0, None, "Bogus/123"),
    ]
    assert results[0].outcome is ev.OriginateReason.FAILED


def test_call_me_answered_joins_with_the_channel_id() -> None:
    t = "callme_answer_confirm"
    (result,) = events(t, ev.OriginateResult)
    assert result.success and result.outcome is ev.OriginateReason.ANSWERED
    (join,) = events(t, ev.ConferenceJoined)
    assert join.conference == "555000111" and join.uniqueid == result.uniqueid
    assert [d.digit for d in events(t, ev.DtmfReceived)] == ["1"]


def test_waiting_room_then_redirect_into_the_conference() -> None:
    t = "waiting_then_redirect"
    (start,) = events(t, ev.MusicOnHoldStarted)
    (stop,) = events(t, ev.MusicOnHoldStopped)
    (join,) = events(t, ev.ConferenceJoined)
    assert start.uniqueid == stop.uniqueid == join.uniqueid
    assert start.moh_class == "default" and join.conference == "555000222"


def test_mute_all_lock_kick() -> None:
    t = "mute_all_lock_kick"
    joins = events(t, ev.ConferenceJoined)
    assert [j.admin for j in joins] == [True, False, False]
    muted = {m.uniqueid for m in events(t, ev.ConferenceMuted)}
    assert muted == {j.uniqueid for j in joins if not j.admin}  # participants only
    (room,) = events(t, ev.ConferenceRoomListed)
    assert room.locked and room.parties == 3
    refused = [v for v in events(t, ev.VariableSet) if v.value == "FAILED"]
    assert len(refused) == 1 and refused[0].uniqueid not in {j.uniqueid for j in joins}
    assert {lf.uniqueid for lf in events(t, ev.ConferenceLeft)} == {j.uniqueid for j in joins}


def test_core_show_channels_lists_both_halves() -> None:
    listed = events("core_show_channels", ev.ChannelListed)
    assert len(listed) == 6 and all(c.state == 6 for c in listed)
    assert {c.channel[-2:] for c in listed} == {";1", ";2"}
    done = [c for c in events("core_show_channels", ev.ListCompleted) if c.items == 6]
    assert [d.list_name for d in done] == ["CoreShowChannelsComplete"]


def test_fastagi_status_and_playdtmf_digit() -> None:
    agi = events("ami_fastagi_dialin", ev.VariableSet)
    assert ("AGISTATUS", "SUCCESS") in [(v.name, v.value) for v in agi]
    unreachable = events("ami_fastagi_unreachable", ev.VariableSet)
    assert [(v.name, v.value) for v in unreachable] == [("AGISTATUS", "FAILURE")]
    digits = events("ami_playdtmf_queued_response", ev.DtmfReceived)
    assert digits[-1].digit == "*" and digits[-1].direction == "Received"
    assert digits[-1].duration_ms == 120
    booted = events("ami_playdtmf_queued_response", ev.NodeBooted)
    assert [(b.uptime_s, b.last_reload_s) for b in booted] == [(2, 2), (13, 13)]


def test_burst_trace_counts() -> None:
    results = [r for r in replay("burst_50_calls") if r is not None]
    joins = [r for r in results if isinstance(r, ev.ConferenceJoined)]
    assert len(joins) == 50 and len({j.conference for j in joins}) == 5
    assert len([r for r in results if isinstance(r, ev.ChannelHungUp)]) == 100
    assert len([r for r in results if isinstance(r, ev.DtmfReceived)]) == 450


def msg(name: str, **headers: str) -> AmiMessage:
    return AmiMessage("event", name, {"Event": name, **headers})


def test_timestamp_header_gives_the_event_time() -> None:
    m = msg("Hangup", Uniqueid="1.1", Linkedid="1.1", Channel="X/1", Cause="16")
    m.headers["Timestamp"] = "1700000001.234567"
    result = translate(m, "n", RECEIVED_AT)
    assert isinstance(result, ev.ChannelHungUp) and result.at_ms == 1_700_000_001_234


def test_shutdown_talking_and_newstate_not_up() -> None:
    down = translate(msg("Shutdown", Shutdown="Cleanly", Restart="True"), "n", 5)
    assert down == ev.NodeShutdown("n", True, 5)
    talk = msg("ConfbridgeTalking", Conference="c", Uniqueid="1.1", Channel="X/1")
    talk.headers["TalkingStatus"] = "off"
    assert translate(talk, "n", 5) == ev.ConferenceTalking("n", "c", "1.1", "X/1", False, 5)
    ringing = msg("Newstate", Uniqueid="1.1", Linkedid="1.1", Channel="X/1", ChannelState="5")
    assert translate(ringing, "n", 5) is None


def test_bad_events_are_records_not_exceptions() -> None:
    translator = Translator("n")
    missing = translator(msg("ConfbridgeJoin", Conference="c", Admin="No", Muted="No"), 1)
    assert isinstance(missing, TranslationError) and "Uniqueid" in missing.reason
    bad = translator(msg("Hangup", Uniqueid="1", Linkedid="1", Channel="X", Cause="sixteen"), 1)
    assert isinstance(bad, TranslationError) and bad.reason.startswith("bad value")
    assert ("Cause", "sixteen") in bad.headers
    assert translator(msg("FancyNewEvent"), 1) == UnknownEvent("n", "FancyNewEvent")
    assert translator(msg("Cdr"), 1) is None
    assert translator(AmiMessage("response", "Success", {"Response": "Success"}), 1) is None
    assert translator.unknown == {"FancyNewEvent": 1}
    assert translator.errors == {"ConfbridgeJoin": 1, "Hangup": 1}
