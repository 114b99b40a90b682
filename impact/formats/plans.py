"""Plan against actual in words: the sentence and the state's word the pages and the funder report say of a
target (impact.store.targets' rows), in the visitor's language."""
from __future__ import annotations

from typing import Any, Optional

import pandas as pd

from impact.i18n import N_, _, format_date, format_number, format_percent

STATES = {"met": N_("met"), "on_track": N_("on track"), "behind": N_("behind")}
# What a funnel target counts, in its sentence ("19 of 30 launched").
COUNTED = {"funded": N_("funded"), "launched": N_("launched")}


def state_word(state: str) -> str:
    return _(STATES[state])


def share_text(share: Any) -> str:
    """% of target, "—" where there is none (a target of 0): never 0 %."""
    return format_percent(share) if share is not None and pd.notna(share) else "—"


def target_sentence(row: Any) -> str:
    """"550 of 1,000 people by 2021-12-31 (55.0%), on track": a programme target's row (measure, unit, actual,
    target, due_on, share, state)."""
    counted = _(COUNTED[row.measure]) if row.measure in COUNTED else row.unit
    return _("{actual} of {target} {counted} by {due} ({share}), {state}", actual=format_number(row.actual),
             target=format_number(row.target), counted=counted, due=format_date(row.due_on),
             share=share_text(row.share), state=state_word(row.state))


def chart_plan(targets: pd.DataFrame, measure: str) -> Optional[tuple]:
    """The line a reach chart draws for `measure` from `programme_target_progress`'s frame: (baseline_on,
    baseline_value, due_on, target) of the target standing for it, or None where none stands."""
    planned = targets[targets["measure"] == measure]
    return None if planned.empty else tuple(planned.iloc[0][["baseline_on", "baseline_value", "due_on", "target"]])
