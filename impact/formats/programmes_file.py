"""programmes.toml: programmes with their headline figures, challenges, metrics, targets and reporting calendar,
checked whole before use."""
from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from impact.domain import fields
from impact.domain.calendar import Calendar
from impact.domain.fields import FieldError
from impact.domain.problems import Problem
from impact.domain.targets import plan_problem
from impact.domain.values import BIGGEST_WHOLE_NUMBER, COUNTRY, SILENT_AFTER_DAYS, whole
from impact.i18n import _, format_number
from impact.store.models import FUNNEL_MEASURES, Challenge, Metric, Programme, ProgrammeFigure, ProgrammeTarget

FILE = "programmes.toml"
# For each kind of table: its text keys, with the database column they go to and whether they are required.
TEXT: dict[str, dict[str, tuple[InstrumentedAttribute, bool]]] = {
    "programme": {"slug": (Programme.slug, True), "name": (Programme.name, True), "country": (Programme.country, False),
                  "description": (Programme.description, False),
                  "illustrative_note": (Programme.illustrative_note, False),
                  "name_de": (Programme.name_de, False), "name_fr": (Programme.name_fr, False),
                  "description_de": (Programme.description_de, False),
                  "description_fr": (Programme.description_fr, False)},
    "figure": {"key": (ProgrammeFigure.key, True), "label": (ProgrammeFigure.label, True),
               "source": (ProgrammeFigure.source, True), "note": (ProgrammeFigure.note, False),
               "label_de": (ProgrammeFigure.label_de, False), "label_fr": (ProgrammeFigure.label_fr, False)},
    "challenge": {"slug": (Challenge.slug, True), "name": (Challenge.name, True)},
    "metric": {"slug": (Metric.slug, True), "label": (Metric.label, True), "unit": (Metric.unit, True),
               "definition": (Metric.definition, False), "label_de": (Metric.label_de, False),
               "label_fr": (Metric.label_fr, False), "definition_de": (Metric.definition_de, False),
               "definition_fr": (Metric.definition_fr, False)},
}
KEY_OF = {"figure": "key", "challenge": "slug", "metric": "slug"}  # unique within a programme


