"""A believable hour of traffic published into a hub: for the screenshots and page tests.

Events are replayed in time order on a settable clock, so the hub's chart history fills the
way it would in production; afterwards the clock follows the wall clock again.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from callcontrol.service.live_hub import LiveHub
from tests.dashboard.livedata import leg, node

MIN = 60_000
COUNTRIES = {
    "FR": ("+33 6•• ••• •", 6),
    "DE": ("+49 15• •••• •", 5),
    "GB": ("+44 7••• •••", 4),
    "US": ("+1 41• ••• ••", 3),
    "ES": ("+34 6•• ••• •", 3),
    "IT": ("+39 3•• •••• •", 2),
    "NL": ("+31 6•• ••• ", 2),
    "BE": ("+32 4•• •• ••", 1),
    "CH": ("+41 7• ••• ••", 1),
    "SE": ("+46 7• ••• •", 1),
    "JP": ("+81 9• •••• ••", 1),
    "BR": ("+55 11 ••••• •", 1),
}
TITLES = [
    ("Q3 results — investor call", "acme-corp"),
    ("Product launch EMEA", "acme-corp"),
    ("Onboarding: new partners", "globex"),
    ("Security town hall", "initech"),
    ("Weekly sales sync", "globex"),
    ("Customer advisory board", "umbrella"),
    ("Engineering all-hands", "initech"),
    ("Webinar: cloud migration 101", "hooli"),
    ("Support training (FR)", "umbrella"),
    ("Board pre-read walkthrough", "acme-corp"),
    ("Hiring day Q&A", "hooli"),
    ("Release 24.3 preview", "globex"),
]
TIMELINE_SESSION = "ses-006"
FAILS = ["busy", "no_answer", "no_answer", "not_confirmed", "congestion", "rejected"]


class Clock:
    """Fixed while a scenario is replayed, then the wall clock."""

    def __init__(self) -> None:
        self.fixed: int | None = None

    def __call__(self) -> int:
        return self.fixed if self.fixed is not None else time.time_ns() // 1_000_000


@dataclass
class Scenario:
    hub: LiveHub
    clock: Clock
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    history_legs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _events: list[tuple[int, int, str, dict[str, Any] | None]] = field(default_factory=list)
    _n: int = 0

    def _at(self, at_ms: int, leg_id: str, data: dict[str, Any] | None) -> None:
        self._n += 1
        heapq.heappush(self._events, (at_ms, self._n, leg_id, data))

    def _number(self) -> tuple[str, str]:
        countries = list(COUNTRIES)
        weights = [COUNTRIES[c][1] for c in countries]
        country = self.rng.choices(countries, weights)[0]
        return country, COUNTRIES[country][0] + f"{self.rng.randint(0, 99):02d}"

    def add_call(self, sid: str, t: int, *, started_at: int | None, life_ms: int) -> None:
        """One leg's whole life, queued as the events call control would publish."""
        s = self.sessions[sid]
        self._n += 1
        leg_id = f"lg-{self._n:05d}"
        kind = self.rng.choices(["toll", "tollfree", "callme"], [5, 3, 2])[0]
        country, number = self._number()
        base = leg(
            leg_id,
            session_id=sid,
            kind=kind,
            created_at_ms=t,
            node=s["node"],
            country=country,
            masked_number=number,
        )
        self._at(t, leg_id, base)
        if kind == "callme" and self.rng.random() < 0.22:
            end = t + self.rng.randint(8_000, 40_000)
            self._end(leg_id, base, end, self.rng.choice(FAILS))
            return
        answered = t + self.rng.randint(2_000, 9_000)
        cur = {**base, "state": "answered", "answered_at_ms": answered}
        self._at(answered, leg_id, cur)
        ivr = answered + self.rng.randint(8_000, 20_000)
        end = t + life_ms
        if started_at is None or started_at > ivr:
            cur = {**cur, "state": "waiting", "waiting_at_ms": ivr}
            self._at(ivr, leg_id, cur)
            if started_at is None or started_at > ivr + 5 * MIN:
                self._end(leg_id, cur, ivr + 5 * MIN, "idle_drop")
                return
            ivr = started_at
        cur = {
            **cur,
            "state": "in_conference",
            "conference_at_ms": ivr,
            "muted": self.rng.random() < 0.3,
        }
        self._at(ivr, leg_id, cur)
        if end > ivr:
            reason = self.rng.choices(["caller_hangup", "operator_drop", "kicked"], [20, 1, 1])[0]
            self._end(leg_id, cur, end, reason)

    def _end(self, leg_id: str, cur: dict[str, Any], at: int, reason: str) -> None:
        ended = {**cur, "state": "ended", "ended_at_ms": at, "end_reason": reason, "talking": False}
        self._at(at, leg_id, ended)
        self.history_legs.setdefault(str(cur["session_id"]), []).append(ended)
        self._at(at + 3 * MIN, leg_id, None)  # call control forgets ended legs after a while

    def replay(self, until_ms: int) -> None:
        while self._events and self._events[0][0] <= until_ms:
            at, _, leg_id, data = heapq.heappop(self._events)
            self.clock.fixed = at
            self.hub.publish("leg", leg_id, data)


