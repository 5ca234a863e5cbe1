"""The runtime's view of a loaded dialplan: steps, Goto, and ${...} on a channel.

Parsing, pattern matching and substitution live in callcontrol.sim.dialplan; this
module supplies the channel side (variables, builtins, CALLERID(), CHANNEL()).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcontrol.sim.channels import STATE_DESC, Channel
from callcontrol.sim.dialplan import load_dialplan
from callcontrol.sim.dialplan.functions import callerid_merge
from callcontrol.sim.dialplan.substitution import substitute

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)


class ChannelScope:
    """VariableScope for one channel: its variables, builtins, then globals."""

    def __init__(self, rt: Runtime, ch: Channel) -> None:
        self.rt = rt
        self.ch = ch

    def get(self, name: str) -> str | None:
        ch = self.ch
        if name in ch.variables:
            return ch.variables[name]
        builtin = {
            "EXTEN": lambda: ch.exten,
            "CONTEXT": lambda: ch.context,
            "PRIORITY": lambda: str(ch.priority),
            "CHANNEL": lambda: ch.name,
            "UNIQUEID": lambda: ch.uniqueid,
            "EPOCH": lambda: str(int(self.rt.clock.now())),
            "HANGUPCAUSE": lambda: str(ch.hangup_cause),
            "CALLERIDNUM": lambda: ch.caller_num,
            "CALLERIDNAME": lambda: ch.caller_name,
        }.get(name)
        if builtin is not None:
            return builtin()
        return self.rt.globals.get(name)

    def function(self, name: str, args: str) -> str | None:
        ch = self.ch
        key = args.strip().lower()
        if name == "CALLERID":
            return {
                "num": ch.caller_num,
                "number": ch.caller_num,
                "name": ch.caller_name,
                "all": callerid_merge(ch.caller_name, ch.caller_num),
                "ani": ch.caller_num,
                "dnid": ch.dnid,
                "rdnis": "",
            }.get(key, "")
        if name == "CONNECTEDLINE":
            return {"num": ch.connected_num, "name": ch.connected_name}.get(key, "")
        if name == "CHANNEL":
            return {
                "name": ch.name,
                "uniqueid": ch.uniqueid,
                "linkedid": ch.linkedid,
                "state": STATE_DESC.get(ch.state, "Unknown"),
                "language": ch.language,
                "channeltype": ch.tech,
                "accountcode": ch.accountcode,
            }.get(key, "")
        if name == "GLOBAL":
            return self.rt.globals.get(args.strip(), "")
        return None


class Plan:
    """A loaded dialplan plus the channel-bound operations the runtime needs."""

    def __init__(self, dialplan: Any) -> None:
        self.dialplan = dialplan
        self.globals: dict[str, str] = dict(getattr(dialplan, "globals", {}) or {})

    @classmethod
    def load(cls, path: str) -> Plan:
        """Load a dialplan; an application the runtime cannot run is a load-time error."""
        from callcontrol.sim.apps import APPS
        from callcontrol.sim.dialplan import KNOWN_APPS

        runnable = frozenset(app for app in KNOWN_APPS if app.lower() in APPS)
        return cls(load_dialplan(Path(path), known_apps=runnable))

    def step(self, context: str, exten: str, priority: int) -> Any:
        return self.dialplan.find_step(context, exten, priority)

    def has_exten(self, context: str, exten: str) -> bool:
        return self.dialplan.match(context, exten, 1) is not None

    def resolve_goto(self, ch: Channel, target: str) -> tuple[str, str, int]:
        context, exten, priority = self.dialplan.resolve_goto(
            ch.context, ch.exten, target, current_priority=ch.priority
        )
        return str(context), str(exten), int(priority)

    def substitute(self, rt: Runtime, ch: Channel, text: str) -> str:
        if "$" not in text:
            return text
        return substitute(text, ChannelScope(rt, ch))

    def read(self, rt: Runtime, ch: Channel, name: str) -> str | None:
        """Getvar / GET VARIABLE: a variable or a function call like CALLERID(num)."""
        if "(" in name:
            return self.substitute(rt, ch, "${" + name + "}")
        return ChannelScope(rt, ch).get(name)

    def assign(self, rt: Runtime, ch: Channel, name: str, value: str) -> None:
        """Set(): plain variables emit VarSet; a few functions change the channel."""
        fname, paren, rest = name.partition("(")
        if paren:
            arg = rest.rstrip(")").strip().lower()
            if fname == "CALLERID" and arg in ("num", "number"):
                ch.caller_num = value
            elif fname == "CALLERID" and arg == "name":
                ch.caller_name = value
            elif fname == "CHANNEL" and arg == "language":
                ch.language = value
            elif fname == "GLOBAL":
                rt.globals[rest.rstrip(")").strip()] = value
            else:
                log.warning("channel %s: Set(%s) is not simulated", ch.name, name)
            return
        stored = name.lstrip("_") if name.startswith("_") else name
        if value:
            ch.variables[stored] = value
        else:
            ch.variables.pop(stored, None)
        rt.bus.varset(ch, name, value)
