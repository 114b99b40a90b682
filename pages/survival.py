"""Time to launch and survival: how long funded projects took to launch, and how long they stayed alive."""
import datetime as dt

import pandas as pd
import streamlit as st

from impact.formats import charts
from impact.i18n import _, format_date, format_number, format_percent, ngettext
from impact.store.survival import survival_curve
from impact.ui.data import Source, cached
from impact.ui.page import choose_as_of, choose_programme, guard_page, illustrative_notice, plain, plot
from impact.ui.tables import show_table


@cached
def lifetimes_of(source: Source, programme_id: int, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The funded projects' lifetimes and, where there are any, their survival curve: kept like a read."""
    lifetimes = source.funded_lifetimes(programme_id, as_of)
    return lifetimes, survival_curve(lifetimes) if len(lifetimes) else pd.DataFrame()


source, actor = guard_page("survival")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(_("Time to launch and survival"))
st.caption(_("Projects funded by {as_of}, followed from their funding to their launch and to their end.",
             as_of=format_date(as_of)))
illustrative_notice(programme)

lifetimes, curve = lifetimes_of(source, programme.id, as_of)
if lifetimes.empty:
    st.info(_("No project of {name} had been funded by {as_of}.", name=plain(programme.name), as_of=format_date(as_of)),
            icon=":material/info:")
    st.stop()

launched = lifetimes["days_to_launch"].dropna()
first, second, third = st.columns(3)
first.metric(_("Funded"), format_number(len(lifetimes)))
first.caption(ngettext("{n} launched", "{n} launched", len(launched)))
second.metric(_("Median time to launch"), ngettext("{n} day", "{n} days", round(launched.median()))
              if len(launched) else "–")
# Only an estimate where some project has been followed for 12 months.
year = curve[curve["months"] <= 12]["alive_share"].iloc[-1] if curve["months"].max() >= 12 else None
third.metric(_("Alive 12 months after funding"), format_percent(year) if year is not None else "–")
third.caption(_("Kaplan-Meier estimate; projects still running count as censored, not as failures."))

left, right = st.columns(2, gap="large")
if len(launched):
    plot(charts.launch_time_figure, lifetimes, container=left)
else:
    left.info(_("No funded project had launched by {as_of}.", as_of=format_date(as_of)), icon=":material/info:")
plot(charts.survival_figure, curve, container=right)

with st.expander(_("The funded projects as a table")):
    show_table(
        lifetimes, numbers=("days_to_launch", "months_observed"), decimals={"months_observed": 1},
        dates=("funded_on", "launched_on", "ended_on"), width="stretch",
        column_config={
            "project": _("Project"), "funded_on": _("Funded"), "launched_on": _("Launched"), "ended_on": _("Ended"),
            "days_to_launch": _("Days to launch"), "months_observed": _("Months followed"), "ended": _("Ended"),
        },
    )
