"""The pure core of callcontrol: accounts, sessions, legs, the business rules, routing,
rating and brute-force protection. No I/O, no asyncio, no clock reads: time is always an
argument (``at_ms``, integer milliseconds since the epoch)."""
