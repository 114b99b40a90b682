"""Every page checked by axe-core (from the npm registry, injected into the page by Playwright) in a real browser, in
the light and the dark theme: no serious or critical finding against WCAG 2.1 A and AA. axe-core does not look at
text drawn in SVG, so the charts' text is checked here too: 4.5:1 against the page at least, as AA asks of text."""
import os

import pytest
from playwright.sync_api import expect

from impact.domain.access import PAGES
from tests.conftest import ROOT, Tab, on_sqlite_only
from tests.servers import contrast, sign_in

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe():
    if not AXE.exists():
        message = "axe-core is not installed (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    return AXE.read_text()


@pytest.fixture(scope="module")
def server(demo_url, demo_server):
    on_sqlite_only(demo_url, "the markup does not depend on the database")
    return demo_server


OPEN_TO_ANYONE = ("overview", "reach", "update")


@pytest.fixture(scope="module")
def staff_cookies(server, browser):
    """Staff's session cookie, signed in once with the sidebar form for every staff page checked here."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/overview")
    sign_in(page)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def checker_tab(browser):
    # bypass_csp: the checker is injected as an inline script, which the dashboard's policy rightly refuses.
    yield from Tab.kept(browser, viewport={"width": 1400, "height": 1100}, bypass_csp=True)


@pytest.fixture
def page(checker_tab):
    yield from checker_tab.visit()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_finding(server, axe, page, staff_cookies, name, scheme):
    if name not in OPEN_TO_ANYONE:
        page.context.add_cookies(staff_cookies["cookies"])
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{server}/{name}?programme=wirvsvirus-2020&project=corona-school&as_of=2021-04-30")
    if name not in OPEN_TO_ANYONE:
        expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as staff@example.org")).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible()
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    # Every element drawn: Streamlit loads the code of some (charts, HTML) on their first use, showing a placeholder.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    page.add_script_tag(content=axe)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    findings = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
                for v in result["violations"] if v["impact"] in ("serious", "critical")]
    charts = page.get_by_test_id("stPlotlyChart")
    for chart in range(charts.count()):
        expect(charts.nth(chart).locator(".main-svg text").first).to_be_attached()  # plotly has drawn it
    background = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    texts = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg text')]
        .filter(t => t.textContent.trim() && !t.closest('.hoverlayer'))
        .map(t => [t.textContent, getComputedStyle(t).fill])""")
    faint = [(text, fill) for text, fill in texts if contrast(fill, background) < 4.5]
    assert findings == []
    assert faint == []
