"""`/v1/live` over a real aiohttp server with real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import aiohttp
import pytest

from tests.dashboard.conftest import LiveServer
from tests.dashboard.livedata import leg, session

TIMEOUT = aiohttp.ClientTimeout(total=10)


@asynccontextmanager
async def client(
    server: LiveServer, token: str | None = "op-token", auth_message: bool = False
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    url = server.ws_url
    if token is not None and not auth_message:
        url += f"?token={token}"
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_receive=5.0)) as ws,
    ):
        if auth_message:
            await ws.send_json({"type": "auth", "token": token})
        yield ws


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=5.0)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)  # type: ignore[no-any-return]


async def receive_type(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        msg = await receive(ws)
        if msg["type"] == kind:
            return msg


async def test_welcome_then_snapshot_of_the_current_state(live_server: LiveServer) -> None:
    live_server.hub.publish("session", "s1", session("s1"))
    live_server.hub.publish("leg", "a", leg("a", state="waiting"))
    async with client(live_server) as ws:
        welcome = await receive(ws)
        assert welcome == {
            "type": "welcome",
            "role": "operator",
            "read_only": False,
            "max_rate_hz": 4.0,
        }
        snap = await receive(ws)
        assert snap["type"] == "snapshot"
        assert snap["state"]["leg"]["a"]["state"] == "waiting"
        assert snap["state"]["session"]["s1"]["access_code"] == "123456"


@pytest.mark.parametrize(
    ("token", "role", "read_only"),
    [
        ("op-token", "operator", False),
        ("admin-token", "admin", False),
        ("viewer-token", "viewer", True),
        ("app-token", "app", True),
    ],
)
async def test_auth_message_and_read_only_roles(
    live_server: LiveServer, token: str, role: str, read_only: bool
) -> None:
    async with client(live_server, token, auth_message=True) as ws:
        welcome = await receive(ws)
        assert (welcome["role"], welcome["read_only"]) == (role, read_only)
        assert (await receive(ws))["type"] == "snapshot"


async def test_invalid_query_token_is_refused_before_upgrade(live_server: LiveServer) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        async with client(live_server, "wrong"):
            pass
    assert err.value.status == 401
    assert live_server.hub.subscriber_count == 0


@pytest.mark.parametrize("first", [{"type": "auth", "token": "wrong"}, {"type": "hello"}, None])
async def test_bad_or_missing_auth_message_closes_with_4401(
    live_server: LiveServer, first: dict[str, Any] | None
) -> None:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.ws_connect(live_server.ws_url) as ws,
    ):
        if first is not None:
            await ws.send_json(first)
        error = await receive(ws)  # None: nothing sent, the 0.5 s auth timeout runs out
        assert error["code"] == "unauthorized"
        closing = await ws.receive(timeout=5.0)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4401
    assert live_server.hub.subscriber_count == 0


async def test_patches_coalesce_and_stay_under_four_a_second(live_server: LiveServer) -> None:
    hub = live_server.hub
    async with client(live_server) as ws:
        await receive_type(ws, "snapshot")
        for i in range(200):  # all inside one flush period
            hub.publish("leg", "a", leg("a", seq=i))
        patch = await receive_type(ws, "patch")
        assert patch["changes"]["leg"]["a"]["seq"] == 199  # only the latest survives

        stop = asyncio.Event()

        async def churn() -> None:
            i = 0
            while not stop.is_set():
                hub.publish("leg", f"k{i % 50}", leg(f"k{i % 50}", seq=i))
                i += 1
                await asyncio.sleep(0.002)

        task = asyncio.create_task(churn())
        loop = asyncio.get_running_loop()
        started = loop.time()
        patches = 0
        try:
            while loop.time() - started < 1.5:
                if (await receive(ws))["type"] == "patch":
                    patches += 1
        finally:
            stop.set()
            await task
        elapsed = loop.time() - started
        assert 1 <= patches <= 4 * elapsed + 1, (patches, elapsed)


async def test_a_client_that_never_reads_is_dropped_and_never_stalls_another(
    live_server: LiveServer,
) -> None:
    hub = live_server.hub
    url = urlparse(live_server.url)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, (url.hostname, url.port))
    handshake = (
        "GET /v1/live?token=op-token HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(raw, handshake.encode())
    head = await asyncio.wait_for(loop.sock_recv(raw, 1024), 5.0)
    assert head.startswith(b"HTTP/1.1 101"), head
    # From here on the raw client never reads again.
    try:
        async with client(live_server) as fast:
            await receive_type(fast, "snapshot")
            assert hub.subscriber_count == 2
            padding = "x" * 8000
            i = 0
            while live_server.endpoint.dropped == 0:
                assert i < 120, "the slow client was never dropped"
                for j in range(100):
                    hub.publish("leg", f"p{j}", leg(f"p{j}", seq=i, pad=padding))
                i += 1
                # The fast client keeps getting every batch while the slow one clogs.
                patch = await receive_type(fast, "patch")
                assert patch["changes"]["leg"]["p0"]["seq"] <= i
            hub.publish("leg", "marker", leg("marker"))
            while "marker" not in (await receive_type(fast, "patch"))["changes"]["leg"]:
                pass
            assert hub.subscriber_count == 1
    finally:
        raw.close()


async def test_a_reconnecting_client_gets_a_fresh_snapshot(live_server: LiveServer) -> None:
    hub = live_server.hub
    hub.publish("leg", "a", leg("a"))
    async with client(live_server) as ws:
        snap = await receive_type(ws, "snapshot")
        assert set(snap["state"]["leg"]) == {"a"}
    hub.publish("leg", "a", None)
    hub.publish("leg", "b", leg("b", state="in_conference"))
    async with client(live_server) as ws:
        snap = await receive_type(ws, "snapshot")
        assert set(snap["state"]["leg"]) == {"b"}
        assert snap["state"]["leg"]["b"]["state"] == "in_conference"


async def test_client_messages_resync_ping_and_unknown(live_server: LiveServer) -> None:
    async with client(live_server) as ws:
        await receive_type(ws, "snapshot")
        live_server.hub.publish("leg", "a", leg("a"))
        await ws.send_json({"type": "resync"})
        again = await receive_type(ws, "snapshot")
        assert "a" in again["state"]["leg"]
        await ws.send_json({"type": "ping"})
        assert (await receive_type(ws, "pong"))["type"] == "pong"
        await ws.send_str("not json")
        error = await receive_type(ws, "error")
        assert error["code"] == "bad_message"


async def test_shutdown_closes_live_sockets(live_server: LiveServer) -> None:
    async with client(live_server) as ws:
        await receive_type(ws, "snapshot")
        live_server.hub.close()  # what happens at service shutdown
        closing = await ws.receive(timeout=5.0)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
