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
from impact.i18n import _, format_date, format_number, format_percent, language, ngettext, set_language
from impact.store.models import Project, ProjectNote, ReachReading, StatusEvent
from impact.store.portfolio import portfolio
from impact.store.queries import (
    ProgrammeInfo,
    funded_outcomes_at,
    funnel_at,
    metrics,
    no_challenge,
    reach_by,
    reach_latest,
    reach_totals,
)

TOP = 5
PDF_TIMEOUT_S = 120
TEMPLATES = Environment(loader=PackageLoader("impact.formats", "templates"), autoescape=True, trim_blocks=True,
                        lstrip_blocks=True)


class ReportError(RuntimeError):
    """The report could not be made; the message says what to do."""


@dataclass(frozen=True)
class Table:
    """A table of the report: cells are text (escaped by the template); `numeric` columns align right."""

    header: list[str]
    rows: list[list[object]]
    numeric: tuple[int, ...] = ()


class Charts:
    """The report's plotly charts as HTML: the first carries plotly.js itself, so that the file works offline."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, figure) -> Markup:
        figure.update_layout(width=900)
        self.count += 1
        return Markup(figure.to_html(full_html=False, include_plotlyjs=self.count == 1,  # plotly's own markup
                                     config={"displayModeBar": False, "staticPlot": True}))


def report_html(engine: Engine, actor: Actor, programme: ProgrammeInfo, as_of: dt.date) -> str:
    """The whole report as one HTML document; NotAllowed for anyone but staff and the programme's funders."""
    check_may_read_report(actor, programme.id, programme.public)
    chart = Charts()
    funnel = funnel_at(engine, programme, as_of)
    outcomes = funded_outcomes_at(engine, programme.id, as_of)
    statuses = outcomes.groupby("status", sort=False, as_index=False)["projects"].sum()
    notice = (_("Demo data, partly illustrative.") + " " + programme.illustrative_note
              if programme.illustrative_note or programme.illustrative_project_count else "")
    return TEMPLATES.get_template("report.html").render(
        lang=language(), programme=programme.name, notice=notice,
        title=_("{programme}: impact report as of {as_of}", programme=programme.name, as_of=format_date(as_of)),
        subtitle=_("Impact report as of {as_of}", as_of=format_date(as_of)),
        funnel={"heading": _("From ideas to launches"), "summary": charts.flow_summary(funnel, outcomes),
                "chart": chart(charts.outcome_flow_figure(funnel, outcomes)),
                "table": Table([_("Stage"), _("Count"), _("Share of the stage before"), _("Source")],
                               [[_(r.label), format_number(r.projects),
                                 "" if pd.isna(r.share_of_previous) else format_percent(r.share_of_previous),
                                 _(r.source)] for r in funnel.itertuples()], numeric=(1, 2))},
        statuses={"heading": _("What became of the funded projects"), "chart": chart(charts.status_figure(statuses)),
                  "table": Table([_("Status"), _("Projects")],
                                 [[status_label(r.status), format_number(r.projects)]
                                  for r in statuses.itertuples()], numeric=(1,))},
        reach=_reach(engine, programme, as_of, chart),
        launches=_launches(engine, programme, as_of),
        methodology=_methodology(engine, programme, as_of))


def report_html_in(language_code: str, engine: Engine, actor: Actor, programme: ProgrammeInfo,
                   as_of: dt.date) -> str:
    """report_html in this language: a download button makes its file in another thread, where the page's language
    is not set."""
    set_language(language_code)
    return report_html(engine, actor, programme, as_of)


def report_pdf(document: str, chromium: str | None = None) -> bytes:
    """The HTML report printed to PDF by headless Chromium (CHROMIUM, else `chromium` on the PATH)."""
    browser = chromium or os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise ReportError(_("Making a PDF needs Chromium: install it (apt-get install -y chromium) or set CHROMIUM to "
                            "its path. The HTML report needs nothing."))
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


def _reach(engine: Engine, programme: ProgrammeInfo, as_of: dt.date, chart: Charts) -> dict:
    latest = reach_latest(engine, programme.id, as_of)
    if latest.empty:
        return {"heading": _("Reach"), "empty": _("No reach figures were recorded by {as_of}.",
                                                   as_of=format_date(as_of))}
    known = metrics(engine, programme.id).set_index("slug")
    totals = reach_totals(engine, programme.id, as_of)
    per_metric = []
    for metric in latest["metric"]:
        label, unit = known.loc[metric, "label"], known.loc[metric, "unit"]
        top = reach_by(engine, programme.id, as_of, metric, "project", TOP).groupby("group", sort=False)["value"].last()
        per_metric.append({
            "chart": chart(charts.reach_figure(totals[totals["metric"] == metric],
                                               _("{metric}: programme total", metric=label), unit)),
            "heading": _("Top projects by {metric}", metric=label),
            "top": Table([_("Project"), label], [[name, format_number(value)] for name, value in top.items()],
                         numeric=(1,))})
    return {"heading": _("Reach"), "metrics": per_metric,
            "explained": _("Cumulative totals: each project counts with its latest reading on or before the date; "
                           "metrics are never added together."),
            "table": Table([_("Metric"), _("Total"), _("Projects reporting")],
                           [[known.loc[r.metric, "label"], format_number(r.value), format_number(r.projects)]
                            for r in latest.itertuples()], numeric=(1, 2))}


def _launches(engine: Engine, programme: ProgrammeInfo, as_of: dt.date) -> dict:
    table = portfolio(engine, [programme.id], as_of)
    launched = table[table["status"] == Status.LAUNCHED].sort_values("status_since", ascending=False).head(TOP * 2)
    if launched.empty:
        return {"heading": _("Recent launches"), "empty": _("No project was live on {as_of}.",
                                                             as_of=format_date(as_of))}
    return {"heading": _("Recent launches"),
            "table": Table([_("Project"), _("Challenge"), _("Live since")],
                           [[r.project, no_challenge(r.challenge), format_date(r.status_since)]
                            for r in launched.itertuples()])}


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
