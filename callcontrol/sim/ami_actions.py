"""AMI actions on channels: Originate, Redirect, Hangup, Setvar, Getvar, PlayDTMF,
CoreShowChannels, Status, CoreStatus. Messages are Asterisk 22's own texts.
ConfBridge actions live in ami_confbridge.py."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from callcontrol.sim import media, originate
from callcontrol.sim.ami_confbridge import CONFBRIDGE_ACTIONS
from callcontrol.sim.ami_server import Session, error, response, success
from callcontrol.sim.ami_wire import Headers, Message
from callcontrol.sim.channels import Channel, Interrupt

if TYPE_CHECKING:
    from callcontrol.sim.callees import CalleeBook
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)


def parse_callerid(text: str) -> tuple[str, str]:
    """``"Name" <number>`` / ``Name <number>`` / ``number`` -> (number, name)."""
    text = text.strip()
    if "<" in text and text.endswith(">"):
        name, _, number = text[:-1].rpartition("<")
        return number.strip(), name.strip().strip('"')
    return text, ""


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class ActionHandler:
    def __init__(self, rt: Runtime, callees: CalleeBook) -> None:
        self.rt = rt
        self.callees = callees
        self.actions = {
            "originate": self.originate,
            "redirect": self.redirect,
            "hangup": self.hangup,
            "setvar": self.setvar,
            "getvar": self.getvar,
            "playdtmf": self.play_dtmf,
            "coreshowchannels": self.core_show_channels,
            "status": self.status,
            "corestatus": self.core_status,
        }

    async def __call__(self, session: Session, msg: Message) -> list[Headers] | None:
        key = (msg.action or "").strip().lower()
        fn = self.actions.get(key)
        if fn is not None:
            return fn(msg)
        conf_fn = CONFBRIDGE_ACTIONS.get(key)
        if conf_fn is not None:
            return conf_fn(self.rt, msg)
        return None

    def _channel(self, msg: Message) -> Channel | None:
        return self.rt.find((msg.get("Channel") or "").strip())

    # -- actions --------------------------------------------------------------------------

    def originate(self, msg: Message) -> list[Headers]:
        channel = (msg.get("Channel") or "").strip()
        if not channel:
            return [error(msg, "Channel not specified")]
        if "/" not in channel:
            return [error(msg, "Invalid channel")]
        priority_text = (msg.get("Priority") or "1").strip()
        timeout_text = (msg.get("Timeout") or "30000").strip()
        if not priority_text.isdigit():
            return [error(msg, "Invalid priority")]
        if not timeout_text.isdigit():
            return [error(msg, "Invalid timeout")]
        number, name = parse_callerid(msg.get("CallerID") or "")
        variables = []
        for header in msg.get_all("Variable"):
            for item in header.split(","):
                key, eq, value = item.partition("=")
                if eq and key.strip():
                    variables.append((key.strip(), value))
        req = originate.OriginateRequest(
            channel=channel,
            context=(msg.get("Context") or "").strip(),
            exten=(msg.get("Exten") or "").strip(),
            priority=int(priority_text),
            application=(msg.get("Application") or "").strip(),
            data=msg.get("Data") or "",
            timeout_s=int(timeout_text) / 1000,
            caller_num=number,
            caller_name=name,
            variables=variables,
            action_id=msg.action_id,
            channel_id=(msg.get("ChannelId") or "").strip() or None,
            other_channel_id=(msg.get("OtherChannelId") or "").strip() or None,
        )
        for uid in (req.channel_id, req.other_channel_id):
            if uid is not None and uid in self.rt.by_uid:
                return [error(msg, "Uniqueid already in use.")]
        self.rt.spawn(originate.originate(self.rt, req, self.callees), name=f"originate {channel}")
        return [success(msg, "Originate successfully queued")]

    def redirect(self, msg: Message) -> list[Headers]:
        name = (msg.get("Channel") or "").strip()
        context = (msg.get("Context") or "").strip()
        exten = (msg.get("Exten") or "").strip()
        priority = (msg.get("Priority") or "").strip()
        for value, what in ((name, "Channel"), (context, "Context"), (exten, "Exten")):
            if not value:
                return [error(msg, f"{what} not specified")]
        if not priority:
            return [error(msg, "Priority not specified")]
        if not priority.isdigit():
            return [error(msg, "Invalid priority")]
        ch = self.rt.find(name)
        if ch is None:
            return [error(msg, f"Channel does not exist: {name}")]
        target = Interrupt("redirect", target=(context, exten, int(priority)))
        if not self.rt.interrupt(ch, target):
            return [error(msg, "Redirect failed")]
        return [success(msg, "Redirect successful")]

    def hangup(self, msg: Message) -> list[Headers]:
        name = (msg.get("Channel") or "").strip()
        if not name:
            return [error(msg, "No channel specified")]
        cause_text = (msg.get("Cause") or "").strip()
        if cause_text and not cause_text.isdigit():
            return [error(msg, "Invalid cause")]
        ch = self.rt.find(name)
        if ch is None:
            return [error(msg, "No such channel")]
        self.rt.interrupt(ch, Interrupt("hangup", int(cause_text or 0)))
        return [success(msg, "Channel Hungup")]

    def setvar(self, msg: Message) -> list[Headers]:
        variable = (msg.get("Variable") or "").strip()
        if not variable:
            return [error(msg, "No variable specified")]
        value = msg.get("Value") or ""
        if not (msg.get("Channel") or "").strip():
            self.rt.globals[variable] = value
            return [success(msg, "Variable Set")]
        ch = self._channel(msg)
        if ch is None:
            return [error(msg, "No such channel")]
        self.rt.set_var(ch, variable, value)
        return [success(msg, "Variable Set")]

    def getvar(self, msg: Message) -> list[Headers]:
        variable = (msg.get("Variable") or "").strip()
        if not variable:
            return [error(msg, "No variable specified")]
        if not (msg.get("Channel") or "").strip():
            value = self.rt.globals.get(variable, "")
        else:
            ch = self._channel(msg)
            if ch is None:
                return [error(msg, "No such channel")]
            value = self.rt.get_var(ch, variable) or ""
        return [response("Success", msg, ("Variable", variable), ("Value", value))]

    def play_dtmf(self, msg: Message) -> list[Headers]:
        if not (msg.get("Channel") or "").strip():
            return [error(msg, "No channel specified")]
        digit = (msg.get("Digit") or "").strip()
        if not digit:
            return [error(msg, "No digit specified")]
        ch = self._channel(msg)
        if ch is None:
            return [error(msg, "No such channel")]
        if ch.peer is not None:
            self.rt.spawn(media.deliver_digit(self.rt, ch.peer, digit[0]), name="PlayDTMF")
        elif ch.far_end is not None:
            ch.far_end.pbx_dtmf(ch, digit[0])
        return [success(msg, "DTMF successfully queued")]

    def _listed(self) -> list[Channel]:
        return [ch for ch in self.rt.channels.values() if not ch.gone]

    def core_show_channels(self, msg: Message) -> list[Headers]:
        now = self.rt.clock.now()
        action_id = [("ActionID", msg.action_id)] if msg.action_id is not None else []
        frames = [
            response("Success", msg, ("EventList", "start"), ("Message", "Channels will follow"))
        ]
        channels = self._listed()
        for ch in channels:
            bridge = ch.member.conference.bridge_uid if ch.member is not None else ""
            frames.append(
                [
                    ("Event", "CoreShowChannel"),
                    *action_id,
                    *ch.fields(),
                    ("Application", ch.app),
                    ("ApplicationData", ch.app_data),
                    ("Duration", _duration(now - ch.created_at)),
                    ("BridgeId", bridge),
                ]
            )
        frames.append(
            [("Event", "CoreShowChannelsComplete"), *action_id, ("EventList", "Complete"),
             ("ListItems", str(len(channels)))]
        )  # fmt: skip
        return frames

    def status(self, msg: Message) -> list[Headers]:
        name = (msg.get("Channel") or "").strip()
        channels = self._listed()
        if name:
            ch = self.rt.find(name)
            if ch is None:
                return [error(msg, "No such channel")]
            channels = [ch]
        wanted = [v.strip() for v in (msg.get("Variables") or "").split(",") if v.strip()]
        action_id = [("ActionID", msg.action_id)] if msg.action_id is not None else []
        now = self.rt.clock.now()
        frames = [
            response(
                "Success", msg, ("EventList", "start"), ("Message", "Channel status will follow")
            )
        ]
        for ch in channels:
            bridge = ch.member.conference.bridge_uid if ch.member is not None else ""
            frames.append(
                [
                    ("Event", "Status"), ("Privilege", "Call"), *ch.fields(), ("Type", ch.tech),
                    ("DNID", ch.dnid), ("EffectiveConnectedLineNum", ch.connected_num or "<unknown>"),
                    ("EffectiveConnectedLineName", ch.connected_name or "<unknown>"),
                    ("TimeToHangup", "0"), ("BridgeID", bridge), ("Application", ch.app),
                    ("Data", ch.app_data), ("Nativeformats", "(ulaw)"), ("Readformat", "ulaw"),
                    ("Readtrans", ""), ("Writeformat", "ulaw"), ("Writetrans", ""),
                    ("Callgroup", "0"), ("Pickupgroup", "0"),
                    ("Seconds", str(int(now - ch.created_at))),
                    *[("Variable", f"{v}={self.rt.get_var(ch, v) or '(null)'}") for v in wanted],
                    *action_id,
                ]
            )  # fmt: skip
        count = str(len(channels))
        frames.append(
            [("Event", "StatusComplete"), *action_id, ("EventList", "Complete"),
             ("ListItems", count), ("Items", count)]
        )  # fmt: skip
        return frames

    def core_status(self, msg: Message) -> list[Headers]:
        boot = time.gmtime(self.rt.started_at)
        return [
            response(
                "Success",
                msg,
                ("CoreStartupDate", time.strftime("%Y-%m-%d", boot)),
                ("CoreStartupTime", time.strftime("%H:%M:%S", boot)),
                ("CoreReloadDate", time.strftime("%Y-%m-%d", boot)),
                ("CoreReloadTime", time.strftime("%H:%M:%S", boot)),
                ("CoreCurrentCalls", str(len(self._listed()))),
                ("CoreProcessedCalls", str(self.rt.processed_calls)),
            )
        ]
