"""The FastAGI server over a real socket, with Asterisk's side played by the test."""

import asyncio

import pytest

from callcontrol.pbx.agi_server import AgiCall, AgiCommandFailed, AgiError, AgiHangup, AgiServer

ENV = b"agi_network: yes\nagi_network_script: dialin\nagi_uniqueid: 1.1\nagi_extension: 18005550100\nagi_arg_1: pbx1\n\n"


async def _session(replies: list[bytes]) -> tuple[list[str], list[BaseException | str]]:
    """Run one AGI session; Asterisk answers each command line with the next reply."""
    seen: list[BaseException | str] = []

    async def handler(call: AgiCall) -> None:
        assert call.script == "dialin"
        assert call.arg(1) == "pbx1"
        try:
            seen.append(await call.get_data("conf-getconfno", 1000, 9))
            await call.set_variable("CC_ROUTE", "conference")
        except AgiError as exc:
            seen.append(exc)

    server = AgiServer({"dialin": handler}, timeout=5)
    port = await server.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    commands: list[str] = []
    writer.write(ENV)
    for reply in replies:
        line = await asyncio.wait_for(reader.readline(), 5)
        if not line:
            break
        commands.append(line.decode().strip())
        writer.write(reply)
        await writer.drain()
    writer.close()
    await asyncio.sleep(0.05)
    await server.stop()
    return commands, seen


async def test_digits_and_a_quoted_variable() -> None:
    commands, seen = await _session([b"200 result=123456789\n", b"200 result=1\n"])
    assert commands == ["GET DATA conf-getconfno 1000 9", 'SET VARIABLE CC_ROUTE "conference"']
    assert seen == ["123456789"]


async def test_minus_one_on_a_live_channel_is_a_failed_command_not_a_hangup() -> None:
    # Real Asterisk answers GET DATA of a missing sound file with -1 and the channel up.
    _, seen = await _session([b"200 result=-1\n"])
    assert len(seen) == 1
    assert type(seen[0]) is AgiCommandFailed


async def test_minus_one_after_hangup_is_a_hangup() -> None:
    _, seen = await _session([b"HANGUP\n200 result=-1\n"])
    assert len(seen) == 1
    assert isinstance(seen[0], AgiHangup)


async def test_dead_channel_511_is_a_hangup() -> None:
    _, seen = await _session(
        [b"511 Command Not Permitted on a dead channel or intercept routine\n"]
    )
    assert isinstance(seen[0], AgiHangup)


@pytest.mark.parametrize(
    "reply", [b"garbage\n", b"520-Invalid command syntax.\nUsage: x\n520 End of proper usage.\n"]
)
async def test_unreadable_or_refused_replies_raise_clearly(reply: bytes) -> None:
    _, seen = await _session([reply])
    assert isinstance(seen[0], AgiError) and not isinstance(seen[0], AgiHangup)
