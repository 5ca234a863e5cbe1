"""`callcontrol token create|list|revoke` against a real database, then the token over HTTP."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
from pathlib import Path

from callcontrol.cli_tokens import add_token_commands, cmd_token
from callcontrol.store.database import Database
from callcontrol.store.tokens import TokenRepository


def _run(db_url: str, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    config = tmp_path / "cc.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    parser = argparse.ArgumentParser()
    add_token_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["token", "--config", str(config), *argv])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cmd_token(args)
    return code, out.getvalue(), err.getvalue()


async def test_create_list_revoke(database: Database, db_url: str, tmp_path: Path) -> None:
    code, out, err = await asyncio.to_thread(
        _run, db_url, tmp_path, "create", "--role", "operator", "--name", "wall"
    )
    assert code == 0
    plain = out.strip()
    assert plain.startswith("cc_")
    assert "shown this once" in err
    repo = TokenRepository(database)
    token = await repo.verify(plain)
    assert token is not None and token.role.value == "operator" and token.name == "wall"
    code, out, _ = await asyncio.to_thread(_run, db_url, tmp_path, "list")
    assert token.token_id in out and plain not in out
    code, out, _ = await asyncio.to_thread(_run, db_url, tmp_path, "revoke", token.token_id)
    assert code == 0
    assert await repo.verify(plain) is None
    code, _, err = await asyncio.to_thread(_run, db_url, tmp_path, "revoke", "0000000000000000")
    assert code == 1
    assert "no token" in err
