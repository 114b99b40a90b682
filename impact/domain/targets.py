"""Plan against actual: which target stands at a date, and whether a project is on track for it.

A target says "`value` by `due_on`", starting from a baseline (`baseline_value` on `baseline_on`). Targets are
history entries like the figures: a changed target is a new entry, never an overwrite, so the target that stood on
an earlier date can always be shown. The rules, in plain Python so that every reader asks the same ones:

- The target for a due date, at day D, is the latest approved entry for that due date set on or before D.
- Progress at D is measured against the next target (the earliest due date on or after D; after the last due date,
  the last target): % of target = actual at D / that target's value.
- On track at D: the actual is at least the straight line from the baseline to that target, read at D.
- A metric without a target has no percentage (never 0 %).
- A target is a whole number, as is its baseline, and its baseline comes before its due date (`plan_problem`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

from impact.domain.values import BIGGEST_WHOLE_NUMBER, whole
from impact.i18n import _, format_date, format_number


@dataclass(frozen=True)
class Target:
    due_on: dt.date
    value: int
    baseline_on: dt.date
    baseline_value: int
    set_on: dt.date
    order: tuple = ()  # ties between entries set on the same day: later recorded, then later entered, wins


@dataclass(frozen=True)
class Progress:
    target: Target
    actual: int
    share: Optional[float]  # actual / target value (None for a target of 0)
    expected: float  # the straight line from the baseline to the target, at the day
    on_track: bool


def standing(targets: Iterable[Target], day: dt.date) -> list[Target]:
    """The targets standing at `day`, one per due date (the latest set on or before it), by due date."""
    latest: dict[dt.date, Target] = {}
    for target in targets:
        if target.set_on > day:
            continue
        kept = latest.get(target.due_on)
        if kept is None or (target.set_on, target.order) > (kept.set_on, kept.order):
            latest[target.due_on] = target
    return [latest[due] for due in sorted(latest)]


def next_target(targets: Iterable[Target], day: dt.date) -> Optional[Target]:
    """The target progress at `day` is measured against: the earliest standing one due on or after the day, else
    the last one due (None: no target stands)."""
    now = standing(targets, day)
    ahead = [t for t in now if t.due_on >= day]
    return ahead[0] if ahead else (now[-1] if now else None)


def expected_at(target: Target, day: dt.date) -> float:
    """The straight line from the baseline to the target, read at `day` (the baseline before it starts, the target
    once it is due)."""
    if day <= target.baseline_on:
        return float(target.baseline_value)
    if day >= target.due_on:
        return float(target.value)
    elapsed = (day - target.baseline_on).days / (target.due_on - target.baseline_on).days
    return target.baseline_value + (target.value - target.baseline_value) * elapsed


def progress(targets: Iterable[Target], actual: Optional[int], day: dt.date) -> Optional[Progress]:
    """Where `actual` (the figure at `day`; None: nothing reported, counted as 0) stands against the next target,
    or None where no target stands."""
    target = next_target(targets, day)
    if target is None:
        return None
    reached = actual or 0
    expected = expected_at(target, day)
    share = reached / target.value if target.value else None
    return Progress(target, reached, share, expected, reached >= expected)


def state(actual: int, target: int, on_track: bool) -> str:
    """How a figure stands against its target, in a word: met (the target's value reached), on_track (at least the
    straight line) or behind."""
    return "met" if actual >= target else "on_track" if on_track else "behind"


def plan_problem(value: object, baseline_value: object, baseline_on: dt.date,
                 due_on: dt.date) -> Optional[tuple[str, str]]:
    """What makes a target impossible: the field at fault (value, baseline_value or baseline_on) and a sentence;
    None where nothing does. Asked by every writer of targets: the commands, programmes.toml and the import's rows
    (through impact.domain.fields.target)."""
    for column, number in (("value", value), ("baseline_value", baseline_value)):
        if whole(number) is None:
            return column, _("A target and its baseline are whole numbers of 0 or more, at most {most}.",
                             most=format_number(BIGGEST_WHOLE_NUMBER))
    if baseline_on >= due_on:
        return "baseline_on", _("The baseline's date ({baseline}) must come before the target's ({due}).",
                                baseline=format_date(baseline_on), due=format_date(due_on))
    return None
