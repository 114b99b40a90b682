"""The web surface around the pages: the session cookie, update-key links, and security headers on every response.

Streamlit serves the app on Starlette; `app.py` hands it the routes and middleware made here (`st.App`). They call
the same domain functions the pages call and never Streamlit's page API. `python -m impact serve` starts it all.
"""
from __future__ import annotations

import base64
import functools
import gc
import hashlib
import importlib
import os
import re
import sys
from pathlib import Path
from typing import Optional
from urllib.parse import urlencode

import streamlit
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impact.settings import ROOT, listed
from impact.store import auth, sessions
from impact.store.db import database_url
from impact.ui.data import shared_engine

START_PATH = "/session/start"  # ?ticket=...&next=/page: trade a sign-in's one-time ticket for the cookie
END_PATH = "/session/end"  # ?next=/page: sign out and drop the cookie
SIDEBAR_SCRIPT_PATH = "/ui/sidebar.js"  # closes the sidebar after a pick where it lies over the page (a phone)
SIDEBAR_SCRIPT = Path(__file__).parent / "static" / "sidebar.js"
LOOPBACK = {"127.0.0.1", "::1"}


def database_engine() -> Engine:
    """The pages' own engine (impact.ui.data.shared_engine) for DATABASE_URL."""
    return shared_engine(database_url())


def client_address(request: Request) -> str:
    """The visitor's address as uvicorn gives it: behind a proxy listed in TRUSTED_PROXIES, the address that proxy
    put in X-Forwarded-For (`python -m impact serve` passes the list to uvicorn); '' on the server's own machine,
    as Streamlit's `st.context.ip_address` says for the pages."""
    host = request.client.host if request.client else ""
    return "" if host in LOOPBACK else host


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else '/': a sign-in never sends its visitor to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def with_session_cookie(response: Response, request: Request, token: str) -> Response:
    response.set_cookie(sessions.COOKIE, token, max_age=int(sessions.lifetimes().absolute.total_seconds()),
                        path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


def redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


async def start_session(request: Request) -> Response:
    """The page signed its visitor in and sent the browser here with a ticket: set the cookie, go back."""
    response = redirect(local_path(request.query_params.get("next")))
    token = await run_in_threadpool(sessions.redeem, database_engine(), request.query_params.get("ticket", ""))
    return with_session_cookie(response, request, token) if token else response


async def end_session(request: Request) -> Response:
    """Sign out: end the cookie's session on the server and drop the cookie."""
    token = request.cookies.get(sessions.COOKIE)
    if token:
        await run_in_threadpool(sessions.end, database_engine(), token)
    response = redirect(local_path(request.query_params.get("next")))
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response


async def sidebar_script(request: Request) -> Response:
    """The page's one script of ours (see impact/ui/static/sidebar.js), from this site as the policy asks."""
    return FileResponse(SIDEBAR_SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    """The session routes, the links in emails (impact.mail) and the read API under /api/v1/ (impact.api)."""
    from impact.api import routes as api  # it asks this module for the client's address
    from impact.mail import web as mail_web  # the links in emails (it builds on this module)

    return [Route(START_PATH, start_session), Route(END_PATH, end_session), Route(SIDEBAR_SCRIPT_PATH, sidebar_script),
            *mail_web.routes(), *api.routes()]


class LinkDoor:
    """A link to the update page that carries a secret, `/update?<param>=...`, traded for a team session and answered
    with a redirect to the same address without the secret, so that it never stays in the address bar, the history
    or a referrer. A refused one comes back as `?refused=<why>` for the page to explain. Subclasses say which
    parameter they read and how they trade it (`trade`, run in a worker thread)."""

    param = ""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") \
                and scope["path"].rstrip("/").endswith("/update"):
            request = Request(scope)
            if self.param in request.query_params:
                response = await self._exchange(request)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _exchange(self, request: Request) -> Response:
        kept = [(name, value) for name, value in request.query_params.multi_items()
                if name not in (self.param, "refused")]
        token, refused = await run_in_threadpool(self.trade, request.query_params.get(self.param, ""),
                                                 client_address(request))
        if refused:
            kept.append(("refused", refused))
        response = redirect(request.url.path + (f"?{urlencode(kept)}" if kept else ""))
        return with_session_cookie(response, request, token) if token else response

    def trade(self, secret: str, client: str) -> tuple[Optional[str], Optional[str]]:
        """The session token the secret is worth, or why it is refused (None, None: it was no attempt)."""
        raise NotImplementedError


class KeyLinks(LinkDoor):
    """`/update?key=...`: the link staff send a team. A refused key comes back as `?refused=key` or
    `?refused=locked`."""

    param = "key"

    def trade(self, secret: str, client: str) -> tuple[Optional[str], Optional[str]]:
        if not secret.strip():  # an empty key is no attempt
            return None, None
        engine = database_engine()
        try:
            return sessions.start(engine, auth.sign_in_with_key(engine, secret, client)).token, None
        except auth.Locked:
            return None, "locked"
        except auth.SignInError:
            return None, "key"


# --- security headers ---------------------------------------------------------------------------------------------


def _inline_script_hashes() -> list[str]:
    """Streamlit's index.html has a small inline script; the policy allows exactly it, by its hash."""
    page = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    return [f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
            for script in re.findall(r"<script>(.*?)</script>", page, flags=re.S)]


@functools.cache
def security_headers(https: bool) -> list[tuple[str, str]]:
    """The headers of every HTTP response. FRAME_ANCESTORS (origins, comma-separated) lets those sites embed the
    dashboard; by default no site may."""
    ancestors = " ".join(listed("FRAME_ANCESTORS")) or "'none'"
    policy = "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *_inline_script_hashes()]),
        "style-src 'self' 'unsafe-inline'",  # Streamlit's components style themselves at run time
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ])
    headers = [("Content-Security-Policy", policy), ("Referrer-Policy", "no-referrer"),
               ("X-Content-Type-Options", "nosniff")]
    if ancestors == "'none'":
        headers.append(("X-Frame-Options", "DENY"))  # for browsers that predate frame-ancestors
    if https:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


