"""``callcontrol sim``: run simulated Asterisk nodes and their HTTP control API."""

from __future__ import annotations

import argparse
import asyncio
import logging

from callcontrol.sim.control_http import start_control
from callcontrol.sim.node import NodeConfig, SimCluster, tune_gc

log = logging.getLogger(__name__)


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ami-host", default="127.0.0.1", help="address the AMI servers listen on")
    parser.add_argument("--ami-port", type=int, default=5038, help="AMI port of the first node")
    parser.add_argument("--ami-user", default="callcontrol")
    parser.add_argument("--ami-secret", default="callcontrol")
    parser.add_argument("--control-port", type=int, default=8089, help="HTTP control API port")
    parser.add_argument(
        "--nodes", type=int, default=1, help="nodes; AMI ports count up from --ami-port"
    )
    parser.add_argument("--dialplan", default="dialplan/extensions.conf")
    parser.add_argument("--confbridge", default="dialplan/confbridge.conf")
    parser.add_argument(
        "--agi-host", default=None, help="HOST:PORT overriding the CC_AGI_HOST global"
    )
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="real seconds per simulated second"
    )
    parser.add_argument(
        "--prompt-seconds", type=float, default=1.0, help="virtual length of a prompt"
    )


def node_config(args: argparse.Namespace) -> NodeConfig:
    config = NodeConfig(
        host=args.ami_host,
        ami_port=args.ami_port,
        ami_user=args.ami_user,
        ami_secret=args.ami_secret,
        dialplan=args.dialplan,
        confbridge=args.confbridge or None,
        time_scale=args.time_scale,
        agi_host=args.agi_host,
    )
    config.runtime.default_prompt_s = args.prompt_seconds
    return config


async def run_sim(args: argparse.Namespace) -> None:
    if args.nodes < 1:
        raise ValueError("--nodes must be at least 1")
    cluster = SimCluster(args.nodes, node_config(args))
    await cluster.start()
    tune_gc()
    runner = await start_control(cluster, args.ami_host, args.control_port)
    ports = ", ".join(str(n.ami_port) for n in cluster.nodes)
    log.info(
        "simulator up: AMI port(s) %s, control http://%s:%d",
        ports,
        args.ami_host,
        args.control_port,
    )
    try:
        await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    finally:
        await runner.cleanup()
        await cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="callcontrol-sim", description=__doc__)
    add_sim_arguments(parser)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_sim(parser.parse_args()))


if __name__ == "__main__":
    main()
