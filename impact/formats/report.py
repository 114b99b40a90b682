"""The funder report: one programme as of a date, as a self-contained HTML file (plotly embedded, works offline)
and as a PDF printed from that file by a headless Chromium.

It holds the funnel, the status of the funded projects, reach over time per metric, highlights (top projects by
reach, recent launches) and a methodology section naming the sources and what is illustrative or not counted.
Everything comes from the same queries as the pages (approved figures only), laid out by the Jinja2 template
impact/formats/templates/report.html, which escapes every text.
It is made for staff and for funders who may read the programme (impact.domain.access.check_may_read_report).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from sqlalchemy import Engine, func, select

from impact.domain.access import Actor, check_may_read_report
from impact.domain.lifecycle import ReviewState, Status, status_label
from impact.formats import charts
from impact.formats.plans import chart_plan, share_text, state_word
from impact.i18n import (
    _,
    format_date,
    format_money,
    format_number,
    format_percent,
    language,
    ngettext,
    set_language,
)
from impact.store.models import Project, ProjectNote, ReachReading, StatusEvent
from impact.store.portfolio import portfolio
from impact.store.queries import (
    ProgrammeInfo,
    cost_per_reach_at,
    discontinued_between,
    funded_outcomes_at,
    funding_at,
    funnel_at,
    latest_reach,
    launched_between,
    metrics,
    no_challenge,
    reach_by,
    reach_latest,
    reach_reporting,
    reach_totals,
)
from impact.store.targets import programme_progress, programme_target_progress

TOP = 5
PDF_TIMEOUT_S = 120
TEMPLATES = Environment(loader=PackageLoader("impact.formats", "templates"), autoescape=True, trim_blocks=True,
                        lstrip_blocks=True)


class ReportError(RuntimeError):
    """The report could not be made; the message says what to do."""


@dataclass(frozen=True)
class Table:
    """A table of the report: cells are text (escaped by the template). `numeric` columns align right; neither
    they nor the `whole` columns (dates, states) break a cell across lines, so the text columns wrap instead."""

    header: list[str]
    rows: list[list[object]]
    numeric: tuple[int, ...] = ()
    whole: tuple[int, ...] = ()


PRINTED_AXIS_MARGIN = 90  # px: "600,000" and the axis title beside it


class Charts:
    """The report's plotly charts as HTML: the first carries plotly.js itself, so that the file works offline."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, figure) -> Markup:
        figure.update_layout(width=660)  # the printed page's width (A4 or Letter, less the margins)
        if any(trace.type in ("scatter", "bar") for trace in figure.data):
            # Room for the value axis's labels and title from the start: plotly widens the margin for them only in
            # a second drawing, which a busy machine's Chromium may print before (labels cut at the page's edge).
            figure.update_layout(margin_l=max(figure.layout.margin.l or 0, PRINTED_AXIS_MARGIN))
        self.count += 1
        return Markup(figure.to_html(full_html=False, include_plotlyjs=self.count == 1,  # plotly's own markup
                                     config={"displayModeBar": False, "staticPlot": True}))


PAPERS = ("A4", "Letter")


def default_since(as_of: dt.date) -> dt.date:
    """The earlier date "what changed" is measured from, unless one is picked: three months before."""
    return as_of - dt.timedelta(days=91)


