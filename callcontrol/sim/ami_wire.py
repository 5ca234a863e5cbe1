"""AMI wire format: frame encoding and an incremental action parser.

An AMI message is a block of ``Key: Value`` lines ended by ``\\r\\n`` and closed by an
empty line. Asterisk reads header names case-insensitively and keeps duplicates
(``Variable`` may repeat), so a message is kept as an ordered list of pairs.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
MAX_LINE = 64 * 1024  # Asterisk drops lines longer than this; so do we.

Headers = list[tuple[str, str]]


def encode(headers: Iterable[tuple[str, str]]) -> bytes:
    """Serialise one message (response or event) exactly as Asterisk writes it."""
    # Joined in C (an event is written ~20,000 times a second at scale).
    text = "\r\n".join(map(": ".join, headers))
    return (text + "\r\n\r\n" if text else "\r\n").encode("utf-8")


@dataclass
class Message:
    """One action received from a client; header names compared case-insensitively."""

    headers: Headers = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def action(self) -> str | None:
        return self.get("Action")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")


class ProtocolError(ValueError):
    """A client sent something that cannot be an AMI message (e.g. an endless line)."""


class FrameReader:
    """Turns a TCP byte stream into Messages; tolerant of ``\\n``-only line ends and of
    UTF-8 characters split across reads."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._current: Headers = []

    def feed(self, data: bytes) -> Iterator[Message]:
        self._buffer += self._decoder.decode(data)
        while True:
            newline = self._buffer.find("\n")
            if newline < 0:
                if len(self._buffer) > MAX_LINE:
                    raise ProtocolError(f"line longer than {MAX_LINE} bytes")
                return
            line = self._buffer[:newline].rstrip("\r")
            self._buffer = self._buffer[newline + 1 :]
            if not line:
                if self._current:
                    message, self._current = Message(self._current), []
                    yield message
                continue
            key, sep, value = line.partition(":")
            if not sep:
                # Asterisk ignores a line without a colon; keep it visible as a header
                # without value so "Missing action" can still be answered.
                self._current.append((key.strip(), ""))
                continue
            self._current.append((key.strip(), value.lstrip(" ")))
