"""AMI parser throughput: ours against panoramisk 1.4's stock parser, in one process.

Both parsers get the same bytes (the real ``burst_50_calls`` Asterisk trace) in the same
4096-byte reads a socket would give. Panoramisk builds a Message (a dict) for every
frame; ours fully parses every event the service uses into a dict and skips the others
unread. Throughput is the events in the stream divided by the wall time of the whole
stream; each parser's best of several interleaved runs counts.

Run from the repository root: ``python -m benchmarks.bench_ami``. Prints one JSON line;
exits 1 when the ratio is under the target.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from panoramisk.ami_protocol import AMIProtocol

from callcontrol.pbx.ami_parser import EVENT, AmiMessage, AmiParser
from callcontrol.pbx.translator import TRACKED_VARIABLES, WANTED_EVENTS

TARGET_RATIO = 6.0


def trace_path() -> Path:
    base = os.environ.get("CALLCONTROL_TRACES")
    root = Path(base) if base else Path(__file__).resolve().parents[1].parent / "shared" / "traces"
    return root / "asterisk-22" / "burst_50_calls.raw.txt"


def run_ours(chunks: list[bytes]) -> list[object]:
    parser = AmiParser(WANTED_EVENTS, TRACKED_VARIABLES)
    out: list[object] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out


def run_ours_all(chunks: list[bytes]) -> list[object]:
    """Ours without the event filter: every frame fully parsed, like panoramisk."""
    parser = AmiParser()
    out: list[object] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out


def run_panoramisk(chunks: list[bytes]) -> list[object]:
    proto = AMIProtocol()
    # What panoramisk's Manager sets on a fresh connection.
    proto.encoding, proto.version, proto.factory = "utf8", None, None
    proto.queue, proto.log = deque(), logging.getLogger("bench")
    out: list[object] = []
    proto.handle_message = out.append  # collect instead of dispatching
    for chunk in chunks:
        proto.data_received(chunk)
    return out


def timed(run: Callable[[list[bytes]], list[object]], chunks: list[bytes]) -> float:
    gc.collect()
    start = time.perf_counter()
    run(chunks)
    return time.perf_counter() - start


def check_same_events(chunks: list[bytes]) -> int:
    """Ours and panoramisk's parse agree on every used event (before timing anything)."""
    ours = [m for m in run_ours(chunks) if isinstance(m, AmiMessage) and m.kind == EVENT]
    theirs = [m for m in run_panoramisk(chunks) if m.get("event") in WANTED_EVENTS]  # type: ignore[attr-defined]
    theirs = [m for m in theirs if m["event"] != "VarSet" or m["variable"] in TRACKED_VARIABLES]  # type: ignore[index]
    if [m.name for m in ours] != [m["event"] for m in theirs]:  # type: ignore[index]
        raise SystemExit("parsers disagree on the used events")
    for mine, other in zip(ours, theirs, strict=True):
        for key, value in other.items():  # type: ignore[attr-defined]
            if key != "content" and mine.headers.get(key) != value:
                raise SystemExit(f"parsers disagree on {mine.name} {key}")
    return len(ours)


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--runs", type=int, default=9)
    args.add_argument("--chunk", type=int, default=4096)
    opts = args.parse_args(argv)
    data = trace_path().read_bytes()
    chunks = [data[i : i + opts.chunk] for i in range(0, len(data), opts.chunk)]
    events = sum(1 for m in AmiParser().feed(data) if isinstance(m, AmiMessage) and m.kind == EVENT)
    used = check_same_events(chunks)
    ours_t, theirs_t, all_t = [], [], []
    for _ in range(opts.runs):  # interleaved, so both see the same machine state
        ours_t.append(timed(run_ours, chunks))
        theirs_t.append(timed(run_panoramisk, chunks))
        all_t.append(timed(run_ours_all, chunks))
    ours_eps = events / min(ours_t)
    theirs_eps = events / min(theirs_t)
    ratio = ours_eps / theirs_eps
    result = {
        "ours_eps": round(ours_eps),
        "panoramisk_eps": round(theirs_eps),
        "ratio": round(ratio, 2),
        "ours_parse_all_eps": round(events / min(all_t)),
        "events": events,
        "used_events": used,
        "bytes": len(data),
        "chunk": opts.chunk,
        "runs": opts.runs,
        "target_ratio": TARGET_RATIO,
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
