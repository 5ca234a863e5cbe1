"""A CallControlPort for API tests: it persists Call Me legs through the real LegRepository
(as call control does, leg first) and records every request it receives, so tests can assert
exactly what reached call control."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace

from callcontrol.domain.legs import Leg, LegKind, LegState
from callcontrol.domain.sessions import Session, SessionEvent
from callcontrol.service.ports import CallControlError, CallMeRequest, LiveCounts
from callcontrol.store.legs import LegDetails, LegRepository, LegRow


@dataclass
class RecordingPort:
    legs: LegRepository
    calls: list[tuple[str, object]] = field(default_factory=list)
    refuse_with: str | None = None  # a CallControlError code every action raises
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _check(self, name: str, arg: object) -> None:
        self.calls.append((name, arg))
        if self.refuse_with is not None:
            raise CallControlError(self.refuse_with, f"refused: {self.refuse_with}")

    def named(self, name: str) -> list[object]:
        return [arg for n, arg in self.calls if n == name]

    async def request_callme(self, request: CallMeRequest) -> Leg:
        self._check("request_callme", request)
        leg = Leg(
            leg_id=f"leg-cm-{next(self._ids)}",
            kind=LegKind.CALLME,
            node="pbx1",
            created_at_ms=time.time_ns() // 1_000_000,
            session_id=request.session.session_id,
            role=request.role,
            country=request.country,
            caller_e164=request.phone_e164,
        )
        details = LegDetails(
            participant_id=request.participant_id, display_name=request.display_name
        )
        await self.legs.write_now([LegRow(leg, details)])
        return leg

    async def drop_leg(self, leg_id: str) -> None:
        self._check("drop_leg", leg_id)

    async def set_leg_muted(self, leg_id: str, muted: bool) -> None:
        self._check("set_leg_muted", (leg_id, muted))

    async def lower_hand(self, leg_id: str) -> None:
        self._check("lower_hand", leg_id)

    async def set_all_muted(self, session_id: str, muted: bool) -> None:
        self._check("set_all_muted", (session_id, muted))

    async def set_locked(self, session_id: str, locked: bool) -> None:
        self._check("set_locked", (session_id, locked))

    async def switch_to_computer_audio(self, leg_id: str) -> None:
        self._check("switch_to_computer_audio", leg_id)

    async def session_changed(self, session: Session, event: SessionEvent) -> None:
        self.calls.append(("session_changed", (session, event)))

    def live_counts(self, session_id: str) -> LiveCounts:
        return LiveCounts(waiting=1, in_conference=2, ringing=0)

    async def end_leg(self, leg_id: str) -> None:
        """Test helper: the callee hung up."""
        row = await self.legs.get(leg_id)
        assert row is not None
        ended = replace(row.leg, state=LegState.ENDED, ended_at_ms=row.leg.created_at_ms + 1)
        await self.legs.write_now([LegRow(ended, row.details)])
