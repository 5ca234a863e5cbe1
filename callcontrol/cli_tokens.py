"""`callcontrol token create --role ROLE [--name N]`, `token revoke ID`, `token list`.

``add_token_commands(sub)`` adds them to the main parser; ``cmd_token`` runs them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from callcontrol.settings import ConfigError, load_settings
from callcontrol.store.tokens import Role, TokenRepository

EXIT_CONFIG = 2
EXIT_NOT_FOUND = 1


def add_token_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    token = subparsers.add_parser("token", help="create, list or revoke API tokens")
    token.add_argument("--config", type=Path, help="TOML settings file (default: embedded)")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", default=None, help="who or what uses it")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")
    actions.add_parser("list", help="list tokens (never the tokens themselves)")


async def _run(args: argparse.Namespace) -> int:
    from callcontrol.service.runtime import database_started

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    async with database_started(settings) as database:
        repo = TokenRepository(database)
        if args.token_command == "create":
            role = Role(args.role)
            token, plain = await repo.create(role, args.name or role.value)
            print(f"token id: {token.token_id} (role {role.value})", file=sys.stderr)
            print("the token is shown this once; store it now:", file=sys.stderr)
            print(plain)
            return 0
        if args.token_command == "revoke":
            revoked = await repo.revoke(args.token_id)
            if revoked is None:
                print(f"no token {args.token_id!r}", file=sys.stderr)
                return EXIT_NOT_FOUND
            print(f"revoked {revoked.token_id} ({revoked.role.value}, {revoked.name})")
            return 0
        for t in await repo.all():
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            print(f"{t.token_id}  {t.role.value:<8}  {state:<24}  {t.name}")
        return 0


def cmd_token(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))
