"""Tunables of the channel runtime."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RuntimeConfig:
    trunk_endpoint: str = "trunk"
    inbound_context: str = "cc-inbound"
    # Virtual seconds a prompt plays; per-file overrides, then the default.
    prompt_seconds: dict[str, float] = field(default_factory=dict)
    default_prompt_s: float = 1.0
    locked_prompt_s: float = 1.76
    agi_connect_timeout_s: float = 5.0
    agi_command_timeout_s: float = 600.0
    globals_override: dict[str, str] = field(default_factory=dict)

    def prompt_duration(self, name: str) -> float:
        return self.prompt_seconds.get(name, self.default_prompt_s)