def populate(hub: LiveHub, clock: Clock, now_ms: int | None = None) -> Scenario:
    """Nodes, a dozen sessions and an hour of calls ending at now; returns the scenario."""
    now = now_ms or time.time_ns() // 1_000_000
    sc = Scenario(hub, clock)
    nodes = [("pbx-par1", 3.2), ("pbx-fra1", 6.8), ("pbx-lon1", 141.0)]
    for i, (title, account) in enumerate(TITLES):
        sid = f"ses-{i + 1:03d}"
        started = None if i in (3, 8) else now - sc.rng.randint(5, 50) * MIN
        state = "started" if started else ("organizer_joined" if i == 3 else "scheduled")
        sc.sessions[sid] = {
            "session_id": sid,
            "title": title,
            "account_id": account,
            "access_code": f"{sc.rng.randint(100000, 999999)}",
            "state": state,
            "node": nodes[i % 3][0],
            "started_at": started,
        }
    random_sessions = [sid for sid in sc.sessions if sid != TIMELINE_SESSION]
    # Two hours of calls, so the charted hour starts in a steady state, not from zero.
    for minute in range(120, 0, -1):
        t0 = now - minute * MIN
        rate = 14 + 10 * math.sin(minute / 9) + sc.rng.randint(0, 6)
        for _ in range(int(rate)):
            sid = sc.rng.choice(random_sessions)
            t = t0 + sc.rng.randint(0, MIN - 1)
            sc.add_call(
                sid,
                t,
                started_at=sc.sessions[sid]["started_at"],
                life_ms=sc.rng.randint(4, 70) * MIN,
            )
    lockouts = 0
    for minute in range(120, -1, -1):
        sc.replay(now - minute * MIN)
        if minute < 60 and sc.rng.random() < 0.12:
            lockouts += sc.rng.randint(1, 3)
            hub.publish("metric", "lockouts", {"value": lockouts})
    sc.replay(now)
    clock.fixed = None
    craft_timeline_session(sc, now)
    legs = hub.snapshot()["leg"]
    for n, (name, latency) in enumerate(nodes):
        channels = sum(1 for lg in legs.values() if lg["node"] == name and lg["state"] != "ended")
        hub.publish(
            "node",
            name,
            {
                **node(name, latency_ms=latency, live_channels=channels),
                "detail": "AMI connected · Asterisk 22.1"
                if n < 2
                else "AMI connected · slow pings",
            },
        )
    for sid, s in sc.sessions.items():
        hub.publish("session", sid, session_data(s, legs, now, sc.rng))
    hub.publish("session", "ses-007", {**hub.snapshot()["session"]["ses-007"], "locked": True})
    hub.publish(
        "alert",
        "a1",
        {
            "id": "a1",
            "level": "warning",
            "at_ms": now - 4 * MIN,
            "message": "pbx-lon1 AMI ping 141 ms (over 100 ms)",
        },
    )
    hub.publish(
        "alert",
        "a2",
        {
            "id": "a2",
            "level": "error",
            "at_ms": now - 11 * MIN,
            "message": "Lockout: +44 7••• ••• 12 after 5 wrong access codes",
        },
    )
    hub.publish(
        "alert",
        "a3",
        {
            "id": "a3",
            "level": "info",
            "at_ms": now - 26 * MIN,
            "message": "pbx-fra1 reconnected, 212 channels resynchronised",
        },
    )
    return sc


