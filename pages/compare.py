"""Compare programmes: their funnels as conversion rates and in numbers, how many funded projects live on, and each
against its own targets."""
import streamlit as st

from impact.formats import charts
from impact.formats.plans import state_word
from impact.i18n import _, format_date
from impact.ui.page import choose_as_of, choose_programme, guard_page, label_of, plot, readable_programmes
from impact.ui.tables import show_table

source, actor = guard_page("compare")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(_("Compare programmes"))
st.caption(_("Each programme's funnel as it stood on {as_of}. Rates are shares of the stage before, so that "
             "hackathons of different sizes can be set side by side.", as_of=format_date(as_of)))

everything = readable_programmes(source, actor)
if len(everything) < 2:
    st.info(_("You can read one programme only, so there is nothing to compare it with yet. Programme staff can "
              "open more programmes to your account."), icon=":material/info:")
    st.stop()
names = dict(zip(everything["slug"], everything["name"]))
chosen = st.multiselect(_("Programmes"), list(names), default=list(names), format_func=label_of(names),
                        key="compare_programmes", placeholder=_("Pick programmes"))
if len(chosen) < 2:
    st.info(_("Pick at least two programmes to compare."), icon=":material/info:")
    st.stop()

programmes = tuple(source.programme_info(slug) for slug in chosen)
table = source.comparison(programmes, as_of)
plot(charts.comparison_rates_figure, table)

st.subheader(_("In numbers"))
show_table(
    table, numbers=("participants", "ideas", "funded", "launched", "alive"),
    percents=("funded_per_idea", "launched_per_funded", "alive_share"), width="stretch",
    column_config={  # widths in pixels that fit a laptop's screen beside the sidebar (impact.ui.tables.LAPTOP_ROOM)
        "programme": st.column_config.Column(_("Programme"), width=200),
        "participants": st.column_config.Column(_("Participants"), width=85),
        "ideas": st.column_config.Column(_("Ideas"), width=50),
        "funded": st.column_config.Column(_("Funded"), width=60),
        "launched": st.column_config.Column(_("Launched"), width=70),
        "alive": st.column_config.Column(_("Funded, still alive"), width=120),
        "funded_per_idea": st.column_config.Column(_("Funded per idea"), width=105),
        "launched_per_funded": st.column_config.Column(_("Launched per funded"), width=130),
        "alive_share": st.column_config.Column(_("Funded still alive"), width=115),
    },
)
st.subheader(_("Against their targets"))
plans = source.target_comparison(programmes, as_of)
if plans.empty:
    st.caption(_("None of these programmes had a target on {as_of}; staff set them on the Programmes page.",
                 as_of=format_date(as_of)))
else:
    st.caption(_("Each programme against its own targets as they stood on {as_of}: % of target is the figure over "
                 "the next target's value; on track means at least the straight line from the target's baseline to "
                 "its value on its due date.", as_of=format_date(as_of)))
    show_table(plans.assign(state=plans["state"].map(state_word)), numbers=("actual", "target"), dates=("due_on",),
               percents=("share",), width="stretch", column_config={
                   "programme": _("Programme"), "label": _("Target for"), "actual": _("Figure"),
                   "target": _("Target"), "due_on": _("By"), "share": _("% of target"), "state": _("Plan")})
if any(p.illustrative_project_count for p in programmes):
    st.caption(_("Demo data: some of these programmes' records are illustrative (see each programme's overview)."))
