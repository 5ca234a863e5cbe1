"""Incremental parser for the Asterisk Manager Interface (AMI) wire protocol.

Asterisk sends a banner line (``Asterisk Call Manager/11.0.0``) and then messages made of
``Key: Value`` lines, each message ended by an empty line. The parser works on bytes:
it splits the buffer on the blank-line separator in one go and decodes each complete
frame once, so a UTF-8 character split across two TCP reads is never corrupted.

Events the caller does not want can be skipped without splitting their headers: the
parser reads the ``Event:`` name from the first line and drops the frame when the name
is not in ``wanted``. Event frames that carry an ``ActionID`` are always parsed, because
they answer an action someone waits for.

A malformed frame never raises: it is returned as a :class:`ParseError` record with its
raw bytes, so the connection stays up and the caller logs it.
"""

from __future__ import annotations

from itertools import repeat
from typing import Final, Literal

EVENT: Final = "event"
RESPONSE: Final = "response"
MessageKind = Literal["event", "response"]

SEP: Final = b"\r\n\r\n"
BANNER_PREFIX: Final = b"Asterisk Call Manager/"
FOLLOWS_PREFIX: Final = b"Response: Follows\r\n"
END_COMMAND: Final = b"--END COMMAND--"
DEFAULT_MAX_FRAME: Final = 1 << 20

# Events Asterisk only ever sends unsolicited (never as part of an action's answer): when
# unwanted they are dropped without looking for an ActionID in them.
UNSOLICITED: Final = frozenset(
    b"Cdr CEL Newexten VarSet DTMFBegin DTMFEnd DeviceStateChange NewCallerid NewConnectedLine "
    b"LocalBridge BridgeCreate BridgeEnter BridgeLeave BridgeDestroy DialBegin DialEnd DialState "
    b"SoftHangupRequest HangupRequest Hangup Newchannel Newstate AGIExecStart AGIExecEnd "
    b"SuccessfulAuth RequestBadFormat MusicOnHoldStart MusicOnHoldStop RTCPSent RTCPReceived "
    b"ChallengeSent InvalidPassword ConfbridgeTalking PeerStatus ContactStatus Registry".split()
)


class AmiMessage:
    """One AMI event or response.

    ``headers`` maps each header name, as sent, to its first value. ``pairs`` holds every
    header in wire order, but only when a name repeats (``Variable`` lines of ``Status``,
    ``ChanVariable``); otherwise it is ``None`` and ``headers`` is the whole message.
    """

    __slots__ = ("_lower", "content", "headers", "kind", "manager", "name", "pairs")

    def __init__(
        self,
        kind: MessageKind,
        name: str,
        headers: dict[str, str],
        pairs: list[tuple[str, str]] | None = None,
        content: str = "",
    ) -> None:
        self.kind = kind
        self.name = name
        self.headers = headers
        self.pairs = pairs
        self.content = content
        # panoramisk's Manager.dispatch sets this on the events it hands to callbacks.
        self.manager: object | None = None
        self._lower: dict[str, str] | None = None

    # Lookups: exact name first (what Asterisk sends), then case-insensitive, as Asterisk
    # itself treats header names.
    def get(self, key: str, default: str | None = None) -> str | None:
        value = self.headers.get(key)
        if value is not None:
            return value
        lower = self._lower
        if lower is None:
            lower = {}
            for k, v in self.headers.items():
                lower.setdefault(k.lower(), v)
            self._lower = lower
        return lower.get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def getall(self, key: str) -> list[str]:
        """Every value of a header, in wire order (case-insensitive name)."""
        if self.pairs is None:
            value = self.get(key)
            return [] if value is None else [value]
        lkey = key.lower()
        return [v for k, v in self.pairs if k.lower() == lkey]

    def items_all(self) -> list[tuple[str, str]]:
        """All headers in wire order, duplicates included."""
        return list(self.pairs) if self.pairs is not None else list(self.headers.items())

    @property
    def event(self) -> str:
        """The event name, or "" for a response (the attribute panoramisk dispatches on)."""
        return self.name if self.kind == EVENT else ""

    @property
    def action_id(self) -> str | None:
        value = self.headers.get("ActionID")
        return value if value is not None else self.get("actionid")

    @property
    def uniqueid(self) -> str | None:
        value = self.headers.get("Uniqueid")
        return value if value is not None else self.get("uniqueid")

    @property
    def linkedid(self) -> str | None:
        value = self.headers.get("Linkedid")
        return value if value is not None else self.get("linkedid")

    @property
    def channel(self) -> str | None:
        value = self.headers.get("Channel")
        return value if value is not None else self.get("channel")

    def __repr__(self) -> str:
        return f"<AmiMessage {self.kind} {self.name!r} {len(self.headers)} headers>"


