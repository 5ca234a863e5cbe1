"""The `h` extension: what Asterisk runs in a channel's last context once its dialplan has
ended (pbx.c, ast_pbx_h_exten_run), after SoftHangupRequest and before the Hangup event.

The channel is already hung up there, so only applications that need no media run; the
dialplan loader has already refused applications the simulator does not know.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from callcontrol.sim.dialplan.args import parse_set

if TYPE_CHECKING:
    from callcontrol.sim.channels import Channel
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)

_WITHOUT_MEDIA = frozenset({"NoOp", "Verbose"})


def run_h_exten(rt: Runtime, ch: Channel) -> None:
    """Run `h` in the channel's context, if there is one, with Newexten and VarSet events."""
    if not rt.plan.has_exten(ch.context, "h"):
        return
    ch.exten, ch.priority = "h", 1
    while (step := rt.plan.step(ch.context, "h", ch.priority)) is not None:
        ch.priority, ch.app = step.priority, step.app
        ch.app_data = rt.substitute(ch, step.raw_args)
        rt.bus.newexten(ch)
        if step.app == "Set":
            name, value = parse_set(ch.app_data)
            rt.set_var(ch, name, value)
        elif step.app not in _WITHOUT_MEDIA:
            log.error(
                "channel %s: %s in the h extension is not simulated (the channel is hung up)",
                ch.name,
                step.app,
            )
            return
        ch.priority += 1
