"""A rate limit per client: at most API_RATE_LIMIT requests a minute (default 300) from one address, per process."""
from __future__ import annotations

import collections
import math
import threading
import time

from impact.settings import setting

WINDOW_S = 60.0
DEFAULT_PER_MINUTE = 300


def per_minute() -> int:
    text = (setting("API_RATE_LIMIT") or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_PER_MINUTE


class RateLimit:
    """A sliding window of the last minute's requests per client. `wait` is 0 for a request let through (and
    counted), else the seconds until the client's oldest request in the window leaves it."""

    def __init__(self, limit: int, window_s: float = WINDOW_S, clock=time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._seen: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> int:
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(client, collections.deque())
            while seen and seen[0] <= now - self.window_s:
                seen.popleft()
            if len(seen) >= self.limit:
                return max(1, math.ceil(seen[0] + self.window_s - now))
            seen.append(now)
            if len(self._seen) > 100_000:  # forget clients gone quiet, so that the table stays small
                self._seen = {c: s for c, s in self._seen.items() if s and s[-1] > now - self.window_s}
            return 0
