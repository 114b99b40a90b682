"""Settings: each from the environment, else from `.streamlit/secrets.toml` (the project's, then the user's)."""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILES = (ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")


def setting(name: str) -> Optional[str]:
    """The setting `name` as text, or None where it is set nowhere (an empty environment variable counts as set)."""
    if name in os.environ:
        return os.environ[name]
    for secrets in SECRETS_FILES:
        try:
            value = tomllib.loads(secrets.read_text(encoding="utf-8")).get(name)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if value is not None:
            return ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return None


def listed(name: str) -> list[str]:
    """A setting holding a list: comma-separated in the environment, a list or a string in secrets.toml."""
    return [item.strip() for item in (setting(name) or "").split(",") if item.strip()]


def days(name: str, default: int) -> dt.timedelta:
    """A setting counting days (a whole number of at least 1); the default where it is unset or not such a number."""
    text = setting(name)
    return dt.timedelta(days=int(text) if text and text.strip().isdigit() and int(text) > 0 else default)


def seconds(name: str, default: float) -> float:
    """A setting counting seconds (a number of 0 or more); the default where it is unset or not such a number."""
    text = (setting(name) or "").strip()
    try:
        value = float(text)
    except ValueError:
        return default
    return value if 0 <= value < float("inf") else default