def report_html(engine: Engine, actor: Actor, programme: ProgrammeInfo, as_of: dt.date,
                since: dt.date | None = None, paper: str = "A4") -> str:
    """The whole report as one HTML document, for printing on `paper` (A4 or Letter), with what changed between
    `since` (default: three months before) and `as_of`; NotAllowed for anyone but staff and the programme's
    funders."""
    check_may_read_report(actor, programme.id, programme.public)
    since = default_since(as_of) if since is None or since >= as_of else since
    chart = Charts()
    funnel = funnel_at(engine, programme, as_of)
    outcomes = funded_outcomes_at(engine, programme.id, as_of)
    statuses = outcomes.groupby("status", sort=False, as_index=False)["projects"].sum()
    # Read once for the summary and the reach section: the metrics, and reach over time with its end (as the pages).
    known = metrics(engine, programme.id).set_index("slug")
    totals = reach_totals(engine, programme.id, as_of)
    latest = latest_reach(totals, reach_reporting(engine, programme.id, as_of))
    overall = programme_target_progress(engine, programme, as_of)  # the programme's targets: its charts and plan
    notice = (_("Demo data, partly illustrative.") + " " + programme.illustrative_note
              if programme.illustrative_note or programme.illustrative_project_count else "")
    return TEMPLATES.get_template("report.html").render(
        lang=language(), programme=programme.name, notice=notice, paper=paper if paper in PAPERS else "A4",
        summary=_summary(engine, programme, as_of, since, funnel, outcomes, known, latest),
        title=_("{programme}: impact report as of {as_of}", programme=programme.name, as_of=format_date(as_of)),
        subtitle=_("Impact report as of {as_of}", as_of=format_date(as_of)),
        funnel={"heading": _("From ideas to launches"), "summary": charts.flow_summary(funnel, outcomes),
                # Narrower than on screen: smaller labels, so that the last two columns' labels stay apart.
                "chart": chart(charts.outcome_flow_figure(funnel, outcomes).update_traces(textfont_size=11)
                               .update_layout(height=520)),
                "table": Table([_("Stage"), _("Count"), _("Share of the stage before"), _("Source")],
                               [[_(r.label), format_number(r.projects),
                                 "" if pd.isna(r.share_of_previous) else format_percent(r.share_of_previous),
                                 _(r.source)] for r in funnel.itertuples()], numeric=(1, 2))},
        statuses={"heading": _("What became of the funded projects"), "chart": chart(charts.status_figure(statuses)),
                  "table": Table([_("Status"), _("Projects")],
                                 [[status_label(r.status), format_number(r.projects)]
                                  for r in statuses.itertuples()], numeric=(1,))},
        reach=_reach(engine, programme, as_of, chart, known, totals, latest, overall),
        plan=_plan(engine, programme, as_of, overall),
        launches=_launches(engine, programme, as_of),
        methodology=_methodology(engine, programme, as_of))


def report_html_in(language_code: str, engine: Engine, actor: Actor, programme: ProgrammeInfo,
                   as_of: dt.date, since: dt.date | None = None, paper: str = "A4") -> str:
    """report_html in this language: a download button makes its file in another thread, where the page's language
    is not set."""
    set_language(language_code)
    return report_html(engine, actor, programme, as_of, since, paper)


# Where CHROMIUM is not set, the first of these on the PATH prints the PDF. Debian's headless shell (the same Blink
# without the desktop browser around it) prints the same pages for less processor time than the full browser.
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser")