def read_programmes(text: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The programmes of a programmes.toml text, or the problems that stop it from being loaded."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [Problem(FILE, None, None, _("is not valid TOML ({error}).", error=exc))]
    programmes = data.get("programme", [])
    if not _tables(programmes):
        return [], [Problem(FILE, None, "programme", _("write each programme as a [[programme]] table."))]
    return check_programmes(FILE, programmes)


def check_programmes(file: str, programmes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The programmes of a file (programmes.toml, or a workbook's programme sheets) if every one is right, else the
    problems, each named by `file` and the programme's number."""
    problems: list[Problem] = []
    seen: set[Any] = set()
    for number, programme in enumerate(programmes, start=1):
        where = _("{file}, programme {number}", file=file, number=number)
        problems += check_programme(where, programme)
        slug = programme.get("slug")
        if slug in seen:
            problems.append(Problem(where, None, "slug", _("programme '{slug}' already exists; give a new slug.",
                                                          slug=slug)))
        seen.add(slug)
    return (programmes if not problems else []), problems


def check_programme(where: str, programme: dict[str, Any]) -> list[Problem]:
    """Everything wrong with one programme table (its figures, challenges and metrics included)."""
    problems = _check_table(where, "programme", programme) + _check_programme(where, programme)
    for kind, key in KEY_OF.items():
        tables = programme.get(kind, [])
        if not _tables(tables):
            problems.append(Problem(where, None, kind, _("write each {kind} as a [[programme.{kind}]] table.",
                                                         kind=kind)))
            continue
        keys: set[str] = set()
        for index, table in enumerate(tables, start=1):
            place = f"{where}, {kind} {index}"
            problems += _check_table(place, kind, table)
            if table.get(key) in keys:
                problems.append(Problem(place, None, key, _("'{value}' appears twice in this programme; give "
                                                            "each {kind} its own {key}.", value=table.get(key),
                                                            kind=kind, key=key)))
            keys.add(table.get(key))
            if kind == "figure" and whole(table.get("value")) is None:
                problems.append(Problem(place, None, "value", _("must be a whole number >= 0 and at most {most} (no "
                                                                "quotes).", most=format_number(BIGGEST_WHOLE_NUMBER))))
    return problems + _check_targets(where, programme)


# A programme's target: what it counts (a metric's slug, or the funnel's funded or launched), value by due_on, from
# baseline_value (0) on baseline_on, agreed on set_on (the baseline's date), with a note (needed for a change); when
# and by whom it was recorded (optional: the load's time and loader), as the export writes them.
TARGET_KEYS = ("measure", "value", "due_on", "baseline_on", "baseline_value", "set_on", "note", "recorded_at",
               "recorded_by")


def _check_targets(where: str, programme: dict[str, Any]) -> list[Problem]:
    """Each [[programme.target]] names a metric of the programme or a stage of its funnel, with whole numbers and
    dates (impact.domain.targets.plan_problem); a second entry for the same due date is a change and needs a note."""
    tables = programme.get("target", [])
    if not _tables(tables):
        return [Problem(where, None, "target", _("write each target as a [[programme.target]] table."))]
    metrics = {m.get("slug") for m in programme.get("metric", []) if isinstance(m, dict)}
    problems = [Problem(f"{where}, target {index}", None, column, message)
                for index, table in enumerate(tables, start=1) for column, message in target_problems(table, metrics)]
    return problems + [Problem(f"{where}, target {index}", None, "note", message)
                       for index, message in changes_without_note(tables)]


def target_problems(table: dict[str, Any], metrics: set) -> list[tuple[str, str]]:
    """What is wrong with one programme target (a [[programme.target]] table, or a workbook row read as one), as
    (key, sentence), given the slugs of its programme's metrics."""
    problems = []
    unknown = set(table) - set(TARGET_KEYS)
    if unknown:
        problems.append((sorted(unknown)[0], _("is not a key of a target; use {keys}.",
                                               keys=", ".join(sorted(TARGET_KEYS)))))
    measure = table.get("measure")
    if measure not in metrics and measure not in FUNNEL_MEASURES:
        problems.append(("measure", _("must name one of this programme's metrics (its slug), or funded or launched, "
                                      "in quotes.")))
    days: list[Any] = [table.get(key) for key in ("due_on", "baseline_on", "set_on")]
    for key, day in zip(("due_on", "baseline_on", "set_on"), days):
        if (day is not None or key != "set_on") and not _is_date(day):
            problems.append((key, _("must be a date written as 2020-03-20 (no quotes).")))
    for key, column in (("note", ProgrammeTarget.note), ("recorded_by", ProgrammeTarget.recorded_by)):
        value = table.get(key, "")
        if not isinstance(value, str):
            problems.append((key, _("must be text in quotes.")))
            continue
        try:
            fields.text(value, column)
        except FieldError as exc:
            problems.append((key, str(exc)))
    if not isinstance(table.get("recorded_at", dt.datetime.min), dt.datetime):
        problems.append(("recorded_at", _("must be a date and time written as 2020-03-20T18:00:00Z (no quotes).")))
    if _is_date(days[0]) and _is_date(days[1]):
        problem = plan_problem(table.get("value"), table.get("baseline_value", 0), days[1], days[0])
        if problem:
            problems.append(problem)
    return problems


def changes_without_note(tables: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """The targets (their numbers, from 1) that change an earlier one of the list for the same measure and due date
    without a note saying why, with the sentence."""
    seen: set[tuple] = set()
    found = []
    for index, table in enumerate(tables, start=1):
        key = (table.get("measure"), table.get("due_on"))
        if key in seen and not str(table.get("note", "")).strip():
            found.append((index, _("changes an earlier target for the same date; say in the note why.")))
        seen.add(key)
    return found


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _tables(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _check_table(where: str, kind: str, table: dict[str, Any]) -> list[Problem]:
    problems = []
    for key, (column, required) in TEXT[kind].items():
        value = table.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            problems.append(Problem(where, None, key, _("must be text in quotes; it is required.") if required
                                    else _("must be text in quotes.")))
            continue
        try:
            if (kind, key) == ("programme", "slug"):
                fields.programme_slug(value)
            else:
                fields.text(value, column)
        except FieldError as exc:
            problems.append(Problem(where, None, key, str(exc)))
    return problems


def _check_programme(where: str, programme: dict[str, Any]) -> list[Problem]:
    problems = []
    for key in ("starts_on", "ends_on"):
        value = programme.get(key)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            problems.append(Problem(where, None, key, _("must be a date written as 2020-03-20 (no quotes).")))
    starts, ends = programme.get("starts_on"), programme.get("ends_on")
    if isinstance(starts, dt.date) and isinstance(ends, dt.date) and starts > ends:
        problems.append(Problem(where, None, "ends_on", _("is before starts_on.")))
    if programme.get("country") and not COUNTRY.fullmatch(str(programme["country"])):
        problems.append(Problem(where, None, "country", _("must be a two-letter country code such as DE.")))
    if not isinstance(programme.get("public", False), bool):
        problems.append(Problem(where, None, "public", _("must be true or false (no quotes).")))
    try:
        fields.silent_after_days(programme.get("silent_after_days", SILENT_AFTER_DAYS))
    except FieldError as exc:
        problems.append(Problem(where, None, "silent_after_days", str(exc)))
    try:
        fields.programme_calendar(programme)
    except FieldError as exc:
        problems.append(Problem(where, None, exc.column, str(exc)))
    return problems


def calendar_table(calendar: Calendar) -> dict[str, Any]:
    """A reporting calendar as a programme table holds it: its grace days, and its cadence and first due date or
    its due dates where given."""
    table: dict[str, Any] = {"report_grace_days": calendar.grace_days}
    if calendar.every:
        table |= {"report_every": calendar.every, "report_from": calendar.start}
    if calendar.dates:
        table["report_dates"] = list(calendar.dates)
    return table
