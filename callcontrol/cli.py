"""The `callcontrol` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from callcontrol import __version__
from callcontrol.cli_tokens import add_token_commands, cmd_token
from callcontrol.cli_usage import add_usage_commands, run_usage_command
from callcontrol.logsetup import configure_logging
from callcontrol.settings import ConfigError, Settings, load_settings
from callcontrol.sim.cli import add_sim_arguments

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callcontrol",
        description="Call control for webinar audio: dial-in, Call Me, conferences, billing.",
    )
    parser.add_argument("--version", action="version", version=f"callcontrol {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the service in production from a config file")
    run.add_argument("--config", type=Path, required=True, help="TOML settings file")

    demo = sub.add_parser(
        "demo", help="run everything on embedded defaults (database, PBX simulator)"
    )
    demo.add_argument("--http-port", type=int, default=8080, help="HTTP port (default 8080)")
    demo.add_argument(
        "--data-dir", type=Path, default=Path(".callcontrol/demo"), help="where the demo keeps data"
    )

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--config", type=Path, help="TOML settings file (default: embedded)")

    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate a settings file")
    check.add_argument("file", type=Path)

    sim = sub.add_parser(
        "sim", help="run the PBX simulator: AMI server(s) and an HTTP control port"
    )
    add_sim_arguments(sim)
    add_token_commands(sub)
    add_usage_commands(sub)
    return parser


def _load(path: Path | None) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _cmd_config_check(args: argparse.Namespace) -> int:
    settings = _load(args.file)
    nodes = ", ".join(n.name for n in settings.nodes) or "none"
    db = "embedded" if settings.embedded_database else "external"
    print(f"{args.file}: ok (database: {db}; pbx nodes: {nodes})")
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from callcontrol.store.database import Database
    from callcontrol.store.migrations import migrate

    settings = _load(args.config)
    configure_logging(settings.logging.format, settings.logging.level)

    async def go() -> int:
        database = Database(settings.database)
        await database.start()
        try:
            async with database.connection() as conn:
                applied = await migrate(conn)
        finally:
            await database.close()
        if applied:
            for m in applied:
                print(f"applied {m.version:04d}_{m.name}")
        else:
            print("database is up to date: nothing to apply")
        return 0

    return asyncio.run(go())


def _cmd_run(args: argparse.Namespace) -> int:
    from callcontrol.service.runtime import serve_until_signalled

    settings = _load(args.config)
    configure_logging(settings.logging.format, settings.logging.level)
    asyncio.run(serve_until_signalled(settings))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from callcontrol.service.demo import run_demo

    return run_demo(http_port=args.http_port, data_dir=args.data_dir)


def _cmd_sim(args: argparse.Namespace) -> int:
    from callcontrol.sim.cli import run_sim

    configure_logging("console", "info")
    asyncio.run(run_sim(args))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {
        "run": _cmd_run,
        "demo": _cmd_demo,
        "migrate": _cmd_migrate,
        "config": _cmd_config_check,
        "sim": _cmd_sim,
        "token": cmd_token,
        "usage": run_usage_command,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
