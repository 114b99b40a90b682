"""Accounts and keys (staff): staff and funder accounts, the programmes funders read, teams' update keys and the
accounts' API tokens."""
import datetime as dt

import streamlit as st

from impact.i18n import N_, _, format_date
from impact.store import admin, tokens
from impact.ui.language import date_format
from impact.ui.page import bold, guard_page, label_of, plain
from impact.ui.session import ROLE_LABELS
from impact.ui.tables import show_table
from impact.ui.writes import done_notice, run_write

source, actor = guard_page("people")
programmes = source.programmes()
programme_names = dict(zip(programmes["slug"], programmes["name"]))
KEY_STATES = {"active": N_("active"), "expired": N_("expired"), "revoked": N_("revoked")}


def role_label(role: str) -> str:
    return _(ROLE_LABELS[role])


st.title(_("Accounts and keys"))
done_notice()
accounts_tab, keys_tab, tokens_tab = st.tabs([_("Accounts"), _("Team update keys"), _("API tokens")])

with accounts_tab:
    accounts = source.accounts(actor)
    show_table(accounts.assign(role=accounts["role"].map(role_label)), dates=("created_at",), width="stretch",
               column_config={"email": _("Email"), "role": _("Role"), "disabled": _("Disabled"),
                              "programmes": _("Programmes (funders)"), "created_at": _("Created"),
                              "created_by": _("By")})
    add, change = st.columns(2, gap="large")
    with add.form("add_account", clear_on_submit=True):
        st.markdown(bold(_("Add an account")))
        email = st.text_input(_("Email"), key="new_email")
        role = st.radio(_("Role"), ["funder", "staff"], format_func=role_label, horizontal=True, key="new_role")
        granted = st.multiselect(_("Programmes a funder reads"), list(programme_names),
                                 format_func=label_of(programme_names), key="new_programmes",
                                 placeholder=_("Pick programmes"))
        password = st.text_input(_("First password (at least 12 characters)"), type="password", key="new_password",
                                 help=_("Leave empty for an account that signs in only with your organisation's "
                                        "identity provider."))
        if st.form_submit_button(_("Add account"), icon=":material/person_add:"):
            run_write(source, admin.add_account, _("Account {email} added.", email=plain(email)), actor, email=email,
                      role=role, password=password or None, programmes=granted)
    with change.form("change_account"):
        st.markdown(bold(_("Change an account")))
        email = st.selectbox(_("Account"), list(accounts["email"]), key="change_email")
        granted = st.multiselect(_("Programmes (funders)"), list(programme_names),
                                 format_func=label_of(programme_names), key="change_programmes",
                                 placeholder=_("Pick programmes"))
        row = st.container(horizontal=True)  # each button as wide as its label, wrapping on a narrow screen
        if row.form_submit_button(_("Disable"), icon=":material/block:"):
            run_write(source, admin.set_account_disabled, _("Account disabled."), actor, email=email, disabled=True)
        if row.form_submit_button(_("Enable"), icon=":material/check:"):
            run_write(source, admin.set_account_disabled, _("Account enabled."), actor, email=email, disabled=False)
        if row.form_submit_button(_("Set programmes"), icon=":material/lock_open:"):
            run_write(source, admin.set_programmes, _("Programmes set."), actor, email=email, programmes=granted)
        if st.form_submit_button(_("Sign out everywhere"), icon=":material/logout:",
                                 help=_("Ends every session of this account, in every browser, at its next click.")):
            run_write(source, admin.sign_out_everywhere, _("Every session of {email} has ended.", email=plain(email)),
                      actor, email=email)

