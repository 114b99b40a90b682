"""What a stored signal says, in the visitor's language."""
from __future__ import annotations

from impact.i18n import _


def detail(code: str) -> str:
    """The sentence for a signal's stored detail ("timeout", "private-address", "status:503", "branch:…")."""
    if code.startswith("status:"):
        return _("answered with HTTP status {status}", status=code.split(":", 1)[1])
    if code.startswith("branch:"):
        return _("default branch {branch}", branch=code.split(":", 1)[1].removeprefix("refs/heads/"))
    return {
        "": "",
        "timeout": _("no answer within the time allowed"),
        "unreachable": _("could not be reached"),
        "private-address": _("refused: the address is on a private or local network"),
        "unknown-host": _("the host name is not known"),
        "no-host": _("the address names no host"),
        "scheme": _("refused: only http and https for websites, https, http and git:// for repositories"),
        "redirects": _("too many redirects"),
        "empty": _("the repository holds no commit"),
    }.get(code, code)
