"""Who is using this browser session: signing in and out (password, team key, or the identity provider).

The actor lives in the session state and is checked against the database on every run (impact.auth.refresh), so
that a disabled account or a revoked key is signed out at its next click, on every replica.
"""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from impact import auth
from impact.access import FUNDER, PUBLIC, PUBLIC_ROLE, STAFF, TEAM, Actor
from impact.i18n import N_, _
from impact.ui.text import plain

ACTOR = "actor"
ROLE_LABELS = {STAFF: N_("staff"), FUNDER: N_("funder"), TEAM: N_("team"), PUBLIC_ROLE: N_("public")}


def oidc_configured() -> bool:
    """Whether `[auth]` settings for an identity provider exist in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all  # noqa: BLE001
        return False


def client() -> str:
    """The visitor's address, for counting wrong attempts per client (behind a proxy: the proxy's address)."""
    return st.context.ip_address or ""


def current_actor(engine: Engine) -> Actor:
    actor = st.session_state.get(ACTOR, PUBLIC)
    if not actor.signed_in and oidc_configured() and st.user.is_logged_in:
        actor = auth.oidc_actor(engine, st.user.get("email") or "") or PUBLIC
    fresh = auth.refresh(engine, actor)
    if fresh != actor and not fresh.signed_in:
        st.toast(_("You were signed out: your account or key is no longer active."), icon=":material/logout:")
    st.session_state[ACTOR] = fresh
    return fresh


def sign_in_with_key(engine: Engine, key: str) -> bool:
    """Sign this session in as the team whose key this is; say why not where it is not valid."""
    try:
        st.session_state[ACTOR] = auth.sign_in_with_key(engine, key, client())
    except auth.SignInError as exc:
        st.error(str(exc), icon=":material/key_off:")
        return False
    return True


def account_sidebar(engine: Engine, actor: Actor) -> None:
    """The sidebar's sign-in form, or who is signed in and a way out."""
    box = st.sidebar.container(border=True)
    if actor.signed_in:
        box.caption(_("Signed in as {name} ({role}).", name=plain(actor.name), role=_(ROLE_LABELS[actor.role])))
        if box.button(_("Sign out"), icon=":material/logout:", key="sign_out"):
            st.session_state.pop(ACTOR, None)
            if oidc_configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()
        return
    if oidc_configured() and st.user.is_logged_in:  # the provider vouched for an email that has no active account
        box.warning(_("You are signed in as {email}, but there is no active account for that email here. Ask "
                      "programme staff to add one.", email=plain(st.user.get("email") or "")),
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
            st.session_state[ACTOR] = auth.sign_in(engine, email, password, client())
        except auth.SignInError as exc:
            box.error(str(exc), icon=":material/lock:")
        else:
            st.rerun()
    if oidc_configured():
        box.button(_("Sign in with your organisation"), on_click=st.login, icon=":material/badge:",
                   key="sign_in_oidc")
