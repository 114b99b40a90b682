"""Figures: pure functions from the DataFrames of `impact.store.queries` to plotly Figures. No database, no Streamlit.

Every mark carries its number as text. The funnel is a flow whose widths are the counts, so that 30 launched next
to 1,500 ideas looks as small as it is; only the per-challenge funnel, where rows differ by orders of magnitude,
uses a logarithmic axis and says so.
"""
from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go

from impact.domain.lifecycle import Status, status_label
from impact.i18n import (
    N_,
    _,
    format_date,
    format_number,
    format_percent,
    ngettext,
    percent_affixes,
    plotly_date_format,
    plotly_separators,
)
from impact.store.survival import DAYS_PER_MONTH

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, SKY, YELLOW, PURPLE, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#F0E442", "#CC79A7", "#7F7F7F")
SERIES_COLOURS = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, "#882255", "#44AA99", "#999933", GREY]

STATUS_COLOURS: dict[str, str] = {Status.IDEA: GREY, Status.FUNDED: SKY, Status.IN_DEVELOPMENT: BLUE,
                                  Status.LAUNCHED: GREEN, Status.DISCONTINUED: VERMILION}
MAX_DOTS = 60  # per series
FONT = dict(family="Source Sans Pro, sans-serif", size=14)


def _inert(text: str) -> str:
    """Names from the data, for plotly text: its HTML subset (links, markup) shown as plain characters."""
    return html.escape(str(text), quote=False).replace("%{", "%\u200b{")




GRID = "rgba(128,128,128,0.25)"
LEGEND_ON_TOP = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0)


def _figure(traces: list[dict], title: str, height: int, **layout) -> go.Figure:
    """The figure of these traces with the common layout and `layout`'s own settings, built in one go: plotly
    validates every setting again on each update."""
    return go.Figure(data=traces, layout=dict(
        title=dict(text=_inert(title), x=0, xanchor="left"), height=height, font=FONT,
        margin=dict(l=10, r=30, t=60, b=40), plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
        hoverlabel=dict(font_size=14), separators=plotly_separators(), **layout))


def _log_range(values: pd.Series) -> list[float]:
    """A log10 axis range from well under 1 (so a count of 1 still shows a bar) to past the largest value,
    leaving room for the labels."""
    top = max(float(values.max()), 1.0)
    return [-0.5, math.log10(top) + 1.3]


