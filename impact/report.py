"""The funder report: one programme as of a date, as a self-contained HTML file (plotly embedded, works offline)
and as a PDF printed from that file by a headless Chromium.

It holds the funnel, the status of the funded projects, reach over time per metric, highlights (top projects by
reach, recent launches) and a methodology section naming the sources and what is illustrative or not counted.
Everything comes from the same queries as the pages (approved figures only); every text from the data is escaped.
It is made for staff and for funders who may read the programme (impact.access.check_may_read_report).
"""
from __future__ import annotations

import datetime as dt
import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

from impact import charts
from impact.access import Actor, check_may_read_report
from impact.i18n import _, format_date, format_number, format_percent, language, set_language
from impact.lifecycle import ReviewState, Status
from impact.models import ProjectNote, ReachReading, StatusEvent, Project
from impact.portfolio import portfolio
from impact.queries import ProgrammeInfo, no_challenge, funded_status_at, funnel_at, metrics, reach_by, reach_latest, reach_totals

TOP = 5
PDF_TIMEOUT_S = 120
STYLE = """
body { font-family: "Liberation Sans", Arial, sans-serif; color: #1f2328; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; } th, td { border-bottom: 1px solid #d0d7de;
        padding: 0.3rem 0.8rem; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.notice { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.6rem 1rem; border-radius: 6px; }
.chart { break-inside: avoid; } h2 { break-after: avoid; margin-top: 2rem; }
@media print { body { margin: 0 auto; } }
"""


class ReportError(RuntimeError):
    """The report could not be made; the message says what to do."""


