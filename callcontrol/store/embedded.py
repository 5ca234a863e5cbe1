"""An embedded PostgreSQL (pgserver) for the demo and the tests, kept in the data directory."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

from callcontrol.logsetup import get_logger

log = get_logger(__name__)


class EmbeddedPostgres:
    """Starts PostgreSQL from the pgserver package on a Unix socket; stop() shuts it down."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve() / "pg"
        self._server: Any = None

    async def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns about a missing XDG_RUNTIME_DIR on servers; it is harmless here.
            warnings.simplefilter("ignore")
            import pgserver  # imported here: production never needs the bundled binaries

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        get_server = pgserver.get_server  # type: ignore[attr-defined]
        self._server = await asyncio.to_thread(get_server, self.data_dir, "stop")
        uri: str = self._server.get_uri()
        log.info("embedded postgres started", data_dir=str(self.data_dir))
        return uri

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        await asyncio.to_thread(server.cleanup)
        log.info("embedded postgres stopped")
