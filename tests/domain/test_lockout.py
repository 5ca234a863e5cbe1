"""Brute-force protection: caller locks and DID slow-downs."""

from __future__ import annotations

import pytest

from callcontrol.domain.errors import InvalidValue
from callcontrol.domain.lockout import (
    KeyRecord,
    LockKey,
    LockoutState,
    Policy,
    caller_key,
    clear,
    delay_ms_for,
    did_key,
    is_locked,
    locked_until,
    prune,
    record_failure,
)

POLICY = Policy(
    max_failures=3,
    window_ms=60_000,
    lockout_ms=300_000,
    did_delay_step_ms=500,
    did_max_delay_ms=1_200,
)
CALLER = caller_key("+33612345678")
DID = "+33170000000"
T = 1_000_000


def fail(
    state: LockoutState, times: list[int], key: LockKey = CALLER
) -> tuple[LockoutState, int | None]:
    until: int | None = None
    for at in times:
        state, until = record_failure(state, key, at, POLICY)
    return state, until


def test_caller_locked_after_max_failures_in_window() -> None:
    state, until = fail(LockoutState(), [T, T + 1_000])
    assert until is None and not is_locked(state, CALLER, T + 1_000)
    state, until = fail(state, [T + 2_000])
    assert until == T + 2_000 + 300_000
    assert is_locked(state, CALLER, T + 2_000)
    assert is_locked(state, CALLER, until - 1)
    assert not is_locked(state, CALLER, until)
    assert locked_until(state, CALLER, T + 3_000) == until


def test_failures_outside_the_window_are_forgotten() -> None:
    state, until = fail(LockoutState(), [T, T + 1_000, T + 61_000])
    assert until is None
    assert not is_locked(state, CALLER, T + 61_000)


def test_failures_during_a_lock_do_not_extend_it() -> None:
    state, until = fail(LockoutState(), [T, T + 1, T + 2])
    again, until_again = record_failure(state, CALLER, T + 10_000, POLICY)
    assert until_again == until
    assert again is state


def test_after_the_lock_counting_starts_again() -> None:
    state, until = fail(LockoutState(), [T, T + 1, T + 2])
    assert until is not None
    state, again = fail(state, [until, until + 1])
    assert again is None and not is_locked(state, CALLER, until + 1)


def test_other_callers_are_independent() -> None:
    state, _ = fail(LockoutState(), [T, T + 1, T + 2])
    assert not is_locked(state, caller_key("+33700000000"), T + 3)


def test_state_is_immutable() -> None:
    empty = LockoutState()
    fail(empty, [T, T + 1, T + 2])
    assert dict(empty.records) == {}


def test_did_is_never_locked_but_slowed_down() -> None:
    key = did_key(DID)
    state = LockoutState()
    delays = []
    for i in range(6):
        state, until = record_failure(state, key, T + i, POLICY)
        assert until is None
        assert not is_locked(state, key, T + i)
        delays.append(delay_ms_for(state, DID, T + i, POLICY))
    assert delays == [0, 0, 500, 1_000, 1_200, 1_200]
    assert delay_ms_for(state, DID, T + 5 + 60_000, POLICY) == 0  # window passed
    assert delay_ms_for(state, "+33999999999", T, POLICY) == 0


def test_clear_forgets_failures_but_keeps_a_lock() -> None:
    state, _ = fail(LockoutState(), [T, T + 1])
    assert clear(state, CALLER).records == {}
    locked, _ = fail(LockoutState(), [T, T + 1, T + 2])
    assert is_locked(clear(locked, CALLER), CALLER, T + 3)
    empty = LockoutState()
    assert clear(empty, CALLER) is empty


def test_prune_drops_what_no_longer_matters() -> None:
    state, _ = fail(LockoutState(), [T, T + 1, T + 2])  # locked until T + 2 + 300 s
    other = caller_key("+33700000000")
    state, _ = fail(state, [T + 100], key=other)
    assert prune(state, T + 200, POLICY).records == {
        CALLER: KeyRecord((), T + 2 + 300_000),
        other: KeyRecord((T + 100,)),
    }
    assert prune(state, T + 70_000, POLICY).records == {CALLER: KeyRecord((), T + 2 + 300_000)}
    assert prune(state, T + 400_000, POLICY).records == {}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"max_failures": 0}, id="zero failures"),
        pytest.param({"window_ms": 0}, id="zero window"),
        pytest.param({"lockout_ms": -1}, id="negative lockout"),
        pytest.param({"did_delay_step_ms": -1}, id="negative delay"),
    ],
)
def test_invalid_policy(changes: dict[str, int]) -> None:
    with pytest.raises(InvalidValue):
        Policy(**changes)