def report_html(engine: Engine, actor: Actor, programme: ProgrammeInfo, as_of: dt.date) -> str:
    """The whole report as one HTML document; NotAllowed for anyone but staff and the programme's funders."""
    check_may_read_report(actor, programme.id, programme.public)
    parts = [_tag("h1", programme.name),
             _tag("p class='subtitle'", _("Impact report as of {as_of}", as_of=format_date(as_of)))]
    if programme.illustrative_note or programme.illustrative_project_count:
        parts.append(_tag("p class='notice'", _("Demo data, partly illustrative.") + " " + programme.illustrative_note))
    charts_html: list[str] = []

    funnel = funnel_at(engine, programme, as_of)
    parts.append(_tag("h2", _("From ideas to launches")))
    parts.append(_table([_("Stage"), _("Count"), _("Share of the stage before"), _("Source")],
                        [[_(r.label), format_number(r.projects),
                          "" if pd.isna(r.share_of_previous) else format_percent(r.share_of_previous), _(r.source)]
                         for r in funnel.itertuples()], numeric=(1, 2)))
    parts.append(_chart(charts.funnel_figure(funnel), charts_html))

    statuses = funded_status_at(engine, programme.id, as_of)
    parts.append(_tag("h2", _("What became of the funded projects")))
    parts.append(_table([_("Status"), _("Projects")],
                        [[charts.status_label(r.status), format_number(r.projects)] for r in statuses.itertuples()],
                        numeric=(1,)))
    parts.append(_chart(charts.status_figure(statuses), charts_html))

    parts += _reach(engine, programme, as_of, charts_html)
    parts += _launches(engine, programme, as_of)
    parts += _methodology(engine, programme, as_of)
    title = _e(_("{programme}: impact report as of {as_of}", programme=programme.name, as_of=format_date(as_of)))
    return (f"<!DOCTYPE html><html lang='{language()}'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


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


def _reach(engine: Engine, programme: ProgrammeInfo, as_of: dt.date, charts_html: list[str]) -> list[str]:
    latest = reach_latest(engine, programme.id, as_of)
    parts = [_tag("h2", _("Reach"))]
    if latest.empty:
        return parts + [_tag("p", _("No reach figures were recorded by {as_of}.", as_of=format_date(as_of)))]
    known = metrics(engine, programme.id).set_index("slug")
    explained = _("Cumulative totals: each project counts with its latest reading on or before the date; metrics "
                  "are never added together.")
    parts.append(_tag("p", explained))
    parts.append(_table([_("Metric"), _("Total"), _("Projects reporting")],
                        [[known.loc[r.metric, "label"], format_number(r.value), format_number(r.projects)]
                         for r in latest.itertuples()], numeric=(1, 2)))
    totals = reach_totals(engine, programme.id, as_of)
    for metric in latest["metric"]:
        label, unit = known.loc[metric, "label"], known.loc[metric, "unit"]
        parts.append(_chart(charts.reach_figure(totals[totals["metric"] == metric],
                                                _("{metric}: programme total", metric=label), unit), charts_html))
        top = reach_by(engine, programme.id, as_of, metric, "project", TOP).groupby("group", sort=False)["value"].last()
        parts.append(_tag("h3", _("Top projects by {metric}", metric=label)))
        parts.append(_table([_("Project"), label], [[name, format_number(value)] for name, value in top.items()],
                            numeric=(1,)))
    return parts


def _launches(engine: Engine, programme: ProgrammeInfo, as_of: dt.date) -> list[str]:
    table = portfolio(engine, [programme.id], as_of)
    launched = table[table["status"] == Status.LAUNCHED].sort_values("status_since", ascending=False).head(TOP * 2)
    parts = [_tag("h2", _("Recent launches"))]
    if launched.empty:
        return parts + [_tag("p", _("No project was live on {as_of}.", as_of=format_date(as_of)))]
    return parts + [_table([_("Project"), _("Challenge"), _("Live since")],
                           [[r.project, no_challenge(r.challenge), format_date(r.status_since)]
                            for r in launched.itertuples()])]


def _methodology(engine: Engine, programme: ProgrammeInfo, as_of: dt.date) -> list[str]:
    with engine.connect() as conn:
        pending = sum(conn.scalar(select(func.count()).select_from(model).join(Project).where(
            Project.programme_id == programme.id, model.review_state == ReviewState.PENDING))
            for model in (StatusEvent, ReachReading, ProjectNote))
    rules = [
        _("Counts come from each project's status history: funded counts every project that had reached funded or "
          "a later stage by the date, launched every project that had launched, even if it stopped later."),
        _("Only figures reviewed and approved by programme staff count. {n} entries waiting for review on the day "
          "this report was made are not included.", n=format_number(pending)),
        _("Reach figures are running totals reported by the teams, with their evidence where given."),
    ]
    if programme.illustrative_project_count:
        rules.append(_("{n} of {total} project records are illustrative (invented for demonstration): {note}",
                       n=format_number(programme.illustrative_project_count),
                       total=format_number(programme.project_count), note=programme.illustrative_note))
    parts = [_tag("h2", _("Methodology and sources")), "<ul>", *(_tag("li", rule) for rule in rules), "</ul>"]
    if programme.figures:
        parts.append(_table([_("Figure"), _("Value"), _("Source"), _("Note")],
                            [[f.label, format_number(f.value), f.source, f.note] for f in programme.figures],
                            numeric=(1,)))
    made = _("Made on {today} by the hackathon impact dashboard.", today=format_date(dt.date.today()))
    parts.append(_tag("p class='subtitle'", made))
    return parts


# --- html -------------------------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _tag(opening: str, text: object) -> str:
    """An element holding text, escaped: _tag("h2", "Reach") is <h2>Reach</h2>."""
    return f"<{opening}>{_e(text)}</{opening.split()[0]}>"


def _table(header: list[str], rows: list[list[object]], numeric: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td class='n'>{_e(c)}</td>" if i in numeric else f"<td>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _chart(figure, charts_html: list[str]) -> str:
    """A plotly figure as HTML; the first one carries plotly.js itself, so that the file works offline."""
    figure.update_layout(width=900)
    first = not charts_html
    chart = figure.to_html(full_html=False, include_plotlyjs=first, config={"displayModeBar": False,
                                                                          "staticPlot": True})
    charts_html.append(chart)
    return f"<div class='chart'>{chart}</div>"