class SecurityHeaders:
    """Adds `security_headers` to every HTTP response (HSTS only where the visitor came by https)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers_to_add = security_headers(scope.get("scheme") == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in headers_to_add:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def middleware() -> list[Middleware]:
    from impact.mail.web import MailLinks

    return [Middleware(SecurityHeaders), Middleware(KeyLinks), Middleware(MailLinks)]


# --- starting it --------------------------------------------------------------------------------------------------

# What the pages import, imported before the first visitor instead of during the first page run.
PAGE_MODULES = ("pandas", "plotly.graph_objects", "impact.formats.charts", "impact.store.commands", "impact.ui.page",
                "impact.ui.plan", "impact.ui.session", "impact.ui.tables", "impact.ui.writes")


def freeze_the_modules() -> None:
    """Import what the pages need and take everything alive now out of Python's garbage collection for good.

    Streamlit collects every generation after each page run (`runner.postScriptGC`, which keeps a server's memory
    from building up). That collection walks every object the process holds, and at start a server holds some
    200,000 (the modules of Streamlit, pandas, plotly, SQLAlchemy, Babel), which live as long as the process
    does. Frozen, they are no longer walked: each run's collection goes from about 100 ms to a few, and every
    visitor's page waits that much less behind another's (bench/README.md, "Many visitors at once"). What a
    page run leaves behind is still collected after it as before.
    """
    for name in PAGE_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def streamlit_arguments(address: str, port: int, options: list[str]) -> list[str]:
    """The arguments of `streamlit` that serve the dashboard (`run app.py`), with uvicorn set to believe
    X-Forwarded-For (and -Proto) only from TRUSTED_PROXIES (none by default; uvicorn's own default would trust the
    server's own machine)."""
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(listed("TRUSTED_PROXIES"))
    return ["run", str(ROOT / "app.py"), "--server.address", address, "--server.port", str(port), *options]


def serve(address: str, port: int, options: list[str]) -> None:
    """Replace this process by `streamlit` with `streamlit_arguments`."""
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", *streamlit_arguments(address, port, options)])
