"""PBX simulator: AMI server, channel runtime, FastAGI client and scripted phones that
behave like Asterisk 22 on the wire. Entry points: callcontrol.sim.node.SimNode /
SimCluster, callcontrol.sim.cli.run_sim. See docs/simulator.md."""
