"""The IVR's brute-force guard: its counting, without a call."""

from callcontrol.service.guard import BruteForceGuard
from callcontrol.settings import LockoutSettings

SETTINGS = LockoutSettings(
    max_failures=3, window_s=60, lockout_s=120, did_delay_step_ms=500, did_max_delay_ms=1200
)
DID = "+18005550100"


def test_a_caller_is_locked_at_the_threshold_and_told_once() -> None:
    guard = BruteForceGuard(SETTINGS)
    told: list[str] = []
    guard.on_lockout = told.append
    results = [guard.failed("+14155550100", DID, 1000 + i, "organizer_pin") for i in range(3)]
    assert results == [False, False, True]
    assert told == ["caller"]
    assert guard.caller_locked("+14155550100", 2000)
    assert not guard.caller_locked("+14155550100", 1002 + 120_000)
    assert not guard.caller_locked("+14155550199", 2000)


def test_a_withheld_number_is_never_locked_but_slows_its_did() -> None:
    guard = BruteForceGuard(SETTINGS)
    delays = []
    for i in range(5):
        assert guard.failed(None, DID, 1000 + i, "access_code") is False
        delays.append(guard.did_delay_ms(DID, 1000 + i))
    assert delays == [0, 0, 500, 1000, 1200]
    assert not guard.caller_locked(None, 2000)
    assert guard.did_delay_ms(DID, 1004 + 60_000) == 0  # the window has passed


def test_counts_of_callers_outside_the_window_are_swept_away() -> None:
    guard = BruteForceGuard(SETTINGS)
    for i in range(150):  # one failure a second from 150 numbers; a sweep runs at the 100th
        guard.failed(f"+1415555{i:04d}", DID, i * 1000, "access_code")
    callers = [key for key in guard.state.records if key.kind == "caller"]
    assert len(callers) == 150 - 40  # the 40 older than the window at the sweep are gone