def session_data(
    s: dict[str, Any], legs: dict[str, dict[str, Any]], now: int, rng: random.Random
) -> dict[str, Any]:
    mine = [
        lg for lg in legs.values() if lg["session_id"] == s["session_id"] and lg["state"] != "ended"
    ]
    by_kind = {k: sum(1 for lg in mine if lg["kind"] == k) for k in ("toll", "tollfree", "callme")}
    waiting = [lg for lg in mine if lg["state"] == "waiting"]
    oldest = min((lg["waiting_at_ms"] for lg in waiting), default=None)
    paid = by_kind["tollfree"] + by_kind["callme"]
    return {
        "session_id": s["session_id"],
        "account_id": s["account_id"],
        "title": s["title"],
        "state": s["state"],
        "node": s["node"],
        "access_code": s["access_code"],
        "counts": {
            "waiting": len(waiting),
            "in_conference": sum(1 for lg in mine if lg["state"] == "in_conference"),
            "ringing": sum(1 for lg in mine if lg["state"] in ("created", "answered")),
            "by_kind": by_kind,
        },
        "running_cost": f"{paid * rng.uniform(0.4, 2.2):.2f}",
        "currency": "EUR",
        "oldest_waiting_since_ms": oldest,
        "idle_drop_at_ms": oldest + 5 * MIN if oldest and s["state"] != "started" else None,
        "locked": False,
    }


# (role, kind, country, created, answered, waiting, conference, left, ended, reason, extra),
# minutes before now; the session starts 18 minutes before now.
_TIMELINE = [
    ("organizer", "toll", "US", 32, 31.9, None, 31.7, None, None, None, {"talking": True}),
    ("attendee", "tollfree", "FR", 30, 29.9, 29.7, 18, None, None, None, {}),
    ("attendee", "callme", "DE", 29, 28.9, 28.6, 18, None, 6, "caller_hangup", {}),
    ("attendee", "toll", "GB", 27, 26.9, 26.6, None, None, 21.6, "idle_drop", {}),
    ("attendee", "callme", "IT", 25, None, None, None, None, 24.6, "busy", {}),
    ("attendee", "tollfree", "ES", 24, 23.9, 23.6, 18, None, None, None, {"muted": True}),
    ("panelist", "toll", "NL", 20, 19.9, 19.7, 18, None, None, None, {"talking": True}),
    ("attendee", "callme", "JP", 16, 15.9, None, 15.5, 9, 8.9, "kicked", {}),
    ("attendee", "toll", "BE", 14, 13.9, None, 13.6, None, 11, "operator_drop", {}),
    ("attendee", "tollfree", "SE", 12, 11.9, None, 11.6, None, None, None, {"muted": True}),
    ("attendee", "callme", "CH", 7, None, None, None, None, 6.5, "no_answer", {}),
    ("attendee", "toll", "BR", 4, 3.9, None, 3.6, None, None, None, {}),
    ("attendee", "toll", "FR", 1.5, 1.4, None, None, None, None, None, {}),
    ("attendee", "callme", "US", 0.3, None, None, None, None, None, None, {}),
]


def craft_timeline_session(sc: Scenario, now: int) -> None:
    """A session whose timeline shows every case: waits, start, idle drop, failures, kick."""
    s = sc.sessions[TIMELINE_SESSION]
    s["started_at"], s["state"] = now - 18 * MIN, "started"

    def at(minutes: float | None) -> int | None:
        return None if minutes is None else int(now - minutes * MIN)

    for i, (role, kind, country, *times, reason, extra) in enumerate(_TIMELINE):
        created, answered, waiting, conference, left, ended = (at(t) for t in times)
        stamps = [
            ("created", created),
            ("answered", answered),
            ("waiting", waiting),
            ("in_conference", conference),
            ("left", left),
        ]
        state = "ended" if ended else [name for name, t in stamps if t is not None][-1]
        data = leg(
            f"cab-{i + 1:02d}",
            session_id=TIMELINE_SESSION,
            kind=kind,
            role=role,
            state=state,
            created_at_ms=created,
            node=s["node"],
            country=country,
            masked_number=COUNTRIES[country][0] + f"{sc.rng.randint(0, 99):02d}",
            answered_at_ms=answered,
            waiting_at_ms=waiting,
            conference_at_ms=conference,
            left_at_ms=left,
            ended_at_ms=ended,
            end_reason=reason,
            **extra,
        )
        if ended is not None:
            sc.history_legs.setdefault(TIMELINE_SESSION, []).append(data)
        if ended is None or now - ended < 3 * MIN:
            sc.hub.publish("leg", data["leg_id"], data)
