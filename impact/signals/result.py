"""One check's outcome, as a row of the signals table holds it (impact.store.models.Signal)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Optional


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Checked:
    kind: str  # "website" or "repository"
    url: str
    checked_at: dt.datetime = field(default_factory=now)
    ok: bool = False
    http_status: Optional[int] = None
    final_url: str = ""
    tls_valid: Optional[bool] = None
    tls_expires_at: Optional[dt.datetime] = None
    response_ms: Optional[int] = None
    parked: bool = False
    last_commit_at: Optional[dt.datetime] = None
    detail: str = ""

    def row(self) -> dict[str, Any]:
        return asdict(self)
