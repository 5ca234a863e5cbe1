"""Why legs end and whether a node restart took them: pure call-flow decisions."""

import pytest

from callcontrol.domain.callflow import (
    awaits_originate_result,
    booted_at_ms,
    died_in_restart,
    end_reason_for_hangup,
    end_reason_for_originate,
)
from callcontrol.domain.legs import EndReason, Leg, LegKind, answer

CALLME = Leg("l1", LegKind.CALLME, "pbx1", created_at_ms=1_000)
TOLL = Leg("l2", LegKind.TOLL, "pbx1", created_at_ms=1_000)


@pytest.mark.parametrize(
    ("leg", "requested", "cause", "expected"),
    [
        (CALLME, None, 17, EndReason.BUSY),
        (CALLME, None, 19, EndReason.NO_ANSWER),
        (CALLME, None, 18, EndReason.NO_ANSWER),
        (CALLME, None, 34, EndReason.CONGESTION),
        (CALLME, None, 0, EndReason.FAILED),
        (answer(CALLME, 2_000), None, 16, EndReason.CALLER_HANGUP),
        (TOLL, None, 16, EndReason.CALLER_HANGUP),
        (TOLL, None, 17, EndReason.CALLER_HANGUP),
        (answer(TOLL, 2_000), EndReason.IDLE_DROP, 16, EndReason.IDLE_DROP),
        (CALLME, EndReason.NOT_CONFIRMED, 16, EndReason.NOT_CONFIRMED),
    ],
    ids=[
        "callme busy 17",
        "callme no answer 19",
        "callme no user responding 18",
        "callme congestion 34",
        "callme other cause is a failure",
        "answered callme hung up by the callee",
        "unanswered dial-in is the caller's hang-up",
        "dial-in cause does not make it busy",
        "a requested reason wins (idle drop)",
        "a requested reason wins (not confirmed)",
    ],
)
def test_end_reason_for_hangup(
    leg: Leg, requested: EndReason | None, cause: int, expected: EndReason
) -> None:
    assert end_reason_for_hangup(leg, requested, cause) is expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [(5, EndReason.BUSY), (3, EndReason.NO_ANSWER), (8, EndReason.CONGESTION),
     (1, EndReason.NO_ANSWER), (0, EndReason.FAILED), (42, EndReason.FAILED)],
)  # fmt: skip
def test_end_reason_for_originate(reason: int, expected: EndReason) -> None:
    assert end_reason_for_originate(reason) is expected


@pytest.mark.parametrize(
    ("leg", "requested", "cause", "expected"),
    [
        (CALLME, None, 0, True),
        (CALLME, None, 17, False),  # the cause already says busy
        (CALLME, None, 16, False),
        (CALLME, EndReason.OPERATOR_DROP, 0, False),  # we asked for this end
        (answer(CALLME, 2_000), None, 0, False),  # answered: no OriginateResponse failure
        (TOLL, None, 0, False),
    ],
)
def test_only_an_unexplained_call_me_failure_waits_for_the_originate_result(
    leg: Leg, requested: EndReason | None, cause: int, expected: bool
) -> None:
    assert awaits_originate_result(leg, requested, cause) is expected


def test_a_leg_older_than_the_boot_died_in_the_restart() -> None:
    boot = booted_at_ms(event_at_ms=100_000, uptime_s=3)
    assert boot == 97_000
    assert died_in_restart(Leg("a", LegKind.TOLL, "n", created_at_ms=50_000), boot)
    # Uptime has whole-second resolution: a leg from the boot's own second survives.
    assert not died_in_restart(Leg("b", LegKind.TOLL, "n", created_at_ms=96_500), boot)
