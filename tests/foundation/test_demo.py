"""`callcontrol demo` as a user runs it: serves health on its port and stops cleanly on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, deadline_s: float) -> tuple[int, bytes]:
    end = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def test_demo_serves_health_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCONTROL_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callcontrol.cli",
            "demo",
            "--http-port",
            str(port),
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, _ = _wait_for(f"http://127.0.0.1:{port}/healthz", 90)
        assert status == 200
        status, body = _wait_for(f"http://127.0.0.1:{port}/readyz", 30)
        assert status == 200, body
        children = psutil.Process(proc.pid).children(recursive=True)
        postgres = [
            p
            for p in psutil.process_iter(["cmdline"])
            if str(tmp_path) in " ".join(p.info["cmdline"] or [])
        ]
        assert postgres, "the demo runs an embedded PostgreSQL in its data dir"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopped" in out
    time.sleep(0.5)
    left = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or [])
    ]
    assert left == [], f"still running after stop: {left}"
    assert all(not c.is_running() or c.status() == psutil.STATUS_ZOMBIE for c in children)
