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
  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element) || !event.target.closest('[data-testid="stSidebarNav"] a')) return;
    const close = () => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      const page = document.querySelector('[data-testid="stMain"]');
      if (!sidebar || !page || sidebar.getAttribute("data-collapsed") !== "false") return;
      if (sidebar.getBoundingClientRect().right <= page.getBoundingClientRect().left) return;  // beside the page
      sidebar.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
    };
    // After Streamlit's own handling of the click (which closes it for a phone's user agent), at a few moments
    // while the new page renders, and whenever the page redraws the sidebar open while it runs (a busy phone can
    // take seconds): until the page has run to its end, once more just after, and at most 10 s, so that a menu the
    // visitor opens afterwards stays open.
    for (const delay of [0, 400, 1200, 2500]) setTimeout(close, delay);
    const state = () => document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state");
    let ran = false;
    const watcher = new MutationObserver(() => {
      close();
      if (state() === "running") ran = true;
      else if (ran) {
        watcher.disconnect();
        setTimeout(close, 300);
      }
    });
    watcher.observe(document.body, {attributes: true, subtree: true,
                                    attributeFilter: ["data-collapsed", "data-test-script-state"]});
    setTimeout(() => watcher.disconnect(), 10000);
  });
})();
