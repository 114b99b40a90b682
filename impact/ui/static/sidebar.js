// Closes the sidebar after a pick in its page menu wherever the open sidebar lies over the page (a phone).
//
// Streamlit lays the open sidebar over the page on a narrow window, but after a pick in the menu it closes it only
// when the browser's user agent names a phone (ua-parser's deviceType "mobile"): a phone asking for the desktop
// site, a tablet, a narrow desktop window keep the menu over the page they just picked. This does what Streamlit
// does there, by pressing the sidebar's own collapse button, decided by what the visitor sees: does the open
// sidebar cover the page? On a wide window it lies beside the page and stays open.
// Loaded from this site by impact.ui.page.close_sidebar_after_a_pick (st.html), as the Content-Security-Policy asks.
(() => {
  if (window.impactSidebarClosesAfterAPick) return;  // st.html may load it again on every page
  window.impactSidebarClosesAfterAPick = true;
  const sidebar = () => document.querySelector('[data-testid="stSidebar"]');
  const covers = () => {  // is the sidebar open over the page?
    const page = document.querySelector('[data-testid="stMain"]');
    return !!sidebar() && !!page && sidebar().getAttribute("data-collapsed") === "false"
      && sidebar().getBoundingClientRect().right > page.getBoundingClientRect().left;
  };
  const close = () => {
    if (covers()) sidebar().querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
  };
  const state = () => document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state");
  let watch = null;  // the watch after the latest pick
  const pick = (event) => {
    if (!(event.target instanceof Element) || !event.target.closest('[data-testid="stSidebarNav"] a')) return;
    // After Streamlit's own handling of the click (which closes it for a phone's user agent), then every 200 ms
    // while the new page renders, which can redraw the sidebar open and take seconds on a busy phone: until the
    // page has run to its end and the page has been seen uncovered after it, and at most 30 s, so that a menu the
    // visitor opens afterwards stays open.
    clearInterval(watch);
    const started = Date.now();
    let ran = false;
    let settled = 0;
    setTimeout(close, 0);
    watch = setInterval(() => {
      close();
      const running = state() === "running";
      ran = ran || running || Date.now() - started > 2000;  // a page that ran between two looks was seen as run
      settled = ran && !running && !covers() ? settled + 1 : 0;
      if (settled >= 3 || Date.now() - started > 30000) clearInterval(watch);
    }, 200);
  };
  document.addEventListener("click", pick, true);  // in the capture phase: before any handler can stop it
})();
