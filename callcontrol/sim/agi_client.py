"""FastAGI client: the AGI() application as res_agi.c runs it over TCP.

Sends the ``agi_*`` block (same keys and order as the fastagi_dialin_session trace),
then reads one command per line and answers ``200 result=...``. AGIExecStart/End
wrap every command. Connection refused sets AGISTATUS=FAILURE and the dialplan goes
on; a channel hang-up during the session sends ``HANGUP`` to the script.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import shlex
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from callcontrol.sim.agi_commands import execute
from callcontrol.sim.channels import Channel
from callcontrol.sim.dialplan.args import split_args
from callcontrol.sim.events import AGI

if TYPE_CHECKING:
    from callcontrol.sim.apps import Stop
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)

AGI_VERSION = "22.10.1"
DEFAULT_PORT = 4573
# A word: runs of unquoted characters and "quoted parts", up to unquoted whitespace.
_WORD = re.compile(r'(?:[^ \t\r\n"]+|"[^"]*")+')


def agi_environment(ch: Channel, url: str, script: str, args: list[str]) -> list[tuple[str, str]]:
    env = [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", url),
        ("agi_channel", ch.name),
        ("agi_language", ch.language),
        ("agi_type", ch.tech),
        ("agi_uniqueid", ch.uniqueid),
        ("agi_version", AGI_VERSION),
        ("agi_callerid", ch.caller_num or "unknown"),
        ("agi_calleridname", ch.caller_name or "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", ch.dnid or "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", ch.context),
        ("agi_extension", ch.exten),
        ("agi_priority", str(ch.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ch.accountcode),
        ("agi_threadid", str(threading.get_ident())),
    ]
    env += [(f"agi_arg_{n}", value) for n, value in enumerate(args, start=1)]
    return env


def parse_command(line: str) -> list[str]:
    """Split a command line like res_agi's parse_args(): double quotes group words."""
    if "\\" not in line and "'" not in line and line.count('"') % 2 == 0:
        # What shlex gives for such a line, without its per-character loop.
        return [word.replace('"', "") for word in _WORD.findall(line)]
    try:
        return shlex.split(line, posix=True)
    except ValueError:
        return line.split()


def channel_gone(ch: Channel) -> None:
    """The channel hung up while its AGI script runs: tell the script (res_agi sends
    ``HANGUP``) and let it finish on its own."""
    writer = ch.agi_writer
    ch.agi_writer = None
    if writer is not None and not writer.is_closing():
        writer.write(b"HANGUP\n")


async def run_agi(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    url = args[0].strip() if args else ""
    parts = urlsplit(url)
    if parts.scheme != "agi" or not parts.hostname:
        log.error(
            "channel %s: only FastAGI (agi://host[:port]/script) is simulated: %r", ch.name, url
        )
        rt.set_var(ch, "AGISTATUS", "FAILURE")
        return None
    port = parts.port or DEFAULT_PORT
    script = parts.path.lstrip("/")
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port), rt.config.agi_connect_timeout_s
        )
    except (OSError, TimeoutError) as exc:
        # res_agi: "Connecting to 'agi://...' failed: Connection refused"
        log.warning("channel %s: FastAGI connect to %s failed: %s", ch.name, url, exc)
        rt.set_var(ch, "AGISTATUS", "FAILURE")
        return None
    env = agi_environment(ch, url, script, args[1:])
    writer.write("".join(f"{k}: {v}\n" for k, v in env).encode() + b"\n")
    ch.agi_writer = writer
    status = "SUCCESS"
    try:
        status = await _session(rt, ch, reader, writer)
    finally:
        if ch.agi_writer is not None and (ch.pending is not None or ch.gone):
            channel_gone(ch)  # interrupted by a hang-up or a Redirect
        ch.agi_writer = None
        writer.close()
    if ch.gone:
        return None
    rt.set_var(ch, "AGISTATUS", status)
    if status == "HANGUP":
        from callcontrol.sim.apps import Stop

        return Stop(16, 16)
    return None


async def _session(
    rt: Runtime, ch: Channel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> str:
    dead = False
    while True:
        try:
            async with asyncio.timeout(rt.config.agi_command_timeout_s):
                raw = await reader.readline()
        except TimeoutError:
            log.warning("channel %s: FastAGI script silent for too long; ending AGI", ch.name)
            return "FAILURE"
        except ConnectionError as exc:
            log.info("channel %s: FastAGI connection lost: %s", ch.name, exc)
            return "HANGUP" if dead else "SUCCESS"
        if not raw:
            return "HANGUP" if dead else "SUCCESS"
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            continue
        words = parse_command(line)
        if dead:
            writer.write(b"511 Command Not Permitted on a dead channel or intercept routine\n")
            continue
        command_id = str(random.randint(1, 2**31 - 1))
        rt.bus.channel("AGIExecStart", ch, AGI, [("CommandId", command_id), ("Command", line)])
        reply, hung_up = await execute(rt, ch, words)
        rt.bus.channel(
            "AGIExecEnd",
            ch,
            AGI,
            [
                ("CommandId", command_id),
                ("Command", line),
                ("ResultCode", reply[:3]),
                ("Result", "Success" if reply.startswith("200") else "Failure"),
            ],
        )
        if not writer.is_closing():
            writer.write(reply.encode() + b"\n")
        dead = dead or hung_up
