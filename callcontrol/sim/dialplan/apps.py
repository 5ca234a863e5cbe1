"""Applications and functions the simulator knows.

An application outside KNOWN_APPS is a load-time error: the simulator must not
silently skip a step production Asterisk would run.
"""

from __future__ import annotations

from callcontrol.sim.dialplan.functions import PURE_FUNCTIONS

KNOWN_APPS: frozenset[str] = frozenset(
    {
        "Answer", "NoOp", "Verbose", "Log", "Set", "Goto", "GotoIf", "Gosub", "Return",
        "Read", "Playback", "Background", "MusicOnHold", "StartMusicOnHold",
        "StopMusicOnHold", "Wait", "WaitExten", "AGI", "ConfBridge", "Hangup", "Busy",
        "Congestion", "Ringing", "Progress", "SendDTMF", "UserEvent", "ExecIf", "Dial",
        "SayDigits", "SayNumber",
    }
)  # fmt: skip

# Functions the runtime answers through VariableScope.function().
CHANNEL_FUNCTIONS: frozenset[str] = frozenset({"CALLERID", "CHANNEL"})

KNOWN_FUNCTIONS: frozenset[str] = frozenset(PURE_FUNCTIONS) | CHANNEL_FUNCTIONS


def canonical_app(name: str, known_apps: frozenset[str]) -> str | None:
    """The known spelling of an application name (Asterisk ignores case), or None."""
    lowered = name.strip().lower()
    return next((app for app in known_apps if app.lower() == lowered), None)
