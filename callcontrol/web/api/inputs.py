"""Input schemas shared by several resources."""

from __future__ import annotations

from typing import Any

from callcontrol.domain.sessions import AudioMode, AudioOverrides
from callcontrol.web.api.schema import Bool, Enum, Obj, Str

COUNTRY = Str(min_length=2, max_length=2, pattern="^[A-Z]{2}$", description="ISO 3166 alpha-2")
USER_ID = Str(min_length=1, max_length=64, description="a user id of the webinar app")
AUDIO_MODE = Enum(tuple(m.value for m in AudioMode))
AUDIO_OPTIONS = Obj(
    {
        "join_muted": Bool(),
        "entry_exit_chimes": Bool(),
        "hold_beeps": Bool(),
        "audio_mode": AUDIO_MODE,
    },
    description="audio options; a field left out keeps its default",
)


def overrides(audio: dict[str, Any] | None) -> AudioOverrides:
    audio = audio or {}
    mode = audio.get("audio_mode")
    return AudioOverrides(
        join_muted=audio.get("join_muted"),
        entry_exit_chimes=audio.get("entry_exit_chimes"),
        hold_beeps=audio.get("hold_beeps"),
        audio_mode=AudioMode(mode) if mode is not None else None,
    )
