"""A repository's check: the date of the latest commit on its default branch, for any public git host, by
`git ls-remote` (which answers, and names the default branch) and a shallow fetch of that one commit.

Only https, http and git:// (never ssh, file or git's other transports: GIT_ALLOW_PROTOCOL), no redirects
followed, no credentials asked, no user or system git configuration read; the host is resolved and refused
before git runs where it points into a private network (impact.signals.safety). git resolves the name again
itself; a DNS answer that changes between the two is the one gap left (README, "Liveness signals")."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
from typing import Optional
from urllib.parse import urlsplit

from impact.signals.result import Checked
from impact.signals.safety import HostPacer, Refused, resolve
from impact.signals.settings import USER_AGENT, CheckSettings

PROTOCOLS = {"https": 443, "http": 80, "git": 9418}
MAX_OUTPUT = 1_000_000


def _environment(home: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false",
            "GIT_ALLOW_PROTOCOL": "https:http:git", "LC_ALL": "C"}


OPTIONS = ("-c", "http.followRedirects=false", "-c", f"http.userAgent={USER_AGENT}", "-c", "credential.helper=",
           "-c", "core.askPass=/bin/false")


class GitFailed(Exception):
    pass


async def _git(args: list[str], home: str, timeout: float) -> str:
    process = await asyncio.create_subprocess_exec(
        "git", *OPTIONS, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=_environment(home))
    try:
        out, _err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise GitFailed(args[0])
    return out[:MAX_OUTPUT].decode("utf-8", errors="replace")


def _head(listing: str) -> tuple[Optional[str], str]:
    """The default branch's commit and name from `git ls-remote --symref URL HEAD`."""
    commit, branch = None, ""
    for line in listing.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            branch = line[5:-5]
        elif line.endswith("\tHEAD"):
            commit = line.split("\t", 1)[0]
    return commit, branch


class RepositoryChecker:
    def __init__(self, settings: CheckSettings, pacer: HostPacer):
        self.settings, self.pacer = settings, pacer

    async def check(self, url: str) -> Checked:
        result = Checked("repository", url, final_url=url)
        try:
            await self._check(url, result)
        except Refused as exc:
            result.detail = exc.code
        except asyncio.TimeoutError:
            result.detail = "timeout"
        except (GitFailed, OSError, ValueError):
            result.detail = "unreachable"
        return result

    async def _check(self, url: str, result: Checked) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in PROTOCOLS or parts.username or parts.password:
            raise Refused("scheme")
        host = parts.hostname or ""
        await resolve(host, parts.port or PROTOCOLS[scheme], self.settings.allow)
        # git waits longer than one request: it makes a few; the timeout still bounds each command.
        timeout = self.settings.timeout * 3
        with tempfile.TemporaryDirectory(prefix="impact-git-") as home:
            listing = await self._retrying(lambda: _git(["ls-remote", "--symref", "--", url, "HEAD"], home, timeout),
                                           host)
            commit, branch = _head(listing)
            if commit is None:
                result.detail = "empty"
                return
            result.detail = f"branch:{branch}" if branch else ""
            repo = os.path.join(home, "repo.git")
            await _git(["init", "--quiet", "--bare", repo], home, timeout)
            await self._retrying(lambda: _git(["-C", repo, "fetch", "--quiet", "--depth=1", "--no-tags",
                                               "--filter=tree:0", "--", url, "HEAD"], home, timeout), host)
            stamp = await _git(["-C", repo, "log", "-1", "--format=%ct", "FETCH_HEAD"], home, timeout)
        result.last_commit_at = dt.datetime.fromtimestamp(int(stamp.strip()), dt.timezone.utc)
        result.ok = True

    async def _retrying(self, command, host: str) -> str:
        attempt = 0
        while True:
            await self.pacer.wait(host)
            try:
                return await command()
            except (GitFailed, asyncio.TimeoutError):
                if attempt >= self.settings.retries:
                    raise
            attempt += 1
            await asyncio.sleep(min(0.5 * attempt, 5))
