"""The addresses of the links in emails: `/update?link=…` (a one-time sign-in, beside the key links of
impact.ui.web.KeyLinks) and `/mail/unsubscribe?token=…` (a page with a button; a POST opts out, as RFC 8058's
one-click List-Unsubscribe-Post does)."""
from __future__ import annotations

from urllib.parse import urlencode

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from impact.i18n import _, best_language
from impact.mail import links
from impact.mail.compose import in_language
from impact.store import sessions

UNSUBSCRIBE_PATH = "/mail/unsubscribe"
_PAGE = Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html lang=\"{{ lang }}\"><head><meta charset=\"utf-8\"><title>{{ title }}</title></head>"
    "<body style=\"font-family: sans-serif; max-width: 40em; margin: 2em auto;\"><h1>{{ title }}</h1>"
    "<p>{{ text }}</p>{% if button %}<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{{ token }}\">"
    "<button type=\"submit\">{{ button }}</button></form>{% endif %}</body></html>")


class MailLinks:
    """`/update?link=…` is traded, once, for a team session, and answered with a redirect to the address without
    the link; a used, expired or unknown link comes back as `?refused=link`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") \
                and scope["path"].rstrip("/").endswith("/update"):
            request = Request(scope)
            if "link" in request.query_params:
                response = await self._exchange(request)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _exchange(request: Request) -> Response:
        from impact.ui.web import _engine, _redirect, _with_cookie  # the key links' own helpers

        kept = [(name, value) for name, value in request.query_params.multi_items()
                if name not in ("link", "refused")]
        engine = _engine()
        actor = await run_in_threadpool(links.redeem, engine, request.query_params.get("link", ""))
        if actor is None:
            kept.append(("refused", "link"))
            return _redirect(request.url.path + f"?{urlencode(kept)}")
        token = (await run_in_threadpool(sessions.start, engine, actor)).token
        return _with_cookie(_redirect(request.url.path + (f"?{urlencode(kept)}" if kept else "")), request, token)


async def unsubscribe(request: Request) -> Response:
    """GET: a page with a button (a link scanner opening the address opts no one out); POST: opt out."""
    from impact.ui.web import _engine

    engine = _engine()
    lang = best_language(request.headers.get("accept-language"))
    if request.method == "POST":
        form = await request.form()
        token = str(form.get("token") or request.query_params.get("token", ""))
        address = await run_in_threadpool(links.opt_out, engine, token)
        with in_language(lang):
            if address is None:
                return _page(lang, _("Unknown link"), _("This link is not known; no address was changed."), 404)
            return _page(lang, _("You will get no more emails"),
                         _("{email} gets no more emails from the hackathon impact dashboard. Programme staff can "
                           "still write to you themselves.", email=address))
    token = request.query_params.get("token", "")
    address = await run_in_threadpool(links.address_of, engine, token)
    with in_language(lang):
        if address is None:
            return _page(lang, _("Unknown link"), _("This link is not known; no address was changed."), 404)
        return _page(lang, _("Stop these emails"),
                     _("Stop sending emails from the hackathon impact dashboard to {email}?", email=address),
                     button=_("Stop the emails"), token=token)


def _page(lang: str, title: str, text: str, status: int = 200, button: str = "", token: str = "") -> Response:
    response = HTMLResponse(_PAGE.render(lang=lang, title=title, text=text, button=button, token=token),
                            status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def routes() -> list[Route]:
    return [Route(UNSUBSCRIBE_PATH, unsubscribe, methods=["GET", "POST"])]
