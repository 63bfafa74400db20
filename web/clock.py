"""The current time as text, to the second: formatted once a second, not on every request."""

from __future__ import annotations

import time

#: Format -> (the second it was last formatted for, the text).
_last: dict[str, tuple[int, str]] = {}


def utc_now(fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> str:
    """UTC now, to the second, in the ``time.strftime`` format ``fmt`` (default RFC 3339)."""
    now = int(time.time())
    seen = _last.get(fmt)
    if seen is None or seen[0] != now:
        seen = _last[fmt] = (now, time.strftime(fmt, time.gmtime(now)))
    return seen[1]
