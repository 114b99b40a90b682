"""The addresses of the links in emails: `/update?link=…` (a one-time sign-in, beside the key links of
impact.ui.web.KeyLinks) and `/mail/unsubscribe?token=…` (a page with a button; a POST opts out, as RFC 8058's
one-click List-Unsubscribe-Post does)."""
from __future__ import annotations

from typing import Optional

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from impact.i18n import _, best_language
from impact.mail import links
from impact.mail.compose import in_language
from impact.store import sessions
from impact.ui.web import LinkDoor, database_engine

UNSUBSCRIBE_PATH = "/mail/unsubscribe"
_PAGE = Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html lang=\"{{ lang }}\"><head><meta charset=\"utf-8\"><title>{{ title }}</title></head>"
    "<body style=\"font-family: sans-serif; max-width: 40em; margin: 2em auto;\"><h1>{{ title }}</h1>"
    "<p>{{ text }}</p>{% if button %}<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{{ token }}\">"
    "<button type=\"submit\">{{ button }}</button></form>{% endif %}</body></html>")


class MailLinks(LinkDoor):
    """`/update?link=…`, the one-time sign-in of an email: traded, once, for a team session; a used, expired or
    unknown link comes back as `?refused=link`."""

    param = "link"

    def trade(self, secret: str, client: str) -> tuple[Optional[str], Optional[str]]:
        engine = database_engine()
        actor = links.redeem(engine, secret)
        if actor is None:
            return None, "link"
        return sessions.start(engine, actor).token, None


async def unsubscribe(request: Request) -> Response:
    """GET: a page with a button (a link scanner opening the address opts no one out); POST: opt out."""
    engine = database_engine()
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
