"""Who is using this browser session: signing in and out (password, team key, or the identity provider).

A sign-in begins a server-side session (impact.store.sessions): this tab keeps its token, and the browser is sent
through impact.ui.web once to receive it as an HttpOnly cookie, so that a reload or a new tab stays signed in.
Every run asks the database who the token belongs to, so that a session ended anywhere (sign-out, sign out
everywhere, a disabled account, a revoked key) is signed out at its next click, on every replica.
"""
from __future__ import annotations

from typing import NoReturn, Optional
from urllib.parse import urlencode, urlsplit

import streamlit as st
from sqlalchemy import Engine
from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from impact.domain.access import FUNDER, PUBLIC, PUBLIC_ROLE, STAFF, TEAM, Actor
from impact.i18n import N_, _
from impact.store import auth, sessions
from impact.ui import web
from impact.ui.data import Source
from impact.ui.text import plain

ACTOR = "actor"
TOKEN = "session_token"
ROLE_LABELS = {STAFF: N_("staff"), FUNDER: N_("funder"), TEAM: N_("team"), PUBLIC_ROLE: N_("public")}


def oidc_configured() -> bool:
    """Whether `[auth]` settings for an identity provider exist in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all  # noqa: BLE001
        return False


def client() -> str:
    """The visitor's address, for counting attempts per client (see impact.ui.web.client_address)."""
    return st.context.ip_address or ""


def _cookie_token() -> Optional[str]:
    """The token in this browser's session cookie, if it sent one."""
    token = st.context.cookies.get(sessions.COOKIE)
    return token if isinstance(token, str) else None  # AppTest's stand-in browser sends no real cookies


def _oidc_email() -> str:
    """The email the identity provider vouched for, or "" (st.user's values are typed as any claim's)."""
    email = st.user.get("email")
    return email if isinstance(email, str) else ""


def current_actor(engine: Engine) -> Actor:
    """Who this is now: the holder of this tab's or this browser's session, else (tests, the identity provider)
    the actor kept in the session state, as the database sees them now."""
    before = st.session_state.get(ACTOR, PUBLIC)
    token = st.session_state.get(TOKEN) or _cookie_token()
    if token:
        actor = sessions.actor_of(engine, token) or PUBLIC
        if not actor.signed_in:  # ended or expired: a stale cookie must not keep the identity provider out
            st.session_state.pop(TOKEN, None)
    else:
        actor = auth.refresh(engine, before)
    if not actor.signed_in and oidc_configured() and st.user.is_logged_in:
        actor = auth.oidc_actor(engine, _oidc_email()) or PUBLIC
    if before.signed_in and not actor.signed_in:
        st.toast(_("You were signed out: your session ended, or your account or key is no longer active."),
                 icon=":material/logout:")
    st.session_state[ACTOR] = actor
    return actor


def _go(path: str, **params: str) -> NoReturn:
    """Send the browser to one of impact.ui.web's addresses (as st.login does for the identity provider's), and end
    this run: a rerun would drop the message before it reaches the browser."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    message = ForwardMsg()
    message.auth_redirect.url = ("/" + base if base else "") + path + "?" + urlencode(params)
    context = get_script_run_ctx()
    if context is not None:
        context.enqueue(message)
    st.stop()


def _here() -> str:
    """This page's path and link parameters, to come back to after a trip through impact.ui.web."""
    path = urlsplit(st.context.url or "").path or "/"
    params = {key: value for key, value in st.query_params.to_dict().items() if key != "refused"}
    return path + (f"?{urlencode(params)}" if params else "")


def begin_session(engine: Engine, actor: Actor) -> NoReturn:
    """A sign-in succeeded: keep its session in this tab, and have the browser pick up its cookie."""
    started = sessions.start(engine, actor)
    st.session_state[TOKEN] = started.token
    st.session_state[ACTOR] = actor
    _go(web.START_PATH, ticket=started.ticket, next=_here())


def sign_out(engine: Engine) -> NoReturn:
    """End this browser's session on the server, then drop its cookie (or sign out at the identity provider)."""
    token = st.session_state.pop(TOKEN, None) or _cookie_token()
    if token:
        sessions.end(engine, token)
    st.session_state.pop(ACTOR, None)
    if oidc_configured() and st.user.is_logged_in:
        st.logout()
        st.stop()
    _go(web.END_PATH, next=_here())


def sign_in_with_key(source: Source, key: str) -> None:
    """Sign this session in as the team whose key this is; say why not where it is not valid."""
    engine = source.engine
    try:
        actor = auth.sign_in_with_key(engine, key, client())
    except auth.SignInError as exc:
        st.error(str(exc), icon=":material/key_off:")
        return
    begin_session(engine, actor)


def account_sidebar(source: Source, actor: Actor) -> None:
    """The sidebar's sign-in form, or who is signed in and a way out."""
    engine = source.engine
    box = st.sidebar.container(border=True)
    if actor.signed_in:
        box.caption(_("Signed in as {name} ({role}).", name=plain(actor.name), role=_(ROLE_LABELS[actor.role])))
        if box.button(_("Sign out"), icon=":material/logout:", key="sign_out"):
            sign_out(engine)
        return
    if oidc_configured() and st.user.is_logged_in:  # the provider vouched for an email that has no active account
        box.warning(_("You are signed in as {email}, but there is no active account for that email here. Ask "
                      "programme staff to add one.", email=plain(_oidc_email())),
                    icon=":material/no_accounts:")
        box.button(_("Sign out"), on_click=st.logout, icon=":material/logout:", key="oidc_sign_out")
        return
    with box.form("sign_in", border=False):
        st.caption(_("Programme staff and funders sign in here; teams use their update key on the Update page."))
        email = st.text_input(_("Email"), key="sign_in_email", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key="sign_in_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), icon=":material/login:")
    if submitted:
        try:
            actor = auth.sign_in(engine, email, password, client())
        except auth.SignInError as exc:
            box.error(str(exc), icon=":material/lock:")
        else:
            begin_session(engine, actor)
    if oidc_configured():
        box.button(_("Sign in with your organisation"), on_click=st.login, icon=":material/badge:",
                   key="sign_in_oidc")
