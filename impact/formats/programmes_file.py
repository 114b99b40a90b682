"""programmes.toml: programmes with their headline figures, challenges and metrics, checked whole before use."""
from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from impact.domain.problems import Problem, too_long
from impact.domain.values import BIGGEST_DAYS, BIGGEST_WHOLE_NUMBER, COUNTRY, whole
from impact.i18n import _, format_number

FILE = "programmes.toml"
# For each kind of table: its text keys, with the longest text the database holds (None: any) and whether required.
TEXT: dict[str, dict[str, tuple[int | None, bool]]] = {
    "programme": {"slug": (80, True), "name": (200, True), "country": (2, False), "description": (None, False),
                  "illustrative_note": (None, False)},
    "figure": {"key": (60, True), "label": (200, True), "source": (None, True), "note": (None, False)},
    "challenge": {"slug": (80, True), "name": (300, True)},
    "metric": {"slug": (80, True), "label": (200, True), "unit": (80, True)},
}
KEY_OF = {"figure": "key", "challenge": "slug", "metric": "slug"}  # unique within a programme


def read_programmes(text: str, existing: set[str]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The programmes of a programmes.toml text, or the problems that stop it from being loaded."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [Problem(FILE, None, None, _("is not valid TOML ({error}).", error=exc))]
    problems: list[Problem] = []
    programmes = data.get("programme", [])
    if not _tables(programmes):
        return [], [Problem(FILE, None, "programme", _("write each programme as a [[programme]] table."))]
    seen: set[str] = set()
    for number, programme in enumerate(programmes, start=1):
        where = _("{file}, programme {number}", file=FILE, number=number)
        problems += check_programme(where, programme)
        slug = programme.get("slug")
        if slug in existing or slug in seen:
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
    return problems


def _tables(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _check_table(where: str, kind: str, table: dict[str, Any]) -> list[Problem]:
    problems = []
    for key, (longest, required) in TEXT[kind].items():
        value = table.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            problems.append(Problem(where, None, key, _("must be text in quotes; it is required.") if required
                                    else _("must be text in quotes.")))
        elif longest and len(value) > longest:
            problems.append(Problem(where, None, key, too_long(longest)))
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
    if whole(programme.get("silent_after_days", 90), least=1, most=BIGGEST_DAYS) is None:
        problems.append(Problem(where, None, "silent_after_days", _("must be a whole number of days from 1 to "
                                                                    "{most}.", most=format_number(BIGGEST_DAYS))))
    return problems
