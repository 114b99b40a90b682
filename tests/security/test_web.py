"""The web surface, over real HTTP and in a real browser: key links traded for a cookie and gone from the address,
attempts counted per visitor (believing X-Forwarded-For only from trusted proxies), security headers on every
response with the pages still drawing under the policy, and a sign-in that survives a reload until it is ended."""
from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, expect
from sqlalchemy import select

from impact.domain.access import command_line
from impact.store import admin, auth
from impact.store.db import make_engine
from impact.store.models import SignInFailure
from tests.conftest import FUNDER_EMAIL, STAFF_EMAIL, TINY_PROGRAMME, load, on_sqlite_only, url_of
from tests.servers import pick, sign_in, streamlit_server

CLI = command_line("tests")


def get(base: str, path: str, **headers: str) -> http.client.HTTPResponse:
    """One GET, redirects not followed."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture
def world(engine, tmp_path):
    """A database of its own (the tests lock visitors out) with a team key; yields (engine, key)."""
    load(engine, tmp_path / "tiny", programmes__toml=TINY_PROGRAMME, projects__csv="programme,slug,name\ntiny,a,A\n")
    return engine, admin.issue_key(engine, CLI, "a").key


def test_a_key_link_is_traded_for_a_cookie_and_leaves_the_address(world):
    engine, key = world
    with streamlit_server(url_of(engine)) as base:
        answer = get(base, f"/update?key={key}&lang=fr")
        assert answer.status == 303 and answer.headers["Location"] == "/update?lang=fr"  # the same page, no key
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("impact_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie and "Max-Age=2592000" in cookie  # plain http here; 30 days
        assert answer.headers["Cache-Control"] == "no-store"
        refused = get(base, "/update?key=not-a-key")
        assert refused.status == 303 and refused.headers["Location"] == "/update?refused=key"
        assert "Set-Cookie" not in refused.headers
        for _attempt in range(auth.LOCK_AFTER + 2):  # an empty key is no attempt
            assert get(base, "/update?key=").headers["Location"] == "/update"
        assert get(base, "/session/start?ticket=made-up&next=//evil.example/x").headers["Location"] == "/"
        assert get(base, "/update?monkey=1").status == 200  # no key in it: the page itself
    with engine.connect() as conn:
        assert dict(conn.execute(select(SignInFailure.scope, SignInFailure.failures)).all()) == {"client:local": 1}


def lock_out(base: str, forwarded_for: str) -> None:
    for _attempt in range(auth.LOCK_AFTER):
        answer = get(base, "/update?key=guess", **{"X-Forwarded-For": forwarded_for})
        assert answer.headers["Location"] == "/update?refused=key"


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(world):
    engine, key = world
    with streamlit_server(url_of(engine)) as base:
        lock_out(base, "203.0.113.5")
        # Claiming another address changes nothing: this is one visitor, and it is locked out.
        answer = get(base, f"/update?key={key}", **{"X-Forwarded-For": "203.0.113.6"})
        assert answer.headers["Location"] == "/update?refused=locked"


def test_behind_a_trusted_proxy_each_visitor_counts_alone(world):
    engine, key = world
    with streamlit_server(url_of(engine), TRUSTED_PROXIES="127.0.0.1") as base:
        lock_out(base, "203.0.113.5")
        other = get(base, f"/update?key={key}", **{"X-Forwarded-For": "203.0.113.6"})
        assert other.status == 303 and other.headers["Location"] == "/update"
        assert "impact_session=" in other.headers["Set-Cookie"]
        again = get(base, f"/update?key={key}", **{"X-Forwarded-For": "203.0.113.5"})
        assert again.headers["Location"] == "/update?refused=locked"
        # Over https (the proxy says so): the cookie is Secure and the answer carries HSTS.
        https = get(base, f"/update?key={key}", **{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert "Secure" in https.headers["Set-Cookie"]
        assert https.headers["Strict-Transport-Security"].startswith("max-age=")
    with engine.connect() as conn:
        scopes = set(conn.scalars(select(SignInFailure.scope)))
    assert {"client:203.0.113.5", "client:203.0.113.6", "client:203.0.113.7"} <= scopes


EXPECTED_HEADERS = {"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def test_every_response_carries_the_security_headers(world):
    engine, _key = world
    on_sqlite_only(engine.url, "the headers do not depend on the database")
    with streamlit_server(url_of(engine)) as base:
        for path in ("/", "/reach", "/_stcore/health", "/update?key=x", "/session/end"):
            answer = get(base, path)
            for name, value in EXPECTED_HEADERS.items():
                assert answer.headers[name] == value, (path, name)
            policy = answer.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
            assert "unsafe-eval" not in policy and "script-src 'self' 'sha256-" in policy
            assert "Strict-Transport-Security" not in answer.headers  # plain http, no trusted proxy
    with streamlit_server(url_of(engine), FRAME_ANCESTORS="https://intranet.example.org") as base:
        answer = get(base, "/")
        assert "frame-ancestors https://intranet.example.org" in answer.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in answer.headers


@pytest.fixture
def server(demo_server):
    """The shared server on the demo database for the tests below (each as a new visitor: `Tab` in conftest.py)."""
    return demo_server


def test_pages_draw_under_the_policy(server, demo_url, page):
    on_sqlite_only(demo_url, "the markup does not depend on the database")
    violations = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", console)
    page.goto(f"{server}/overview?programme=wirvsvirus-2020")
    sign_in(page)
    for name in ("overview", "reach", "portfolio", "project?project=corona-school", "compare", "survival"):
        page.goto(f"{server}/{name}{'&' if '?' in name else '?'}programme=wirvsvirus-2020")
        expect(page.locator(".js-plotly-plot, [data-testid='stDataFrame']").first).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    page.remove_listener("console", console)  # the tab serves the next tests
    assert violations == []


def test_a_sign_in_survives_a_reload_until_it_is_ended(server, demo_url, page):
    context = page.context
    page.goto(f"{server}/portfolio?programme=hackathon-covid-2021")
    sign_in(page, FUNDER_EMAIL)
    cookie = next(c for c in context.cookies() if c["name"] == "impact_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.reload()
    expect(page.get_by_text(f"Signed in as {FUNDER_EMAIL}")).to_be_visible()
    other = context.new_page()  # a new tab of the same browser
    other.goto(f"{server}/compare")
    expect(other.get_by_text(f"Signed in as {FUNDER_EMAIL}")).to_be_visible()

    # Staff end it from anywhere (here: another process on the same database); the next click signs out.
    engine = make_engine(demo_url)
    admin.sign_out_everywhere(engine, CLI, FUNDER_EMAIL)
    engine.dispose()
    page.reload()
    expect(page.get_by_text("This page is for programme staff and funders: sign in")).to_be_visible()

    sign_in(page, FUNDER_EMAIL)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("stSidebar").get_by_role("textbox", name="Email")).to_be_visible()
    assert "impact_session" not in {c["name"] for c in context.cookies()}
    page.reload()
    expect(page.get_by_text("This page is for programme staff and funders: sign in")).to_be_visible()
    other.close()  # the tab serves the next tests; this one goes


def test_staff_sign_an_account_out_everywhere_on_the_accounts_page(server, page, second_page):
    funder, staff = page, second_page
    funder.goto(f"{server}/compare")
    sign_in(funder, FUNDER_EMAIL)
    staff.goto(f"{server}/people")
    sign_in(staff, STAFF_EMAIL)
    accounts = staff.get_by_role("tabpanel", name="Accounts")  # the API tokens tab has an account picker too
    pick(staff, accounts, "Account", FUNDER_EMAIL)
    staff.get_by_role("button", name="Sign out everywhere").click()
    expect(staff.get_by_text(f"Every session of {FUNDER_EMAIL} has ended.")).to_be_visible()
    funder.reload()
    expect(funder.get_by_text("This page is for programme staff and funders: sign in")).to_be_visible()


def test_a_team_types_its_key_and_lands_on_its_page(server, accounts, page):
    page.goto(f"{server}/update?lang=en")
    page.get_by_role("textbox", name="Update key").fill(accounts)
    with page.expect_request(lambda request: "/session/start" in request.url) as started:
        page.get_by_role("button", name="Open my project").click()
    started.value.response()
    expect(page.get_by_role("heading", name="Update Corona School")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.reload()  # the key is typed once: the session stays
    expect(page.get_by_role("heading", name="Update Corona School")).to_be_visible()
