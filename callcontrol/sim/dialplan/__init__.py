"""Asterisk dialplan language for the PBX simulator.

Loads a real extensions.conf and confbridge.conf and evaluates them as
Asterisk 22 does, so the simulator runs the file production runs.
"""

from callcontrol.sim.dialplan.apps import CHANNEL_FUNCTIONS, KNOWN_APPS, KNOWN_FUNCTIONS
from callcontrol.sim.dialplan.args import (
    AppCall,
    Branches,
    GotoTarget,
    check_condition,
    parse_execif,
    parse_goto_target,
    parse_gotoif,
    parse_set,
    split_args,
)
from callcontrol.sim.dialplan.confbridge import (
    BridgeProfile,
    ConfBridgeConfig,
    Menu,
    MenuAction,
    UserProfile,
)
from callcontrol.sim.dialplan.confbridge_parser import load_confbridge
from callcontrol.sim.dialplan.errors import (
    ConfBridgeConfigError,
    ConfigSyntaxError,
    DialplanError,
    GotoError,
    SubstitutionError,
    UnsupportedFeatureError,
)
from callcontrol.sim.dialplan.expressions import ExpressionError, evaluate_expression
from callcontrol.sim.dialplan.functions import PURE_FUNCTIONS, callerid_merge
from callcontrol.sim.dialplan.model import Context, Dialplan, Extension, Include, Step
from callcontrol.sim.dialplan.parser import load_dialplan
from callcontrol.sim.dialplan.substitution import DictScope, VariableScope, substitute

__all__ = [
    "CHANNEL_FUNCTIONS",
    "KNOWN_APPS",
    "KNOWN_FUNCTIONS",
    "PURE_FUNCTIONS",
    "AppCall",
    "Branches",
    "BridgeProfile",
    "ConfBridgeConfig",
    "ConfBridgeConfigError",
    "ConfigSyntaxError",
    "Context",
    "Dialplan",
    "DialplanError",
    "DictScope",
    "ExpressionError",
    "Extension",
    "GotoError",
    "GotoTarget",
    "Include",
    "Menu",
    "MenuAction",
    "Step",
    "SubstitutionError",
    "UnsupportedFeatureError",
    "UserProfile",
    "VariableScope",
    "callerid_merge",
    "check_condition",
    "evaluate_expression",
    "load_confbridge",
    "load_dialplan",
    "parse_execif",
    "parse_goto_target",
    "parse_gotoif",
    "parse_set",
    "split_args",
    "substitute",
]
