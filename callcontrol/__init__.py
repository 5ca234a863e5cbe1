"""callcontrol: telephony call control for webinar audio over Asterisk."""

__version__ = "0.1.0"