def find_chromium() -> str | None:
    """The Chromium that prints the PDF: CHROMIUM, else the first of CHROMIUM_NAMES on the PATH; None without one."""
    return os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def report_pdf(document: str, chromium: str | None = None) -> bytes:
    """The HTML report printed to PDF by headless Chromium (`chromium`, else `find_chromium`)."""
    browser = chromium or find_chromium()
    if not browser:
        raise ReportError(_("Making a PDF needs Chromium: install it (apt-get install -y chromium-headless-shell) "
                            "or set CHROMIUM to its path. The HTML report needs nothing."))
    with tempfile.TemporaryDirectory() as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(document, encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000",
                   f"--user-data-dir={Path(folder) / 'profile'}", f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(_("Chromium could not print the report ({reason}).", reason=exc)) from None
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise ReportError(_("Chromium printed no PDF; check that {browser} runs headless.", browser=browser))
        return pdf.read_bytes()


# --- sections -----------------------------------------------------------------------------------------------


def _summary(engine: Engine, programme: ProgrammeInfo, as_of: dt.date, since: dt.date, funnel: pd.DataFrame,
             outcomes: pd.DataFrame, known: pd.DataFrame, latest: pd.DataFrame) -> dict:
    """The first page: the funnel in one sentence, reach, money, what changed since `since`, highlights."""
    now = latest.set_index("metric")
    before = reach_latest(engine, programme.id, since).set_index("metric")["value"]
    reach = [_("{metric}: {total}, {projects}; {gained} since {since}.", metric=known.loc[metric, "label"],
               total=format_number(row.value), since=format_date(since),
               projects=ngettext("{n} project reporting", "{n} projects reporting", row.projects),
               gained=_signed(row.value - int(before.get(metric, 0))))
             for metric, row in now.iterrows()]
    money = [ngettext("{amount} of funding stated for {n} funded project.",
                      "{amount} of funding stated for {n} funded projects.", row.projects,
                      amount=format_money(row.amount, row.currency))
             for row in funding_at(engine, programme.id, as_of).itertuples()]
    money += [ngettext("{metric}: {cost} of funding per unit ({reach} {unit} reached by the {n} funded project that "
                       "states an amount).",
                       "{metric}: {cost} of funding per unit ({reach} {unit} reached by the {n} funded projects that "
                       "state an amount).", row.projects, metric=known.loc[row.metric, "label"],
                       cost=format_money(row.cost, row.currency, 2), reach=format_number(row.reach),
                       unit=known.loc[row.metric, "unit"])
              for row in cost_per_reach_at(engine, programme.id, as_of).itertuples() if not pd.isna(row.cost)]
    launched = launched_between(engine, programme.id, since, as_of)
    stopped = discontinued_between(engine, programme.id, since, as_of)
    earlier = funnel_at(engine, programme, since)
    then = dict(zip(earlier["stage"], earlier["projects"]))
    funded_now = int(funnel.set_index("stage").loc["funded", "projects"])
    changes = [ngettext("{n} project newly funded", "{n} projects newly funded", funded_now - int(then["funded"])),
               ngettext("{n} new launch", "{n} new launches", len(launched)),
               ngettext("{n} project discontinued", "{n} projects discontinued", len(stopped))]
    highlights = [{"project": r.project, "challenge": no_challenge(r.challenge), "summary": r.summary,
                   "when": _("Live since {day}", day=format_date(r.launched_on))}
                  for r in launched.head(3).itertuples()]
    return {"heading": _("Summary"), "funnel": charts.flow_summary(funnel, outcomes), "reach": reach,
            "reach_heading": _("Reach"), "money_heading": _("Funding"), "money": money,
            "changes_heading": _("What changed since {since}", since=format_date(since)),
            "changes": changes, "highlights_heading": _("Highlights: recent launches"), "highlights": highlights,
            "no_highlights": _("No project launched between {since} and {as_of}.", since=format_date(since),
                               as_of=format_date(as_of))}


def _signed(change: int) -> str:
    return ("+" if change > 0 else "") + format_number(change)


def _reach(engine: Engine, programme: ProgrammeInfo, as_of: dt.date, chart: Charts, known: pd.DataFrame,
           totals: pd.DataFrame, latest: pd.DataFrame, overall: pd.DataFrame) -> dict:
    """Each metric's programme total as a chart (with the programme's target for it, as the Reach page draws it)
    and its top projects."""
    if latest.empty:
        return {"heading": _("Reach"), "empty": _("No reach figures were recorded by {as_of}.",
                                                   as_of=format_date(as_of))}
    per_metric = []
    for metric in latest["metric"]:
        label, unit = known.loc[metric, "label"], known.loc[metric, "unit"]
        top = reach_by(engine, programme.id, as_of, metric, "project", TOP).groupby("group", sort=False)["value"].last()
        per_metric.append({
            # The legend (the total and its target) goes below the dates, which a printed page's width tilts.
            "chart": chart(charts.reach_figure(totals[totals["metric"] == metric],
                                               _("{metric}: programme total", metric=label), unit,
                                               plan=chart_plan(overall, metric))
                           .update_layout(legend=dict(orientation="h", yanchor="top", y=-0.3, x=0))),
            "heading": _("Top projects by {metric}", metric=label),
            "top": Table([_("Project"), label], [[name, format_number(value)] for name, value in top.items()],
                         numeric=(1,))})
    return {"heading": _("Reach"), "metrics": per_metric,
            "explained": _("Cumulative totals: each project counts with its latest reading on or before the date; "
                           "metrics are never added together."),
            "table": Table([_("Metric"), _("Total"), _("Projects reporting")],
                           [[known.loc[r.metric, "label"], format_number(r.value), format_number(r.projects)]
                            for r in latest.itertuples()], numeric=(1, 2))}


def _plan(engine: Engine, programme: ProgrammeInfo, as_of: dt.date, overall: pd.DataFrame) -> dict:
    """The programme's own targets (its reach, its funnel: `overall`, programme_target_progress's frame), then each
    project's figure against its next target: met, on track and behind."""
    progress = programme_progress(engine, programme.id, as_of)
    plan: dict = {"heading": _("Plan against actual"),
                  "explained": _("On track: the figure is at least the straight line from the target's baseline to "
                                 "its value on its due date. % of target: the figure over the next target's value.")}
    if overall.empty and progress.empty:
        return plan | {"empty": _("Neither the programme nor any project had a target on {as_of}.",
                                  as_of=format_date(as_of))}
    if not overall.empty:
        plan["programme"] = Table(
            [_("Programme target"), _("Figure"), _("Target"), _("By"), _("% of target"), _("State")],
            [[r.label, format_number(r.actual), format_number(r.target), format_date(r.due_on), share_text(r.share),
              state_word(r.state)] for r in overall.itertuples()], numeric=(1, 2, 4), whole=(3, 5))
    if progress.empty:
        return plan | {"summary": _("No project had a target on {as_of}.", as_of=format_date(as_of))}
    counts = progress["state"].value_counts()
    return plan | {
        "summary": _("Projects: {met}, {on_track}, {behind}.",
                     met=ngettext("{n} target met", "{n} targets met", int(counts.get("met", 0))),
                     on_track=ngettext("{n} on track", "{n} on track", int(counts.get("on_track", 0))),
                     behind=ngettext("{n} behind", "{n} behind", int(counts.get("behind", 0)))),
        "table": Table([_("Project"), _("Metric"), _("Figure"), _("Target"), _("By"), _("% of target"), _("State")],
                       [[r.project, r.label, format_number(r.actual), format_number(r.target), format_date(r.due_on),
                         share_text(r.share), state_word(r.state)] for r in progress.itertuples()],
                       numeric=(2, 3, 5), whole=(4, 6))}


def _launches(engine: Engine, programme: ProgrammeInfo, as_of: dt.date) -> dict:
    table = portfolio(engine, [programme.id], as_of)
    launched = table[table["status"] == Status.LAUNCHED].sort_values("status_since", ascending=False).head(TOP * 2)
    if launched.empty:
        return {"heading": _("Recent launches"), "empty": _("No project was live on {as_of}.",
                                                             as_of=format_date(as_of))}
    return {"heading": _("Recent launches"),
            "table": Table([_("Project"), _("Challenge"), _("Live since")],
                           [[r.project, no_challenge(r.challenge), format_date(r.status_since)]
                            for r in launched.itertuples()], whole=(2,))}


def _methodology(engine: Engine, programme: ProgrammeInfo, as_of: dt.date) -> dict:
    with engine.connect() as conn:
        pending = sum(conn.scalar(select(func.count()).select_from(model).join(Project).where(
            Project.programme_id == programme.id, model.review_state == ReviewState.PENDING))
            for model in (StatusEvent, ReachReading, ProjectNote))
    rules = [
        _("Counts come from each project's status history: funded counts every project that had reached funded or "
          "a later stage by the date, launched every project that had launched, even if it stopped later."),
        ngettext("Only figures reviewed and approved by programme staff count. {n} entry waiting for review on the "
                 "day this report was made is not included.", "Only figures reviewed and approved by programme staff "
                 "count. {n} entries waiting for review on the day this report was made are not included.", pending),
        _("Reach figures are running totals reported by the teams, with their evidence where given."),
    ]
    if programme.illustrative_project_count:
        rules.append(ngettext("{n} of {total} project records is illustrative (invented for demonstration): {note}",
                              "{n} of {total} project records are illustrative (invented for demonstration): {note}",
                              programme.illustrative_project_count, total=format_number(programme.project_count),
                              note=programme.illustrative_note))
    figures = Table([_("Figure"), _("Value"), _("Source"), _("Note")],
                    [[f.label, format_number(f.value), f.source, f.note] for f in programme.figures],
                    numeric=(1,)) if programme.figures else None
    return {"heading": _("Methodology and sources"), "rules": rules, "figures": figures,
            "made": _("Made on {today} by the hackathon impact dashboard.", today=format_date(dt.date.today()))}
