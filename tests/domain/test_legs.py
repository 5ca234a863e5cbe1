"""Leg state table, timestamps, end reasons, binding, mute and number masking."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from callcontrol.domain.errors import (
    IllegalLegTransition,
    InvalidNumber,
    InvalidValue,
    LegAlreadyBound,
    TimeWentBackwards,
)
from callcontrol.domain.legs import (
    TRANSITIONS,
    EndReason,
    Leg,
    LegEvent,
    LegKind,
    LegRole,
    LegState,
    answer,
    bind,
    end,
    enter_conference,
    enter_waiting,
    leave,
    masked_number,
    next_state,
    set_muted,
)

from .builders import T0, leg

L, V = LegState, LegEvent


def _end(x: Leg, at_ms: int) -> Leg:
    return end(x, at_ms, EndReason.CALLER_HANGUP)


APPLY: dict[LegEvent, Callable[[Leg, int], Leg]] = {
    V.ANSWER: answer,
    V.WAIT: enter_waiting,
    V.JOIN: enter_conference,
    V.LEAVE: leave,
    V.END: _end,
}
STAMP = {
    L.ANSWERED: "answered_at_ms",
    L.WAITING: "waiting_at_ms",
    L.IN_CONFERENCE: "conference_at_ms",
    L.LEFT: "left_at_ms",
    L.ENDED: "ended_at_ms",
}

LEGAL = [
    pytest.param(L.CREATED, V.ANSWER, L.ANSWERED, id="channel answered"),
    pytest.param(L.ANSWERED, V.WAIT, L.WAITING, id="on hold before the start"),
    pytest.param(L.ANSWERED, V.JOIN, L.IN_CONFERENCE, id="straight into a started session"),
    pytest.param(L.WAITING, V.JOIN, L.IN_CONFERENCE, id="moved in when the session starts"),
    pytest.param(L.IN_CONFERENCE, V.LEAVE, L.LEFT, id="kicked, channel still up"),
    pytest.param(L.CREATED, V.END, L.ENDED, id="call me busy or no answer"),
    pytest.param(L.ANSWERED, V.END, L.ENDED, id="hangup in the IVR"),
    pytest.param(L.WAITING, V.END, L.ENDED, id="hangup or idle drop while waiting"),
    pytest.param(L.IN_CONFERENCE, V.END, L.ENDED, id="hangup in the conference"),
    pytest.param(L.LEFT, V.END, L.ENDED, id="hangup after leaving"),
]

ILLEGAL = [
    pytest.param(state, event, id=f"{state}+{event}")
    for state, event in itertools.product(L, V)
    if (state, event) not in TRANSITIONS
]


def _leg_in(state: LegState) -> Leg:
    """A leg that really went through the table to ``state``."""
    paths = {
        L.CREATED: [],
        L.ANSWERED: [V.ANSWER],
        L.WAITING: [V.ANSWER, V.WAIT],
        L.IN_CONFERENCE: [V.ANSWER, V.JOIN],
        L.LEFT: [V.ANSWER, V.JOIN, V.LEAVE],
        L.ENDED: [V.ANSWER, V.END],
    }
    x = leg()
    for i, event in enumerate(paths[state], start=1):
        x = APPLY[event](x, T0 + i * 1000)
    assert x.state is state
    return x


def test_table_has_exactly_the_documented_rows() -> None:
    assert {(p.values[0], p.values[1]): p.values[2] for p in LEGAL} == TRANSITIONS


@pytest.mark.parametrize(("state", "event", "expected"), LEGAL)
def test_legal_transition(state: LegState, event: LegEvent, expected: LegState) -> None:
    assert next_state(state, event) is expected
    before = _leg_in(state)
    after = APPLY[event](before, T0 + 60_000)
    assert after.state is expected
    assert getattr(after, STAMP[expected]) == T0 + 60_000
    assert before.state is state


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_illegal_transition_raises_and_leaves_state(state: LegState, event: LegEvent) -> None:
    before = _leg_in(state)
    with pytest.raises(IllegalLegTransition) as caught:
        APPLY[event](before, T0 + 60_000)
    assert caught.value.code == "illegal_leg_transition"
    assert (caught.value.state, caught.value.event) == (state.value, event.value)
    assert before.state is state


def test_illegal_transitions_cover_every_other_pair() -> None:
    assert len(ILLEGAL) + len(TRANSITIONS) == len(L) * len(V)


@pytest.mark.parametrize(
    "decision",
    [
        pytest.param((L.LEFT, V.JOIN), id="no re-join after leaving: a new leg instead"),
        pytest.param((L.ENDED, V.END), id="ending an ended leg raises"),
        pytest.param((L.WAITING, V.LEAVE), id="a waiting leg is not in the conference"),
        pytest.param((L.CREATED, V.JOIN), id="no join before answer"),
    ],
)
def test_documented_decisions(decision: tuple[LegState, LegEvent]) -> None:
    assert decision not in TRANSITIONS


def test_end_records_reason_cause_and_estimate() -> None:
    x = end(_leg_in(L.IN_CONFERENCE), T0 + 9_000, EndReason.NODE_RESTART, 16, estimated=True)
    assert (x.state, x.end_reason, x.hangup_cause, x.estimated, x.ended_at_ms) == (
        L.ENDED,
        EndReason.NODE_RESTART,
        16,
        True,
        T0 + 9_000,
    )


def test_end_defaults() -> None:
    x = end(leg(), T0 + 1, EndReason.BUSY)
    assert (x.hangup_cause, x.estimated, x.answered_at_ms) == (None, False, None)


def test_time_going_backwards_raises() -> None:
    answered = answer(leg(), T0 + 5_000)
    with pytest.raises(TimeWentBackwards):
        end(answered, T0 + 4_999, EndReason.CALLER_HANGUP)
    with pytest.raises(TimeWentBackwards):
        answer(leg(), T0 - 1)


def test_bind_sets_session_and_role() -> None:
    x = bind(leg(session_id=None), "ses-9", LegRole.PANELIST)
    assert (x.session_id, x.role) == ("ses-9", LegRole.PANELIST)
    assert bind(x, "ses-9", LegRole.ORGANIZER).role is LegRole.ORGANIZER


def test_bind_to_another_session_raises() -> None:
    with pytest.raises(LegAlreadyBound) as caught:
        bind(leg(session_id="ses-1"), "ses-2", LegRole.ATTENDEE)
    assert caught.value.code == "leg_already_bound"


def test_bind_ended_leg_raises() -> None:
    with pytest.raises(IllegalLegTransition):
        bind(_leg_in(L.ENDED), "ses-1", LegRole.ATTENDEE)


def test_mute_and_unmute() -> None:
    muted = set_muted(_leg_in(L.IN_CONFERENCE), True)
    assert muted.muted
    assert not set_muted(muted, False).muted


@pytest.mark.parametrize("muted", [True, False], ids=["mute", "unmute"])
def test_mute_ended_leg_raises(muted: bool) -> None:
    with pytest.raises(IllegalLegTransition) as caught:
        set_muted(_leg_in(L.ENDED), muted)
    assert caught.value.event == ("mute" if muted else "unmute")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param({"country": "France"}, InvalidValue, id="bad country"),
        pytest.param({"caller_e164": "0612345678"}, InvalidNumber, id="national caller number"),
        pytest.param({"created_at_ms": -1}, InvalidValue, id="negative creation time"),
    ],
)
def test_invalid_leg_fields_raise(changes: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        leg(**changes)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        pytest.param("+33612345678", "+33 6•• ••• •78", id="France mobile"),
        pytest.param("+14155550123", "+1 4 ••• ••• •23", id="NANP one-digit code"),
        pytest.param("+4930123456", "+49 3• ••• •56", id="Germany"),
        pytest.param("+35312345678", "+353 1• ••• •78", id="Ireland three-digit code"),
        pytest.param("+79161234567", "+7 9 ••• ••• •67", id="Russia one-digit code"),
        pytest.param("+2125551", "+212 5 •51", id="shortest national part"),
    ],
)
def test_masked_number(number: str, masked: str) -> None:
    assert masked_number(number) == masked


def test_masked_number_rejects_non_e164() -> None:
    with pytest.raises(InvalidNumber):
        masked_number("33612345678")


def test_leg_enum_values() -> None:
    assert LegKind.TOLLFREE.value == "tollfree"
    assert [r.value for r in LegRole] == ["organizer", "panelist", "attendee"]
    assert len(EndReason) == 13
