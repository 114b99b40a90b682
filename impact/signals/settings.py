"""The settings of the checks (README, "Liveness signals"), each from the environment or secrets.toml."""
from __future__ import annotations

from dataclasses import dataclass

from impact.settings import listed, setting

USER_AGENT = ("HackathonImpactDashboard/1.0 (liveness check of the project's own website or repository, at most "
              "one request a second per host)")


def _number(name: str, default: float, least: float) -> float:
    text = (setting(name) or "").strip()
    try:
        value = float(text)
    except ValueError:
        return default
    return value if value >= least else default


@dataclass(frozen=True)
class CheckSettings:
    timeout: float = 10.0  # seconds per request (connect, each read)
    retries: int = 2  # further attempts after a transient failure (no answer, 429, 502, 503, 504)
    max_bytes: int = 1_000_000  # of a response body read, at most
    host_interval: float = 1.0  # seconds between two requests to one host, at least
    concurrency: int = 16  # projects checked at once
    allow: tuple[str, ...] = ()  # host names or networks the checks may reach although private (SIGNALS_ALLOW)
    max_redirects: int = 10

    @classmethod
    def from_settings(cls) -> CheckSettings:
        return cls(timeout=_number("SIGNALS_TIMEOUT", 10.0, 0.05),
                   retries=int(_number("SIGNALS_RETRIES", 2, 0)),
                   max_bytes=int(_number("SIGNALS_MAX_BYTES", 1_000_000, 1)),
                   host_interval=_number("SIGNALS_HOST_INTERVAL", 1.0, 0),
                   concurrency=int(_number("SIGNALS_CONCURRENCY", 16, 1)),
                   allow=tuple(listed("SIGNALS_ALLOW")))
