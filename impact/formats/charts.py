"""Figures: pure functions from the DataFrames of `impact.store.queries` to plotly Figures. No database, no Streamlit.

Counts that differ by three orders of magnitude (28,000 participants, 30 launched) are drawn on logarithmic
axes and every mark carries its number as text, so that no stage is an invisible sliver.
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


# A stage's conversion, said of the stage before it (one sentence each: languages inflect the stage's name).
SHARE_OF = {"participants": N_("{share} of participants"), "ideas_submitted": N_("{share} of ideas submitted"),
            "funded": N_("{share} of funded")}


def funnel_figure(funnel: pd.DataFrame) -> go.Figure:
    """Horizontal bars, first stage on top, on a log axis; each labelled with its count and conversion."""
    labels = [_inert(_(label)) for label in funnel["label"]]
    texts = []
    for row, previous in zip(funnel.itertuples(), [None, *funnel["stage"][:-1]]):
        text = format_number(row.projects)
        if previous in SHARE_OF and not pd.isna(row.share_of_previous):
            text += "<br>" + _(SHARE_OF[previous], share=format_percent(row.share_of_previous))
        texts.append(text)
    # A bar of 0 cannot be drawn on a log axis; its label still says 0.
    lengths = funnel["projects"].where(funnel["projects"] > 0)
    bars = dict(type="bar", x=lengths, y=labels, orientation="h", text=texts, textposition="outside",
                cliponaxis=False, marker_color=[BLUE, SKY, ORANGE, GREEN][: len(funnel)],
                hovertemplate="%{y}: %{text}<extra></extra>")
    zeros = [dict(x=0, y=label, text="0", showarrow=False, xanchor="left")
             for label, count in zip(labels, funnel["projects"]) if count == 0]
    return _figure([bars], _("Funnel"), 340, annotations=zeros,
                   yaxis=dict(autorange="reversed", ticksuffix="  "),
                   xaxis=dict(type="log", range=_log_range(funnel["projects"]), dtick=1, tickformat=",d",
                              title=_("Count (logarithmic scale)"), gridcolor=GRID))


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


def reach_figure(series: pd.DataFrame, title: str, unit: str, group: str | None = None) -> go.Figure:
    """Cumulative reach as steps (a reading holds until the next), one line per group if `group` is given.

    `series` has as_of, value and reading (False on the carried-forward end point), as `impact.store.queries` gives.
    """
    traces = []
    groups = [(None, series)] if group is None else list(series.groupby(group, sort=False))
    for i, (name, part) in enumerate(groups):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        name = _inert(name) if name else None
        hover = (f"{name}<br>" if name else "") + "%{x|" + plotly_date_format() + "}: %{y:,} " + _inert(unit) + \
            "<extra></extra>"
        traces.append(dict(type="scatter", x=part["as_of"], y=part["value"], mode="lines", line_shape="hv",
                           name=name or title, legendgroup=name, line=dict(color=colour, width=3),
                           hovertemplate=hover))
        readings = part[part["reading"]]  # a dot where a reading was made, none on the carried-forward end
        if len(readings) > MAX_DOTS:
            continue  # dots would blur into a thick line
        traces.append(dict(type="scatter", x=readings["as_of"], y=readings["value"], mode="markers",
                           legendgroup=name, showlegend=False, marker=dict(color=colour, size=7),
                           hovertemplate=hover))
    return _figure(traces, title, 420 if group is None else 520, showlegend=group is not None,
                   legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
                   yaxis=dict(title=unit, rangemode="tozero", separatethousands=True, gridcolor=GRID),
                   xaxis=dict(title=None, tickformat=plotly_date_format(), gridcolor=GRID))


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
