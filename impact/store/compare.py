"""Programmes side by side: each one's funnel as conversion rates, how many of its funded projects live on, and
where each stands against its own targets."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from impact.domain.lifecycle import FUNDED_OR_LATER
from impact.store.queries import ProgrammeInfo, funded_status_at, funnel_at
from impact.store.targets import programme_target_progress


def comparison(engine: Engine, programmes: list[ProgrammeInfo], as_of: dt.date) -> pd.DataFrame:
    """Per programme at `as_of`: participants, ideas, funded, launched, alive (funded and not discontinued),
    funded_per_idea, launched_per_funded, alive_share (None where the stage before is 0)."""
    rows = []
    for programme in programmes:
        stages = dict(zip(*funnel_at(engine, programme, as_of)[["stage", "projects"]].T.values))
        statuses = funded_status_at(engine, programme.id, as_of)
        alive = int(statuses[statuses["status"].isin(FUNDED_OR_LATER)]["projects"].sum())  # not discontinued
        rows.append(dict(programme=programme.name, participants=stages.get("participants"),
                         ideas=stages["ideas_submitted"], funded=stages["funded"], launched=stages["launched"],
                         alive=alive))
    frame = pd.DataFrame(rows, columns=["programme", "participants", "ideas", "funded", "launched", "alive"])
    frame = frame.astype({"participants": "Int64", "ideas": "int64", "funded": "int64", "launched": "int64",
                          "alive": "int64"})
    frame["funded_per_idea"] = _share(frame["funded"], frame["ideas"])
    frame["launched_per_funded"] = _share(frame["launched"], frame["funded"])
    frame["alive_share"] = _share(frame["alive"], frame["funded"])
    return frame


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype("float64")


def target_comparison(engine: Engine, programmes: list[ProgrammeInfo], as_of: dt.date) -> pd.DataFrame:
    """Per programme and target standing at `as_of` (impact.store.targets.programme_target_progress): programme,
    label, actual, target, due_on, share, state; programmes without a target have no row."""
    columns = ["programme", "label", "actual", "target", "due_on", "share", "state"]
    parts = [programme_target_progress(engine, programme, as_of).assign(programme=programme.name)
             for programme in programmes]
    parts = [part[columns] for part in parts if not part.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
