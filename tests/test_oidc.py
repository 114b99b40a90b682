"""Signing in through an OpenID Connect provider (st.login), against a local mock provider, never the internet:
the signed-in email maps to an account's role; an email without an account gets nothing more than the public."""
import oidc_provider_mock
import pytest
from playwright.sync_api import expect

from tests.servers import free_port, streamlit_server


@pytest.fixture(scope="module")
def provider():
    users = [oidc_provider_mock.User(sub="ada", claims={"email": "staff@example.org"}),
             oidc_provider_mock.User(sub="eve", claims={"email": "stranger@example.org"})]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def server(demo_url, accounts, provider, tmp_path_factory):
    """One server for both people signing in (each in a browser context of their own)."""
    port = free_port()
    secrets = tmp_path_factory.mktemp("oidc") / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a cookie secret for the tests only"
client_id = "dashboard"
client_secret = "dashboard-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""")
    with streamlit_server(demo_url, "--secrets.files", str(secrets), port=port) as base:
        yield base


@pytest.mark.parametrize("who, expected", [
    ("ada", "Signed in as staff@example.org (staff)."),
    ("eve", "there is no active account for that email here"),
])
def test_signing_in_through_the_identity_provider(server, page, who, expected):
    # A session cookie that has ended (signed out elsewhere, expired) must not keep the provider's sign-in out.
    page.context.add_cookies([{"name": "impact_session", "value": "an-ended-session", "url": server}])
    page.goto(f"{server}/review")
    expect(page.get_by_text("This page is for programme staff: sign in")).to_be_visible()
    page.get_by_role("button", name="Sign in with your organisation").click()
    page.locator("input[name=sub]").fill(who)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_test_id("stSidebar").get_by_text(expected)).to_be_visible()
    if who == "ada":
        page.goto(f"{server}/review")  # the provider's cookie keeps the sign-in across a reload
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    else:
        expect(page.get_by_role("heading", name="Review queue")).to_have_count(0)
