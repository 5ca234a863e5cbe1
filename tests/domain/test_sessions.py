"""Session state table, timestamps and audio options."""

from __future__ import annotations

import itertools
from dataclasses import FrozenInstanceError

import pytest

from callcontrol.domain.errors import IllegalSessionTransition, InvalidValue, TimeWentBackwards
from callcontrol.domain.sessions import (
    TRANSITIONS,
    AudioMode,
    AudioOptions,
    AudioOverrides,
    SessionEvent,
    SessionState,
    apply,
    next_state,
    options_for,
)

from .builders import T0, session

S, E = SessionState, SessionEvent

LEGAL = [
    pytest.param(S.SCHEDULED, E.ORGANIZER_JOINED, S.ORGANIZER_JOINED, id="organizer dials in"),
    pytest.param(S.SCHEDULED, E.START, S.STARTED, id="organizer starts from the app"),
    pytest.param(S.ORGANIZER_JOINED, E.START, S.STARTED, id="organizer starts after joining"),
    pytest.param(S.STARTED, E.END, S.ENDED, id="organizer ends"),
    pytest.param(S.SCHEDULED, E.CANCEL, S.CANCELLED, id="cancel before anyone joined"),
    pytest.param(S.ORGANIZER_JOINED, E.CANCEL, S.CANCELLED, id="cancel after organizer joined"),
]

ILLEGAL = [
    pytest.param(state, event, id=f"{state}+{event}")
    for state, event in itertools.product(S, E)
    if (state, event) not in TRANSITIONS
]


def test_table_has_exactly_the_documented_rows() -> None:
    assert {(p.values[0], p.values[1]): p.values[2] for p in LEGAL} == TRANSITIONS


@pytest.mark.parametrize(("state", "event", "expected"), LEGAL)
def test_legal_transition(state: SessionState, event: SessionEvent, expected: SessionState) -> None:
    assert next_state(state, event) is expected
    before = session(state=state)
    after = apply(before, event, T0 + 5)
    assert after.state is expected
    assert before.state is state  # the original object is untouched


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_illegal_transition_raises_and_leaves_state(
    state: SessionState, event: SessionEvent
) -> None:
    before = session(state=state)
    with pytest.raises(IllegalSessionTransition) as caught:
        apply(before, event, T0)
    assert caught.value.code == "illegal_session_transition"
    assert (caught.value.state, caught.value.event) == (state.value, event.value)
    assert before.state is state


def test_illegal_transitions_cover_every_other_pair() -> None:
    assert len(ILLEGAL) + len(TRANSITIONS) == len(S) * len(E)
    assert len(ILLEGAL) == 14


@pytest.mark.parametrize(
    ("event", "stamp"),
    [
        pytest.param(E.ORGANIZER_JOINED, "organizer_joined_at_ms", id="organizer_joined"),
        pytest.param(E.START, "started_at_ms", id="start"),
        pytest.param(E.CANCEL, "cancelled_at_ms", id="cancel"),
    ],
)
def test_apply_sets_the_event_timestamp(event: SessionEvent, stamp: str) -> None:
    after = apply(session(), event, T0 + 42)
    assert getattr(after, stamp) == T0 + 42


def test_full_life_sets_every_timestamp_and_flags() -> None:
    s = session()
    assert not s.ever_started and not s.ever_organizer_joined and not s.is_terminal
    s = apply(s, E.ORGANIZER_JOINED, T0 + 1)
    s = apply(s, E.START, T0 + 2)
    s = apply(s, E.END, T0 + 3)
    assert (s.organizer_joined_at_ms, s.started_at_ms, s.ended_at_ms) == (T0 + 1, T0 + 2, T0 + 3)
    assert s.ever_started and s.ever_organizer_joined and s.is_terminal
    assert s.cancelled_at_ms is None


def test_time_going_backwards_raises() -> None:
    joined = apply(session(), E.ORGANIZER_JOINED, T0 + 10)
    with pytest.raises(TimeWentBackwards) as caught:
        apply(joined, E.START, T0 + 9)
    assert caught.value.code == "time_went_backwards"


def test_same_millisecond_is_fine() -> None:
    joined = apply(session(), E.ORGANIZER_JOINED, T0)
    assert apply(joined, E.START, T0).started_at_ms == T0


def test_session_is_frozen() -> None:
    s = session()
    with pytest.raises(FrozenInstanceError):
        s.state = S.STARTED  # type: ignore[misc]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"access_code": "12a4"}, id="access code with a letter"),
        pytest.param({"access_code": ""}, id="empty access code"),
        pytest.param({"organizer_pin": "12 3"}, id="pin with a space"),
        pytest.param({"tollfree_countries": frozenset({"fr"})}, id="lower-case country"),
        pytest.param({"tollfree_countries": frozenset({"FRA"})}, id="alpha-3 country"),
    ],
)
def test_invalid_session_fields_raise(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidValue) as caught:
        session(**changes)
    assert caught.value.code == "invalid_value"


def test_audio_defaults() -> None:
    assert AudioOptions() == AudioOptions(
        join_muted=False,
        entry_exit_chimes=True,
        hold_beeps=True,
        audio_mode=AudioMode.PHONE_AND_COMPUTER,
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            AudioOverrides(),
            AudioOptions(join_muted=True, hold_beeps=False),
            id="no override keeps the organizer defaults",
        ),
        pytest.param(
            AudioOverrides(join_muted=False, entry_exit_chimes=False),
            AudioOptions(join_muted=False, entry_exit_chimes=False, hold_beeps=False),
            id="override flags, even to False",
        ),
        pytest.param(
            AudioOverrides(hold_beeps=True, audio_mode=AudioMode.CUSTOM),
            AudioOptions(join_muted=True, hold_beeps=True, audio_mode=AudioMode.CUSTOM),
            id="override beeps and mode",
        ),
    ],
)
def test_options_for(overrides: AudioOverrides, expected: AudioOptions) -> None:
    defaults = AudioOptions(join_muted=True, hold_beeps=False)
    assert options_for(defaults, overrides) == expected


def test_enum_values_are_lower_case_strings() -> None:
    for enum in (SessionState, SessionEvent, AudioMode):
        for member in enum:
            assert member.value == member.value.lower()
            assert str(member) == member.value