class ParseError:
    """A frame that could not be read as an AMI message; the caller logs and skips it."""

    __slots__ = ("raw", "reason")

    def __init__(self, raw: bytes, reason: str) -> None:
        self.raw = raw
        self.reason = reason

    def __repr__(self) -> str:
        return f"<ParseError {self.reason}: {self.raw[:60]!r}>"


Parsed = AmiMessage | ParseError


class AmiParser:
    """Feed it the bytes of one AMI connection; it returns the complete messages.

    ``wanted``: event names to parse (``None`` = all). Responses are always parsed.
    ``variables``: for ``VarSet`` events, the variable names to keep (``None`` = all).
    """

    __slots__ = ("_buf", "_variables", "_wanted", "max_frame", "skipped", "version")

    def __init__(
        self,
        wanted: frozenset[str] | None = None,
        variables: frozenset[str] | None = None,
        max_frame: int = DEFAULT_MAX_FRAME,
    ) -> None:
        self._wanted = None if wanted is None else frozenset(n.encode() for n in wanted)
        self._variables = None if variables is None else frozenset(v.encode() for v in variables)
        self._buf = b""
        self.max_frame = max_frame
        self.skipped = 0
        self.version: str | None = None

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the end of a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Parsed]:
        old = self._buf
        if old:
            buf = old + data
            # Only the new bytes (and the 3 before them) can complete a separator.
            if buf.find(SEP, max(0, len(old) - 3)) < 0:
                return self._hold(buf)
        else:
            buf = data
        frames = buf.split(SEP)
        rest = frames.pop()
        out: list[Parsed] = []
        wanted = self._wanted
        variables = self._variables
        skipped = 0
        nframes = len(frames)
        i = 0
        while i < nframes:
            frame = frames[i]
            i += 1
            if frame[:7] == b"Event: ":
                if wanted is not None:
                    nl = frame.find(b"\r\n")
                    name = frame[7:nl] if nl > 0 else frame[7:]
                    if name in wanted:
                        keep = (
                            variables is None
                            or name != b"VarSet"
                            or _varset_name(frame) in variables
                        )
                    else:
                        keep = name not in UNSOLICITED and b"\r\nActionID: " in frame
                    if not keep:
                        skipped += 1
                        continue
                out.append(_parse_frame(frame))
                continue
            if frame.startswith(FOLLOWS_PREFIX) and not frame.endswith(END_COMMAND):
                # Legacy command output may hold blank lines: glue frames back together
                # up to the --END COMMAND-- marker.
                while i < nframes and not frame.endswith(END_COMMAND):
                    frame += SEP + frames[i]
                    i += 1
                if not frame.endswith(END_COMMAND):
                    rest = frame + SEP + rest
                    break
            item = self._parse_other(frame)
            if item is not None:
                out.append(item)
        self.skipped += skipped
        if rest:
            out.extend(self._hold(rest))
        else:
            self._buf = b""
        return out

    def _hold(self, buf: bytes) -> list[Parsed]:
        if len(buf) > self.max_frame:
            # A frame that never ends would grow without bound: drop it, report it, and
            # resynchronise on the next separator.
            self._buf = b""
            return [ParseError(buf[:200], f"frame longer than {self.max_frame} bytes")]
        self._buf = buf
        return []

    def _parse_other(self, frame: bytes) -> Parsed | None:
        """Frames off the fast path: responses, banner, stray blank lines, odd casing."""
        if frame[:1] in (b"\r", b"\n", b" "):
            frame = frame.lstrip(b"\r\n ")
        if frame.startswith(BANNER_PREFIX):
            line, _, frame = frame.partition(b"\r\n")
            self.version = line[len(BANNER_PREFIX) :].decode("ascii", "replace").strip()
        if not frame:
            return None
        if frame.startswith(FOLLOWS_PREFIX):
            return _parse_follows(frame)
        return _parse_frame(frame)


