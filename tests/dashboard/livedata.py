"""Live hub data as call control publishes it: legs, sessions, nodes, alerts."""

from __future__ import annotations

from typing import Any


def leg(
    leg_id: str,
    *,
    session_id: str | None = "s1",
    kind: str = "toll",
    state: str = "created",
    created_at_ms: int = 1_700_000_000_000,
    node: str = "pbx1",
    country: str = "FR",
    masked_number: str = "+33 6•• ••• •78",
    role: str = "attendee",
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "leg_id": leg_id,
        "session_id": session_id,
        "node": node,
        "kind": kind,
        "role": role,
        "state": state,
        "country": country,
        "masked_number": masked_number,
        "created_at_ms": created_at_ms,
        "answered_at_ms": None,
        "waiting_at_ms": None,
        "conference_at_ms": None,
        "ended_at_ms": None,
        "muted": False,
        "talking": False,
        "end_reason": None,
    }
    data.update(extra)
    return data


def session(
    session_id: str,
    *,
    title: str = "Quarterly results",
    access_code: str = "123456",
    account_id: str = "acme",
    state: str = "started",
    node: str = "pbx1",
    waiting: int = 0,
    in_conference: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "session_id": session_id,
        "account_id": account_id,
        "title": title,
        "state": state,
        "node": node,
        "access_code": access_code,
        "counts": {
            "waiting": waiting,
            "in_conference": in_conference,
            "ringing": 0,
            "by_kind": {"toll": in_conference, "tollfree": 0, "callme": 0},
        },
        "running_cost": "0.00",
        "currency": "EUR",
        "oldest_waiting_since_ms": None,
        "idle_drop_at_ms": None,
    }
    data.update(extra)
    return data


def node(
    name: str, *, connected: bool = True, latency_ms: float = 3.0, live_channels: int = 0
) -> dict[str, Any]:
    return {
        "name": name,
        "connected": connected,
        "detail": "AMI connected" if connected else "connection refused",
        "latency_ms": latency_ms,
        "live_channels": live_channels,
    }