with keys_tab:
    if issued := st.session_state.pop("issued_key", None):
        here = st.context.url or ""  # this page's address; the update page is beside it
        link = f"{here.rsplit('/', 1)[0]}/update?key={issued.key}" if here else f"update?key={issued.key}"
        st.success(_("The key for {project} is below. Copy it now: it is shown only once. Send the team the link, "
                     "or the key for the update page.", project=issued.project_slug), icon=":material/key:")
        st.code(issued.key, language=None)
        st.code(link, language=None)
    issue, revoke = st.columns(2, gap="large")
    with issue.form("issue_key"):
        st.markdown(bold(_("Issue a key")))
        slug = st.text_input(_("Project (its link name, as in ?project=…)"), key="key_project")
        expires = st.date_input(_("Expires after (optional)"), value=None, min_value=dt.date.today(),
                                format=date_format(), key="key_expires")
        if st.form_submit_button(_("Issue key"), icon=":material/key:"):
            run_write(source, admin.issue_key, _("Key issued."), actor, project_slug=slug.strip(), expires_on=expires,
                      remember="issued_key")
    keys = source.update_keys(actor, dt.date.today())
    active = keys[keys["state"] == "active"]
    with revoke.form("revoke_key"):
        st.markdown(bold(_("Revoke a key")))
        labels = {k: f"{p} · {h}" for k, p, h in zip(active["id"], active["project"], active["hint"])}
        key_id = st.selectbox(_("Active key"), list(labels), format_func=label_of(labels), key="revoke_id")
        if st.form_submit_button(_("Revoke"), icon=":material/key_off:", disabled=active.empty):
            run_write(source, admin.revoke_key, _("Key revoked; it no longer opens the update page."), actor,
                      key_id=int(key_id))
    show_table(keys.assign(state=keys["state"].map(lambda state: _(KEY_STATES[state]))),
               dates=("created_at", "expires_on"), width="stretch",
               column_config={"id": _("No."), "project": _("Project"), "hint": _("Key starts"),
                              "created_at": _("Issued"), "created_by": _("By"), "expires_on": _("Expires"),
                              "state": _("State")})

with tokens_tab:
    st.caption(_("A token reads the read API (/api/v1/) with what its account may read at each request, until it "
                 "expires or is revoked; a disabled account's tokens stop too. Send it as the header "
                 "Authorization: Bearer TOKEN."))
    if issued_token := st.session_state.pop("issued_token", None):
        st.success(_("The API token for {email}, valid until {day}, is below. Copy it now: it will not be shown "
                     "again.", email=issued_token.email, day=format_date(issued_token.expires_on)),
                   icon=":material/key:")
        st.code(issued_token.token, language=None)
    today = dt.date.today()
    issue, revoke = st.columns(2, gap="large")
    with issue.form("issue_token"):
        st.markdown(bold(_("Issue an API token")))
        holders = list(accounts.loc[~accounts["disabled"].astype(bool), "email"])
        holder = st.selectbox(_("Account"), holders, key="token_account")
        expires = st.date_input(_("Expires after"), value=today + dt.timedelta(days=tokens.DEFAULT_DAYS),
                                min_value=today, max_value=today + dt.timedelta(days=tokens.MAX_DAYS),
                                format=date_format(), key="token_expires",
                                help=_("{days} days unless you pick another day; at most {most} days.",
                                       days=tokens.DEFAULT_DAYS, most=tokens.MAX_DAYS))
        if st.form_submit_button(_("Issue token"), icon=":material/key:", disabled=not holders):
            run_write(source, tokens.issue_token, _("API token issued."), actor, email=holder, expires_on=expires,
                      remember="issued_token")
    api_tokens = source.api_tokens(actor, today)
    usable = api_tokens[api_tokens["state"] == "active"]
    with revoke.form("revoke_token"):
        st.markdown(bold(_("Revoke an API token")))
        token_labels = {t: f"{a} · {h}" for t, a, h in zip(usable["id"], usable["account"], usable["hint"])}
        token_id = st.selectbox(_("Active token"), list(token_labels), format_func=label_of(token_labels),
                                key="revoke_token_id")
        if st.form_submit_button(_("Revoke"), icon=":material/key_off:", disabled=usable.empty):
            run_write(source, tokens.revoke_token, _("API token revoked; the API refuses it now."), actor,
                      token_id=int(token_id))
    show_table(api_tokens.assign(state=api_tokens["state"].map(lambda state: _(KEY_STATES[state]))),
               dates=("created_at", "expires_on"), width="stretch",
               column_config={"id": _("No."), "account": _("Account"), "hint": _("Token starts"),
                              "created_at": _("Issued"), "created_by": _("By"), "expires_on": _("Expires"),
                              "state": _("State")})
    st.caption(_("When a token was last used is not recorded."))