def outcome_flows(funnel: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The flows of `outcome_flow_figure` as a table (its text alternative too): source, target, projects, one row
    per flow that carries projects. Ideas split into funded and not funded, the funded into launched and not
    launched, and each of those into the status it is in now. `funnel` is `funnel_at`'s frame, `outcomes`
    `funded_outcomes_at`'s."""
    stages = dict(zip(funnel["stage"], funnel["projects"]))
    ideas, funded = int(stages["ideas_submitted"]), int(stages["funded"])
    rows = [(_("Ideas submitted"), _("Not funded"), max(ideas - funded, 0)),
            (_("Ideas submitted"), _("Funded"), funded)]
    for was_launched, label in ((True, _("Launched")), (False, _("Not launched"))):
        mine = outcomes[outcomes["launched"] == was_launched]
        rows.append((_("Funded"), label, int(mine["projects"].sum())))
        rows += [(label, status_label(status), int(n)) for status, n in zip(mine["status"], mine["projects"])]
    flows = pd.DataFrame(rows, columns=["source", "target", "projects"])
    return flows[flows["projects"] > 0].reset_index(drop=True)


def outcome_flow_figure(funnel: pd.DataFrame, outcomes: pd.DataFrame) -> go.Figure:
    """What became of the ideas, as a flow whose widths are the counts (no log scale to misread), every node
    labelled with its count."""
    flows = outcome_flows(funnel, outcomes)
    colours = {_("Ideas submitted"): SKY, _("Not funded"): GREY, _("Funded"): ORANGE, _("Launched"): GREEN,
               _("Not launched"): BLUE, **{status_label(s): c for s, c in STATUS_COLOURS.items()}}
    names = list(dict.fromkeys([*flows["source"], *flows["target"]]))
    index = {name: i for i, name in enumerate(names)}
    counts = {name: max(int(flows.loc[flows["target"] == name, "projects"].sum()),
                        int(flows.loc[flows["source"] == name, "projects"].sum())) for name in names}
    flow = dict(
        type="sankey", arrangement="snap", valueformat=",d", textfont=dict(size=14, shadow="none"),
        node=dict(label=[f"{_inert(name)}: {format_number(counts[name])}" for name in names],
                  color=[colours[name] for name in names], pad=24, thickness=18, align="left", line=dict(width=0),
                  hovertemplate="%{label}<extra></extra>"),
        link=dict(source=flows["source"].map(index), target=flows["target"].map(index), value=flows["projects"],
                  color=[_faint(colours[name]) for name in flows["target"]],
                  customdata=flows["projects"].map(format_number),
                  hovertemplate="%{source.label} → %{target.label}: %{customdata}<extra></extra>"),
    )
    return _figure([flow], _("What became of the ideas"), 480)


def flow_summary(funnel: pd.DataFrame, outcomes: pd.DataFrame) -> str:
    """The flow in words: how many ideas were funded and launched (also as "1 in N"), and what became of the
    launched ones. For readers of the chart, of its table and of the report."""
    stages = dict(zip(funnel["stage"], funnel["projects"]))
    ideas, funded, launched = int(stages["ideas_submitted"]), int(stages["funded"]), int(stages["launched"])
    if not funded:
        return ngettext("The {n} idea has not been funded yet.", "None of the {n} ideas has been funded yet.", ideas)
    if ideas >= funded:
        first = ngettext("{n} of the {ideas} ideas was funded (1 in {ratio}).",
                         "{n} of the {ideas} ideas were funded (1 in {ratio}).", funded,
                         ideas=format_number(ideas), ratio=format_number(ideas / funded, 1))
    else:  # a declared count of ideas below the funded records
        first = ngettext("{n} project was funded.", "{n} projects were funded.", funded)
    if not launched:
        return first + " " + _("None of them has launched yet.")
    was_launched = outcomes[outcomes["launched"]].set_index("status")["projects"]
    live, stopped = int(was_launched[Status.LAUNCHED]), int(was_launched[Status.DISCONTINUED])
    return first + " " + _("Of those, {launched} launched (1 in {ratio}): {live}, {stopped}.",
                           launched=format_number(launched), ratio=format_number(funded / launched, 1),
                           live=ngettext("{n} is live", "{n} are live", live),
                           stopped=ngettext("{n} has stopped since", "{n} have stopped since", stopped))


def _faint(colour: str) -> str:
    """A hex colour at 40 % opacity, for the flows between the nodes."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.4)"


def status_figure(statuses: pd.DataFrame) -> go.Figure:
    """What became of the funded projects: one labelled bar per status (label and number, not colour alone)."""
    total = int(statuses["projects"].sum())
    labels = [status_label(s) for s in statuses["status"]]
    texts = [f"{format_number(n)} ({format_percent(n / total)})" if total else "0" for n in statuses["projects"]]
    bars = dict(type="bar", x=statuses["projects"], y=labels, orientation="h", text=texts, textposition="outside",
                cliponaxis=False, marker_color=[STATUS_COLOURS[s] for s in statuses["status"]],
                hovertemplate="%{y}: %{text}<extra></extra>")
    title = ngettext("Status of the {n} funded project", "Status of the {n} funded projects", total)
    return _figure([bars], title, 340,
                   yaxis=dict(autorange="reversed", ticksuffix="  "),
                   xaxis=dict(range=[0, max(total, 1) * 1.25], title=_("Funded projects"), gridcolor=GRID))


def challenge_funnel_figure(challenges: pd.DataFrame) -> go.Figure:
    """One row per challenge: ideas, funded and launched as distinct markers on a log axis, joined by a line."""
    frame = challenges[challenges["ideas"] > 0]
    frame = frame.assign(challenge=frame["challenge"].map(_inert))
    names = list(frame["challenge"])
    # The joining lines are one trace, broken between challenges: plotly builds one trace per challenge slowly.
    xs, ys = [], []
    for row in frame.itertuples():
        present = [v for v in (row.ideas, row.funded, row.launched) if v > 0]
        xs += [min(present), max(present), None]
        ys += [row.challenge, row.challenge, None]
    traces = [dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color="rgba(128,128,128,0.5)", width=2),
                   hoverinfo="skip", showlegend=False)]
    for column, label, colour, symbol in (("ideas", N_("Ideas"), SKY, "circle-open"),
                                          ("funded", N_("Funded"), ORANGE, "diamond"),
                                          ("launched", N_("Launched"), GREEN, "circle")):
        shown = frame[frame[column] > 0]
        traces.append(dict(
            type="scatter", x=shown[column], y=shown["challenge"], mode="markers", name=_(label),
            marker=dict(color=colour, symbol=symbol, size=12, line=dict(width=2, color=colour)),
            hovertemplate="%{y}<br>" + _(label) + ": %{x:,}<extra></extra>",
        ))
    return _figure(traces, _("Funnel per challenge"), 140 + 26 * max(len(names), 1), legend=LEGEND_ON_TOP,
                   yaxis=dict(categoryorder="array", categoryarray=names[::-1], ticksuffix="  "),
                   xaxis=dict(type="log", range=_log_range(frame["ideas"] if len(frame) else pd.Series([1])),
                              dtick=1, tickformat=",d", title=_("Projects (logarithmic scale)"), gridcolor=GRID))


def reach_figure(series: pd.DataFrame, title: str, unit: str, group: str | None = None,
                 plan: tuple | None = None) -> go.Figure:
    """Cumulative reach as steps (a reading holds until the next), one line per group if `group` is given.

    `series` has as_of, value and reading (False on the carried-forward end point), as `impact.store.queries` gives.
    The line is solid where readings were made and dashed where the last one is carried forward; the x axis spans
    the readings, so that years without a new reading do not squeeze them into a corner.
    """
    traces = []
    groups = [(None, series)] if group is None else list(series.groupby(group, sort=False))
    for i, (name, part) in enumerate(groups):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        name = _inert(name) if name else None
        hover = (f"{name}<br>" if name else "") + "%{x|" + plotly_date_format() + "}: %{y:,} " + _inert(unit) + \
            "<extra></extra>"
        readings = part[part["reading"]]
        traces.append(dict(type="scatter", x=readings["as_of"], y=readings["value"], mode="lines", line_shape="hv",
                           name=name or title, legendgroup=name, line=dict(color=colour, width=3),
                           hovertemplate=hover))
        carried = part.tail(2) if not part["reading"].iloc[-1] and len(part) > 1 else part.iloc[:0]
        if len(carried):
            traces.append(dict(type="scatter", x=carried["as_of"], y=carried["value"], mode="lines",
                               line_shape="hv", legendgroup=name, showlegend=False,
                               line=dict(color=colour, width=2, dash="dot"), hoverinfo="skip"))
        if len(readings) <= MAX_DOTS:  # a dot where a reading was made; more would blur into a thick line
            traces.append(dict(type="scatter", x=readings["as_of"], y=readings["value"], mode="markers",
                               legendgroup=name, showlegend=False, marker=dict(color=colour, size=7),
                               hovertemplate=hover))
    if plan is not None:  # the target: a straight line from the baseline to the target's value on its due date
        baseline_on, baseline_value, due_on, value = plan
        # The label sits on the side of the target's point the figures are not: below it where they passed it.
        by_due = series[series["as_of"] <= pd.Timestamp(due_on)]["value"]
        passed = len(by_due) > 0 and by_due.max() >= value
        traces.append(dict(type="scatter", x=[baseline_on, due_on], y=[baseline_value, value],
                           mode="lines+markers+text", name=_("Target"), line=dict(color=GREY, width=2, dash="dash"),
                           marker=dict(symbol="diamond", size=9, color=GREY),
                           textposition="bottom left" if passed else "top left",
                           text=["", _inert(_("Target: {value} by {due}", value=format_number(value),
                                                due=format_date(pd.Timestamp(due_on).date())))],
                           hovertemplate=_("Target") + " %{x|" + plotly_date_format() + "}: %{y:,}<extra></extra>"))
    xaxis: dict = dict(title=None, tickformat=plotly_date_format(), gridcolor=GRID)
    annotations = []
    readings = series[series["reading"]]
    if len(readings) and not series["reading"].all():
        first, last, end = readings["as_of"].min(), readings["as_of"].max(), series["as_of"].max()
        if plan is not None:  # the target's line stays in view
            first, last = min(first, pd.Timestamp(plan[0])), max(last, pd.Timestamp(plan[2]))
        margin = max((last - first) * 0.05, pd.Timedelta(days=15))
        if end - last > margin * 2:
            xaxis["range"] = [first - margin, last + margin]
        annotations.append(dict(
            xref="paper", yref="paper", x=1, y=1.02, xanchor="right", yanchor="bottom", showarrow=False,
            text=_inert(_("Dotted: the last reading carried forward to {as_of}",
                          as_of=format_date(end.date())))))
    return _figure(traces, title, 420 if group is None else 520, showlegend=group is not None or plan is not None,
                   legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
                   annotations=annotations,
                   yaxis=dict(title=unit, rangemode="tozero", separatethousands=True, gridcolor=GRID,
                              # headroom for the target's label above its point, under the note over the chart
                              range=None if plan is None else [0, max(series["value"].max(), plan[3], 1) * 1.15]),
                   xaxis=xaxis)


def comparison_rates_figure(comparison: pd.DataFrame) -> go.Figure:
    """Conversion rates side by side: funded per idea, launched per funded, funded still alive; one colour and
    one pattern per programme, every bar labelled with its percentage."""
    measures = [("funded_per_idea", _("Funded per idea")), ("launched_per_funded", _("Launched per funded")),
                ("alive_share", _("Funded still alive"))]
    traces = []
    for i, row in enumerate(comparison.itertuples()):
        shares = [getattr(row, column) for column, _label in measures]
        traces.append(dict(
            type="bar", x=[s * 100 if not pd.isna(s) else None for s in shares], y=[label for _c, label in measures],
            orientation="h", name=_inert(row.programme), cliponaxis=False, textposition="outside",
            text=["–" if pd.isna(s) else format_percent(s) for s in shares],
            marker=dict(color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                        pattern_shape=["", "/", ".", "x", "-"][i % 5]),
            hovertemplate=_inert(row.programme) + "<br>%{y}: %{text}<extra></extra>",
        ))
    before, after = percent_affixes()
    return _figure(traces, _("Conversion rates"), 220 + 70 * len(comparison), barmode="group", legend=LEGEND_ON_TOP,
                   yaxis=dict(autorange="reversed", ticksuffix="  "),
                   xaxis=dict(range=[0, 115], tickprefix=before, ticksuffix=after, title=_("Share of the stage before"),
                              gridcolor=GRID))


def launch_time_figure(lifetimes: pd.DataFrame) -> go.Figure:
    """How many funded projects launched within 1, 2, 3 ... months of their funding."""
    days = lifetimes["days_to_launch"].dropna().astype(int)
    months = (days // DAYS_PER_MONTH + 1).astype(int).value_counts().sort_index()  # month 1: days 0 to 30.4
    months = months.reindex(range(1, int(months.index.max()) + 1), fill_value=0) if len(months) else months
    bars = dict(
        type="bar", x=[str(m) for m in months.index], y=months.values, text=[format_number(n) for n in months.values],
        textposition="outside", cliponaxis=False, marker_color=GREEN,
        hovertemplate=_("Launched in month {month} after funding", month="%{x}") + ": %{y}<extra></extra>",
    )
    most = int(months.max()) if len(months) else 1
    return _figure([bars], _("Time from funding to launch"), 380,
                   xaxis=dict(title=_("Months from funding to launch"), type="category"),
                   yaxis=dict(title=_("Projects"), gridcolor=GRID, rangemode="tozero", tick0=0,
                              dtick=max(1, math.ceil(most / 6))))  # whole projects only


def survival_figure(curve: pd.DataFrame) -> go.Figure:
    """Kaplan-Meier: the share of funded projects still alive N months after funding; + marks a project still
    running (censored)."""
    censored = curve[curve["censored"] > 0]
    before, after = percent_affixes()
    traces = [
        dict(type="scatter", x=curve["months"], y=curve["alive_share"] * 100, mode="lines", line_shape="hv",
             name=_("Still alive"), line=dict(color=BLUE, width=3),
             hovertemplate=_("{months} months", months="%{x:.1f}") + f": {before}%{{y:.1f}}{after}<extra></extra>"),
        dict(type="scatter", x=censored["months"], y=censored["alive_share"] * 100, mode="markers",
             name=_("Still running (censored)"), hoverinfo="skip",
             marker=dict(symbol="cross-thin", size=12, line=dict(width=2, color=GREY))),
    ]
    return _figure(traces, _("Survival after funding (Kaplan-Meier)"), 420, legend=LEGEND_ON_TOP,
                   xaxis=dict(title=_("Months after funding"), rangemode="tozero", gridcolor=GRID),
                   yaxis=dict(title=_("Funded projects still alive"), range=[0, 105], tickprefix=before,
                              ticksuffix=after, gridcolor=GRID))
