"""Errors raised while loading or evaluating an Asterisk dialplan."""

from __future__ import annotations

from pathlib import Path


class DialplanError(Exception):
    """A dialplan or configuration file the simulator cannot run faithfully.

    Carries the file and line when the problem comes from a file, so the message
    points at the place to fix.
    """

    def __init__(self, message: str, *, file: Path | str | None = None, line: int | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        where = f"{self.file}:{line}: " if self.file is not None and line is not None else ""
        super().__init__(f"{where}{message}")


class ConfigSyntaxError(DialplanError):
    """The file is not valid Asterisk configuration syntax."""


class UnsupportedFeatureError(DialplanError):
    """Valid Asterisk, but outside the subset the simulator implements."""


class ConfBridgeConfigError(DialplanError):
    """confbridge.conf has an unknown type, option or menu action."""


class SubstitutionError(DialplanError):
    """A ${...} reference cannot be evaluated (unknown function, bad arguments)."""


class GotoError(DialplanError):
    """A Goto target cannot be resolved (unknown label, no priority)."""