def _varset_name(frame: bytes) -> bytes:
    start = frame.find(b"\r\nVariable: ")
    if start < 0:
        return b""
    start += 12
    end = frame.find(b"\r\n", start)
    return frame[start:end] if end >= 0 else frame[start:]


# Per-line "Key: Value" split done by map() in C, without a Python-level loop.
_split = str.split
_SEPS: Final = repeat(": ")
_ONES: Final = repeat(1)


def _decode(frame: bytes) -> str:
    try:
        return frame.decode()
    except UnicodeDecodeError:
        # Not valid UTF-8 even as a whole frame: keep the message, mark the bad bytes.
        return frame.decode("utf-8", "replace")


def _parse_frame(frame: bytes) -> Parsed:
    try:
        text = frame.decode()
    except UnicodeDecodeError:
        # Not valid UTF-8 even as a whole frame: keep the message, mark the bad bytes.
        text = frame.decode("utf-8", "replace")
    lines = text.split("\r\n")
    try:
        headers: dict[str, str] = dict(map(_split, lines, _SEPS, _ONES))
    except ValueError:
        return _parse_lines(frame, text)
    pairs: list[tuple[str, str]] | None = None
    if len(headers) != len(lines):
        # A repeated header: keep the first value in the dict, all of them in pairs.
        pairs = [(k, v) for k, v in map(_split, lines, _SEPS, _ONES)]
        headers = {}
        for k, v in pairs:
            headers.setdefault(k, v)
    first = lines[0]
    if first[:7] == "Event: ":
        return AmiMessage(EVENT, first[7:], headers, pairs)
    if first[:10] == "Response: ":
        return AmiMessage(RESPONSE, first[10:], headers, pairs)
    return _classify(frame, headers, pairs)


def _parse_lines(frame: bytes, text: str) -> Parsed:
    """Slow path: lines without ': ' (``Key:`` with nothing after it, or garbage)."""
    pairs: list[tuple[str, str]] = []
    for line in text.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            return ParseError(frame, f"line without a 'Key: value' header: {line[:80]!r}")
        pairs.append((key, value[1:] if value[:1] == " " else value))
    headers: dict[str, str] = {}
    for k, v in pairs:
        headers.setdefault(k, v)
    return _classify(frame, headers, pairs if len(headers) != len(pairs) else None)


def _classify(frame: bytes, headers: dict[str, str], pairs: list[tuple[str, str]] | None) -> Parsed:
    lower = {k.lower(): v for k, v in reversed(list(headers.items()))}
    if "event" in lower:
        return AmiMessage(EVENT, lower["event"], headers, pairs)
    if "response" in lower:
        return AmiMessage(RESPONSE, lower["response"], headers, pairs)
    return ParseError(frame, "neither an Event nor a Response header")


def _parse_follows(frame: bytes) -> Parsed:
    """Legacy ``Response: Follows`` command output: headers, raw text, --END COMMAND--."""
    text = _decode(frame)
    if text.endswith(END_COMMAND.decode()):
        text = text[: -len(END_COMMAND)]
    headers: dict[str, str] = {}
    lines = text.split("\r\n")
    n = 0
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep or not key or " " in key:
            break
        headers.setdefault(key, value)
        n += 1
    content = "\r\n".join(lines[n:]).rstrip("\r\n")
    return AmiMessage(RESPONSE, headers.get("Response", "Follows"), headers, None, content)
