"""`make demo`: the service on embedded defaults, with readable console logs."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from callcontrol.logsetup import configure_logging, get_logger
from callcontrol.service.runtime import Running, serve_until_signalled
from callcontrol.settings import ConfigError, Settings, load_settings

log = get_logger(__name__)


def demo_settings(http_port: int, data_dir: Path) -> Settings:
    base = load_settings(None)
    return dataclasses.replace(
        base,
        database=dataclasses.replace(base.database, data_dir=data_dir),
        http=dataclasses.replace(base.http, port=http_port),
        logging=dataclasses.replace(base.logging, format="console"),
    )


def run_demo(http_port: int, data_dir: Path) -> int:
    try:
        settings = demo_settings(http_port, data_dir)
    except ConfigError as exc:
        print(f"config error: {exc}")
        return 2
    configure_logging("console", settings.logging.level)

    def ready(running: Running) -> None:
        url = f"http://{settings.http.host}:{running.http_port}"
        log.info("demo ready", health=f"{url}/healthz", ready=f"{url}/readyz")

    asyncio.run(serve_until_signalled(settings, on_ready=ready))
    return 0
