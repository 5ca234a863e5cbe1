"""Domain errors: every refusal of the pure core carries a stable ``code`` string.

The codes are part of the API and the logs; never rename one. The shell maps them to
HTTP answers or IVR prompts.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base of every error raised by :mod:`callcontrol.domain`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvalidValue(DomainError):
    """A value handed to the domain is malformed (bad digits, bad country, negative time)."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_value", message)


class InvalidNumber(DomainError):
    """A phone number is not strict E.164 (``+`` then 7 to 15 digits, no leading zero)."""

    def __init__(self, number: str) -> None:
        super().__init__("invalid_number", f"not an E.164 number: {number!r}")
        self.number = number


class IllegalSessionTransition(DomainError):
    """The session state table has no row for (state, event)."""

    def __init__(self, state: str, event: str) -> None:
        super().__init__("illegal_session_transition", f"session cannot {event} when {state}")
        self.state = state
        self.event = event


class IllegalLegTransition(DomainError):
    """The leg state table has no row for (state, event)."""

    def __init__(self, state: str, event: str) -> None:
        super().__init__("illegal_leg_transition", f"leg cannot {event} when {state}")
        self.state = state
        self.event = event


class TimeWentBackwards(DomainError):
    """An event is dated before an earlier event of the same object."""

    def __init__(self, at_ms: int, previous_ms: int) -> None:
        super().__init__(
            "time_went_backwards", f"event at {at_ms} ms is before previous event at {previous_ms}"
        )
        self.at_ms = at_ms
        self.previous_ms = previous_ms


class LegAlreadyBound(DomainError):
    """A leg already belongs to a session; it cannot be moved to another one."""

    def __init__(self, leg_id: str, session_id: str) -> None:
        super().__init__("leg_already_bound", f"leg {leg_id} already in session {session_id}")


class UnavailableTollFreeCountries(DomainError):
    """Rule 7: some requested toll-free countries are not offered."""

    def __init__(self, countries: Iterable[str]) -> None:
        self.countries = frozenset(countries)
        listed = ", ".join(sorted(self.countries))
        super().__init__("tollfree_country_unavailable", f"no toll-free number in: {listed}")


class AddonRequired(DomainError):
    """Rule 7: toll-free countries were requested by an account without the add-on."""

    def __init__(self, account_id: str) -> None:
        super().__init__("addon_required", f"account {account_id} has no advanced audio add-on")


class OwnershipMismatch(DomainError):
    """Objects that must belong together do not (leg vs session, session vs account)."""

    def __init__(self, message: str) -> None:
        super().__init__("ownership_mismatch", message)


class LegNotEnded(DomainError):
    """Rating needs an ended leg: its duration is not known before."""

    def __init__(self, leg_id: str, state: str) -> None:
        super().__init__("leg_not_ended", f"leg {leg_id} is {state}, not ended")


class RateNotFound(DomainError):
    """No rate in force for a billable leg (a configuration error, never billed as zero)."""

    def __init__(self, country: str | None, kind: str, at_ms: int) -> None:
        super().__init__("rate_not_found", f"no {kind} rate for {country} at {at_ms} ms")
        self.country = country
        self.kind = kind
        self.at_ms = at_ms
