"""Reads of the plan: a project's targets against its figures, a programme's targets against its totals (its reach
per metric, its funnel), and the milestones (the rules are impact.domain.targets')."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select

from impact.domain.entries import counting
from impact.domain.lifecycle import ReviewState
from impact.domain.targets import Target as Plan
from impact.domain.targets import progress, state
from impact.i18n import N_, _
from impact.store.db import read_frame
from impact.store.models import FUNNEL_MEASURES, Metric, Milestone, ProgrammeTarget, Project, ReachReading, Target
from impact.store.queries import ProgrammeInfo, funnel_at, metrics, reach_totals

PROGRESS_COLUMNS = ["metric", "label", "unit", "actual", "target", "due_on", "baseline_on", "baseline_value",
                    "share", "expected", "on_track"]


def _project_plans(engine: Engine, *where) -> dict[int, dict[str, list[Plan]]]:
    """Every approved target entry of the projects `where` selects, by project and metric slug, in one query (which
    one stands when is the domain's rule)."""
    t = Target
    stmt = (select(t.project_id, Metric.slug, t.due_on, t.value, t.baseline_on, t.baseline_value, t.set_on,
                   t.recorded_at, t.id)
            .join(Metric, Metric.id == t.metric_id)
            .where(t.review_state == ReviewState.APPROVED, *where)
            .order_by(t.project_id, Metric.id))
    plans: dict[int, dict[str, list[Plan]]] = {}
    with engine.connect() as conn:
        for project_id, slug, due_on, value, baseline_on, baseline_value, set_on, recorded_at, entry_id in \
                conn.execute(stmt):
            plans.setdefault(project_id, {}).setdefault(slug, []).append(
                Plan(due_on, int(value), baseline_on, int(baseline_value), set_on, (recorded_at, entry_id)))
    return plans


def _project_figures(engine: Engine, as_of: dt.date, *where) -> dict[tuple[int, str], int]:
    """Each project's figure per metric slug at `as_of` (the latest counting reading, as the sum of its stored
    increments), for the projects `where` selects, in one query."""
    r = ReachReading
    stmt = (select(r.project_id, Metric.slug, func.sum(r.counted_increment))
            .join(Metric, Metric.id == r.metric_id)
            .where(r.as_of <= as_of, r.counted_increment.is_not(None), *where)
            .group_by(r.project_id, Metric.slug))
    with engine.connect() as conn:
        return {(project_id, slug): int(value or 0) for project_id, slug, value in conn.execute(stmt)}


def project_targets(engine: Engine, project_id: int) -> dict[str, list[Plan]]:
    """Every approved target entry of the project, by metric slug (which one stands when is the domain's rule)."""
    return _project_plans(engine, Target.project_id == project_id).get(project_id, {})


def _progress_rows(plans: dict[str, list[Plan]], figures: dict[str, int], known: pd.DataFrame,
                   as_of: dt.date) -> list[tuple]:
    rows = []
    for slug, targets in plans.items():
        where = progress(targets, figures.get(slug), as_of)
        if where is None:
            continue
        rows.append((slug, known.loc[slug, "label"], known.loc[slug, "unit"], where.actual, where.target.value,
                     where.target.due_on, where.target.baseline_on, where.target.baseline_value, where.share,
                     where.expected, where.on_track))
    return rows


def project_progress(engine: Engine, project_id: int, as_of: dt.date) -> pd.DataFrame:
    """Per metric with a target standing at `as_of`: the actual figure then (the latest counting reading), the next
    target, its baseline, % of target (share), the straight line's value then (expected) and on_track."""
    plans = project_targets(engine, project_id)
    if not plans:
        return pd.DataFrame(columns=PROGRESS_COLUMNS)
    figures = _project_figures(engine, as_of, ReachReading.project_id == project_id)
    with engine.connect() as conn:
        programme_id = conn.scalar(select(Project.programme_id).where(Project.id == project_id))
    assert programme_id is not None  # it has targets
    known = metrics(engine, programme_id).set_index("slug")
    return pd.DataFrame(_progress_rows(plans, {slug: v for (_p, slug), v in figures.items()}, known, as_of),
                        columns=PROGRESS_COLUMNS)


def project_milestones(engine: Engine, project_id: int, as_of: dt.date) -> pd.DataFrame:
    """The project's milestones as they stand (approved, not changed since), by planned date: id, title, planned_on,
    done_on (None if not done by `as_of`), evidence_url, note, state at `as_of` (done, overdue or planned), read
    from the milestones' own dates like every other entry's."""
    m = Milestone
    stmt = (select(m.id, m.title, m.planned_on, m.done_on, m.evidence_url, m.note)
            .where(m.project_id == project_id, counting(m))
            .order_by(m.planned_on, m.id))
    frame = read_frame(engine, stmt, ["id", "title", "planned_on", "done_on", "evidence_url", "note"])
    done = frame["done_on"].map(lambda day: day is not None and not pd.isna(day) and pd.Timestamp(day).date() <= as_of)
    frame["done_on"] = frame["done_on"].where(done, None)
    overdue = frame["planned_on"].map(lambda day: pd.Timestamp(day).date() < as_of) & ~done
    frame["state"] = ["done" if d else "overdue" if o else "planned" for d, o in zip(done, overdue)]
    return frame


def programme_progress(engine: Engine, programme_ids: int | list[int], as_of: dt.date) -> pd.DataFrame:
    """`project_progress` of every project of the programmes with a target standing at `as_of`, by project name,
    with the project's name in a first column `project` and its `state`: met (the target's value reached),
    on_track or behind (and its `slug` last). Every project's targets and figures are read at once."""
    ids = [programme_ids] if isinstance(programme_ids, int) else list(programme_ids)
    mine = select(Project.id).where(Project.programme_id.in_(ids))
    plans = _project_plans(engine, Target.project_id.in_(mine))
    columns = ["project", *PROGRESS_COLUMNS, "state", "slug"]
    if not plans:
        return pd.DataFrame(columns=columns)
    figures = _project_figures(engine, as_of, ReachReading.project_id.in_(plans))
    with engine.connect() as conn:
        projects = conn.execute(select(Project.id, Project.name, Project.slug, Project.programme_id)
                                .where(Project.id.in_(plans)).order_by(Project.name, Project.slug)).all()
    known = {programme_id: metrics(engine, programme_id).set_index("slug") for programme_id in
             {programme_id for *_rest, programme_id in projects}}
    by_project: dict[int, dict[str, int]] = {}
    for (project_id, metric), value in figures.items():
        by_project.setdefault(project_id, {})[metric] = value
    rows = []
    for project_id, name, slug, programme_id in projects:
        rows += [(name, *row, slug) for row in _progress_rows(plans[project_id], by_project.get(project_id, {}),
                                                              known[programme_id], as_of)]
    frame = pd.DataFrame(rows, columns=["project", *PROGRESS_COLUMNS, "slug"])
    frame["state"] = [state(actual, target, on_track) for actual, target, on_track in
                      zip(frame["actual"], frame["target"], frame["on_track"])]
    return frame[columns]


# --- a programme's targets: its total reach of a metric, its funnel ------------------------------------------------

STAGE_LABELS = {"funded": N_("Projects funded"), "launched": N_("Projects launched")}
PROGRAMME_COLUMNS = ["measure", "label", "unit", "actual", "target", "due_on", "baseline_on", "baseline_value",
                     "share", "expected", "on_track", "state"]


def _measure(slug: object, stage: object) -> str:
    """What a programme target counts, by name: its metric's slug, or the funnel's stage (funded, launched)."""
    return str(stage) if isinstance(stage, str) else str(slug)


def programme_plans(engine: Engine, programme_id: int) -> dict[str, list[Plan]]:
    """Every approved target entry of the programme, by measure (a metric's slug, "funded" or "launched"): the
    metrics' in their order, then the funnel's."""
    t = ProgrammeTarget
    stmt = (select(Metric.slug, t.stage, t.due_on, t.value, t.baseline_on, t.baseline_value, t.set_on,
                   t.recorded_at, t.id)
            .outerjoin(Metric, Metric.id == t.metric_id)
            .where(t.programme_id == programme_id, t.review_state == ReviewState.APPROVED)
            .order_by(Metric.id.is_(None), Metric.id, t.stage))
    plans: dict[str, list[Plan]] = {}
    with engine.connect() as conn:
        for slug, stage, due_on, value, baseline_on, baseline_value, set_on, recorded_at, entry_id in \
                conn.execute(stmt):
            plans.setdefault(_measure(slug, stage), []).append(
                Plan(due_on, int(value), baseline_on, int(baseline_value), set_on, (recorded_at, entry_id)))
    return dict(sorted(plans.items(), key=lambda item: item[0] in FUNNEL_MEASURES))  # metrics first, as ordered


def programme_target_progress(engine: Engine, programme: ProgrammeInfo, as_of: dt.date,
                              pending: bool = False) -> pd.DataFrame:
    """Per measure of the programme with a target standing at `as_of`: its label and unit, the programme's figure
    then (the total reach of the metric, as the Reach page charts it; the projects funded or launched, as the
    funnel counts them), the next target, its baseline, share, expected, on_track and state (met, on_track, behind).
    With `pending`, staff's preview: the figures count entries waiting for review."""
    plans = programme_plans(engine, programme.id)
    if not plans:
        return pd.DataFrame(columns=PROGRAMME_COLUMNS)
    figures: dict[str, int] = {}
    if any(measure not in FUNNEL_MEASURES for measure in plans):
        totals = reach_totals(engine, programme.id, as_of, pending)
        figures |= {metric: int(value) for metric, value in totals.groupby("metric")["value"].last().items()}
    if any(measure in FUNNEL_MEASURES for measure in plans):
        funnel = funnel_at(engine, programme, as_of, pending)
        figures |= {stage: int(n) for stage, n in zip(funnel["stage"], funnel["projects"]) if stage in FUNNEL_MEASURES}
    known = metrics(engine, programme.id).set_index("slug")
    rows = []
    for measure, targets in plans.items():
        where = progress(targets, figures.get(measure), as_of)
        if where is None:
            continue
        label, unit = ((_(STAGE_LABELS[measure]), _("projects")) if measure in FUNNEL_MEASURES
                       else (known.loc[measure, "label"], known.loc[measure, "unit"]))
        rows.append((measure, label, unit, where.actual, where.target.value, where.target.due_on,
                     where.target.baseline_on, where.target.baseline_value, where.share, where.expected,
                     where.on_track, state(where.actual, where.target.value, where.on_track)))
    return pd.DataFrame(rows, columns=PROGRAMME_COLUMNS)


def programme_target_entries(engine: Engine, programme_id: int) -> pd.DataFrame:
    """The history of the programme's targets, every entry kept: measure, due_on, value, baseline_on,
    baseline_value, set_on, note, recorded_by, by measure, due date and when each was set."""
    t = ProgrammeTarget
    stmt = (select(Metric.slug, t.stage, t.due_on, t.value, t.baseline_on, t.baseline_value, t.set_on, t.note,
                   t.recorded_by)
            .outerjoin(Metric, Metric.id == t.metric_id)
            .where(t.programme_id == programme_id, t.review_state == ReviewState.APPROVED)
            .order_by(Metric.id.is_(None), Metric.id, t.stage, t.due_on, t.set_on, t.recorded_at, t.id))
    frame = read_frame(engine, stmt, ["slug", "stage", "due_on", "value", "baseline_on", "baseline_value", "set_on",
                                      "note", "recorded_by"])
    frame.insert(0, "measure", [_measure(slug, stage) for slug, stage in zip(frame["slug"], frame["stage"])])
    return frame.drop(columns=["slug", "stage"])


def overdue_milestones(engine: Engine, programme_id: int, as_of: dt.date) -> pd.DataFrame:
    """The programme's milestones overdue at `as_of` (planned before it, not done by it, as they stand), the longest
    overdue first: slug, project, title, planned_on, days_overdue."""
    m = Milestone
    stmt = (select(Project.slug, Project.name, m.title, m.planned_on)
            .join(Project, Project.id == m.project_id)
            .where(Project.programme_id == programme_id, counting(m), m.planned_on < as_of,
                   (m.done_on.is_(None)) | (m.done_on > as_of))
            .order_by(m.planned_on, Project.name))
    frame = read_frame(engine, stmt, ["slug", "project", "title", "planned_on"])
    frame["days_overdue"] = [(as_of - pd.Timestamp(day).date()).days for day in frame["planned_on"]]
    return frame
