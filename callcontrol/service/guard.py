"""Brute-force guard of the dial-in IVR: the lockout state and its bookkeeping.

The rules are the domain's (domain/lockout.py); this holds the one mutable state of
them for the process and tells call control when a caller is locked out.
"""

from __future__ import annotations

from collections.abc import Callable

from callcontrol.domain import lockout
from callcontrol.logsetup import get_logger
from callcontrol.settings import LockoutSettings

log = get_logger(__name__)

_PRUNE_EVERY = 100  # failures between two sweeps of expired counts and locks


class BruteForceGuard:
    """Counts wrong access codes and wrong organizer PINs per caller number and per DID."""

    def __init__(self, settings: LockoutSettings) -> None:
        self.policy = lockout.Policy(
            max_failures=settings.max_failures,
            window_ms=settings.window_s * 1000,
            lockout_ms=settings.lockout_s * 1000,
            did_delay_step_ms=settings.did_delay_step_ms,
            did_max_delay_ms=settings.did_max_delay_ms,
        )
        self.state = lockout.LockoutState()
        self._failures = 0
        self.on_lockout: Callable[[str], None] = lambda kind: None

    def caller_locked(self, caller: str | None, at_ms: int) -> bool:
        return caller is not None and lockout.is_locked(
            self.state, lockout.caller_key(caller), at_ms
        )

    def did_delay_ms(self, did: str, at_ms: int) -> int:
        """How long a new attempt on this DID waits (a DID under attack is slowed, never locked)."""
        return lockout.delay_ms_for(self.state, did, at_ms, self.policy)

    def failed(self, caller: str | None, did: str, at_ms: int, what: str) -> bool:
        """Count one wrong entry (`what`: access_code, organizer_pin) against the caller and
        the DID; True when the caller is now locked out."""
        self._failures += 1
        if self._failures % _PRUNE_EVERY == 0:
            self.state = lockout.prune(self.state, at_ms, self.policy)
        self.state, _ = lockout.record_failure(self.state, lockout.did_key(did), at_ms, self.policy)
        if caller is None:  # a withheld number can only be slowed down through its DID
            return False
        self.state, locked_until = lockout.record_failure(
            self.state, lockout.caller_key(caller), at_ms, self.policy
        )
        if locked_until is None:
            return False
        log.warning("caller locked out", caller=caller, until_ms=locked_until, after=what)
        self.on_lockout("caller")
        return True
