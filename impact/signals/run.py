"""A check run: the websites and repositories of many projects, at most `concurrency` projects at once, at most
one request per host every `host_interval` seconds, each request bounded by a timeout and retried after a
transient failure; the signals are stored as they come, in batches, each with its audit entry."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Coroutine, Optional

from sqlalchemy import Engine

from impact.domain.access import Actor, check_staff
from impact.signals.repository import RepositoryChecker
from impact.signals.result import Checked
from impact.signals.safety import HostPacer
from impact.signals.settings import CheckSettings
from impact.signals.website import WebsiteChecker
from impact.store import signals as store
from impact.store.signals import Target

BATCH = 200


@dataclass
class RunSummary:
    projects: int = 0
    checks: int = 0
    up: int = 0  # websites that answered, repositories whose commit was read


async def _check_all(found: list[Target], settings: CheckSettings,
                     done: Callable[[Target, list[Checked]], None]) -> None:
    pacer = HostPacer(settings.host_interval)
    websites = WebsiteChecker(settings, pacer)
    repositories = RepositoryChecker(settings, pacer)
    gate = asyncio.Semaphore(settings.concurrency)

    async def one(target: Target) -> None:
        async with gate:
            jobs = []
            if target.website:
                jobs.append(websites.check(target.website))
            if target.repository:
                jobs.append(repositories.check(target.repository))
            done(target, list(await asyncio.gather(*jobs)))

    try:
        await asyncio.gather(*(one(target) for target in found))
    finally:
        await websites.close()


def check(engine: Engine, actor: Actor, programme: Optional[str] = None, project: Optional[str] = None,
          settings: Optional[CheckSettings] = None,
          progress: Optional[Callable[[int, int], None]] = None) -> RunSummary:
    """Check the projects chosen (see impact.store.signals.targets) and store their signals. Staff only (the
    command line is staff). `progress(done, total)` is called after each project."""
    check_staff(actor)
    settings = settings or CheckSettings.from_settings()
    found = store.targets(engine, programme, project)
    summary = RunSummary(projects=len(found))
    pending: list[tuple[int, Checked]] = []
    subject = f"project {project}" if project else f"programme {programme}" if programme else "all projects"
    finished = 0

    def done(target: Target, outcomes: list[Checked]) -> None:
        nonlocal finished
        finished += 1
        pending.extend((target.project_id, outcome) for outcome in outcomes)
        summary.checks += len(outcomes)
        summary.up += sum(outcome.ok and not outcome.parked for outcome in outcomes)
        if len(pending) >= BATCH:
            store.record(engine, actor, pending, subject)  # a short write; the checks wait meanwhile
            pending.clear()
        if progress is not None:
            progress(finished, len(found))

    if found:
        _run(_check_all(found, settings, done))
    store.record(engine, actor, pending, subject)
    return summary


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run, also where this thread already runs an event loop (a notebook, a browser driver): then in a
    thread of its own, as asyncio.run refuses to start a second loop in one thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def check_project(engine: Engine, actor: Actor, slug: str) -> RunSummary:
    """One project, now (staff, from its page)."""
    return check(engine, actor, project=slug)
