"""Overview: the funnel from participants to launched projects, and what became of the funded ones."""
import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from impact.domain.access import may_download_report
from impact.domain.lifecycle import status_label
from impact.formats import charts, report
from impact.formats.plans import target_sentence
from impact.i18n import N_, _, format_date, format_number, language
from impact.store.queries import ProgrammeInfo, no_challenge
from impact.ui.data import Source, cached
from impact.ui.language import date_format
from impact.ui.page import (
    chart_data,
    choose_as_of,
    choose_pending,
    choose_programme,
    guard_page,
    illustrative_notice,
    plain,
    plot,
)
from impact.ui.tables import show_table


@cached
def funnel_of(source: Source, programme: ProgrammeInfo, as_of: dt.date, pending: bool) -> tuple[pd.DataFrame, ...]:
    """The funnel, what became of the funded projects (per outcome, as the chart's flows, and per status with its
    name) and the funnel per challenge (named), kept like a read: a click does not group and name them again."""
    funnel = source.funnel(programme, as_of, pending)
    outcomes = source.funded_outcomes(programme.id, as_of, pending)
    statuses = outcomes.groupby("status", sort=False, as_index=False)["projects"].sum()
    challenges = source.challenge_funnel(programme, as_of, pending)
    return (funnel, outcomes, charts.outcome_flows(funnel, outcomes), statuses,
            statuses.assign(status=statuses["status"].map(status_label)),
            challenges.assign(challenge=challenges["challenge"].map(no_challenge)))


source, actor = guard_page("overview")
programme = choose_programme(source, actor)
as_of = choose_as_of(programme)

st.title(plain(programme.name))
st.caption(_("{description} Figures as they stood on {as_of}.", description=plain(programme.description),
             as_of=format_date(as_of)))
illustrative_notice(programme)
pending = choose_pending(actor)

funnel, outcomes, flows, statuses, named_statuses, challenges = funnel_of(source, programme, as_of, pending)
# The programme's targets for its funnel (projects funded, launched), said under their stage.
targets = source.programme_targets(programme, as_of, pending).set_index("measure", drop=False)
# "1 in N" says a conversion the way people weigh it; said of the stage it comes from.
RATIO_OF = {"ideas_submitted": N_("1 in {ratio} ideas funded"), "funded": N_("1 in {ratio} funded launched")}
for column, row, previous in zip(st.columns(len(funnel)), funnel.itertuples(), [None, *funnel["stage"][:-1]]):
    column.metric(plain(_(row.label)), format_number(row.projects),
                  help=_("Source: {source}", source=plain(_(row.source))))
    if previous in RATIO_OF and row.projects:
        column.caption(_(RATIO_OF[previous], ratio=format_number(1 / row.share_of_previous, 1)))
    else:
        column.caption(_("Source: {source}", source=plain(_(row.source))))
    if row.stage in targets.index:
        target = targets.loc[row.stage]
        icon = ":orange[:material/schedule:]" if target.state == "behind" else ":green[:material/check_circle:]"
        column.markdown(f"{icon} " + plain(_("Target: {sentence}", sentence=target_sentence(target))))

plot(charts.outcome_flow_figure, funnel, outcomes)
st.caption(charts.flow_summary(funnel, outcomes))
chart_data(flows, {"source": _("From"), "target": _("To"), "projects": _("Projects")})
plot(charts.status_figure, statuses)
chart_data(named_statuses, {"status": _("Status"), "projects": _("Funded projects")})

if len(challenges) > 1 or (len(challenges) == 1 and challenges["ideas"].iloc[0] > 0):
    plot(charts.challenge_funnel_figure, challenges)
    with st.expander(_("Funnel per challenge as a table")):
        show_table(challenges[["challenge", "ideas", "funded", "launched"]], numbers=("ideas", "funded", "launched"),
                   width="stretch", column_config={"challenge": _("Challenge"), "ideas": _("Ideas"),
                                                   "funded": _("Funded"), "launched": _("Launched")})

if programme.figures:
    st.subheader(_("Published figures and their sources"))
    figures = pd.DataFrame([{"figure": f.label, "value": f.value, "source": f.source, "note": f.note or None}
                            for f in programme.figures])
    show_table(figures, numbers=("value",), width="stretch", column_config={
        "figure": _("Figure"), "value": _("Value"), "source": _("Source"), "note": _("Note")})

if may_download_report(actor):
    st.subheader(_("Report for funders"))
    st.caption(_("A summary page first (the funnel in one sentence, reach, funding, what changed, highlights), then "
                 "the funnel, the funded projects' status, reach over time, recent launches and the methodology, as "
                 "they stood on {as_of}; approved figures only.", as_of=format_date(as_of)))
    name = f"report-{programme.slug}-{as_of}"
    left, right = st.columns(2)
    since = left.date_input(_("What changed since"), value=report.default_since(as_of), max_value=as_of,
                            format=date_format(), key="report_since",
                            help=_("The report's first page counts new launches, discontinuations and reach gained "
                                   "between this day and {as_of}.", as_of=format_date(as_of)))
    # Letter where the visitor's browser says the United States or Canada, A4 everywhere else.
    letter = (st.context.locale or "").upper().endswith(("-US", "-CA"))
    paper = right.selectbox(_("Paper"), report.PAPERS, index=int(letter), key="report_paper")
    left, right = st.columns(2)
    left.download_button(_("Download the report (HTML, works offline)"), icon=":material/download:",
                         data=partial(source.report_html_in, language(), actor, programme, as_of, since, paper),
                         file_name=f"{name}.html", mime="text/html")
    if right.button(_("Make the report as PDF"), icon=":material/picture_as_pdf:", key="make_pdf"):
        try:
            with st.spinner(_("Printing the report…")):
                pdf = report.report_pdf(source.report_html(actor, programme, as_of, since, paper))
        except report.ReportError as exc:
            right.error(str(exc), icon=":material/error:")
        else:
            right.download_button(_("Download the PDF"), pdf, file_name=f"{name}.pdf", mime="application/pdf",
                                  icon=":material/download:")
