"""The whole data set out, in the project's own file formats (a folder `impact load` takes back, or one Excel
workbook), and funded projects as a 360Giving grants file.

What is exported is the history that counts (approved entries not superseded by a correction): loaded into an empty
database, it gives the same figures on every page. Entries waiting for review, returned or corrected stay in the
database (and its backups) and in the audit log. Both files are staff's: the data set holds the teams' contact
emails (impact.domain.access.check_may_export).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd
import tomli_w
from sqlalchemy import Engine, func, literal, select

from impact.domain.access import Actor, check_may_export
from impact.domain.entries import counting, order
from impact.domain.lifecycle import FUNDED_OR_LATER
from impact.formats.cells import csv_bytes, spreadsheet_safe
from impact.store.db import read_frame
from impact.store.models import Challenge, Metric, Programme, ProgrammeFigure, Project, ReachReading, StatusEvent

PROJECT_COLUMNS = ["programme", "slug", "name", "challenge", "team", "summary", "website", "source", "illustrative",
                   "contact_email", "funding_amount", "funding_currency", "funder"]
HISTORY_COLUMNS = ["recorded_at", "recorded_by", "note", "evidence_url"]
# What a programme holds besides its own fields, with their columns.
PROGRAMME_PARTS = {"figure": ("key", "label", "value", "source", "note", "label_de", "label_fr"),
                   "challenge": ("slug", "name"),
                   "metric": ("slug", "label", "unit", "definition", "label_de", "label_fr", "definition_de",
                              "definition_fr")}
# A programme's texts in other languages than English (empty: shown in English), and the parts' optional texts:
# written only where given.
PROGRAMME_TRANSLATIONS = ("name_de", "name_fr", "description_de", "description_fr")
OPTIONAL_TEXTS = {"label_de", "label_fr", "definition", "definition_de", "definition_fr"}
# The ten fields every 360Giving grant record needs (360giving.org standard, "Required fields").
GRANT_COLUMNS = ["Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date",
                 "Funding Org:Identifier", "Funding Org:Name", "Recipient Org:Identifier", "Recipient Org:Name"]


@dataclass(frozen=True)
class Dataset:
    programmes: list[dict]
    projects: pd.DataFrame
    status_events: pd.DataFrame
    reach_readings: pd.DataFrame

    def files(self) -> dict[str, bytes]:
        """The data folder's files by name, as `impact load` reads them."""
        return {
            "programmes.toml": tomli_w.dumps({"programme": self.programmes}).encode(),
            "projects.csv": csv_bytes(self.projects),
            "status_events.csv": csv_bytes(self.status_events),
            "reach_readings.csv": csv_bytes(self.reach_readings),
        }

    def write_folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in self.files().items():
            (folder / name).write_bytes(content)

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in self.files().items():
                archive.writestr(name, content)
        return buffer.getvalue()

    def workbook_bytes(self, engine: str = "openpyxl") -> bytes:
        """One sheet per table: programmes one row each, their figures, challenges and metrics on sheets of their
        own (with the programme's slug), then projects, status events and reach readings: an Excel workbook, or
        with `engine="odf"` an OpenDocument spreadsheet (.ods). The import reads both."""
        programmes = pd.DataFrame([{k: v for k, v in p.items() if not isinstance(v, list)} for p in self.programmes])
        parts = {kind: pd.DataFrame([{"programme": p["slug"], **t} for p in self.programmes for t in p.get(kind, [])],
                                    columns=["programme", *PROGRAMME_PARTS[kind]])
                 for kind in PROGRAMME_PARTS}
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine=engine) as writer:
            for sheet, frame in (("programmes", programmes), ("figures", parts["figure"]),
                                 ("challenges", parts["challenge"]), ("metrics", parts["metric"]),
                                 ("projects", self.projects), ("status_events", self.status_events),
                                 ("reach_readings", self.reach_readings)):
                spreadsheet_safe(frame).to_excel(writer, sheet_name=sheet, index=False)
        return buffer.getvalue()


def dataset(engine: Engine, actor: Actor, programme_slugs: Optional[Sequence[str]] = None) -> Dataset:
    """Every programme (or those named), its projects and their counting history, by natural keys (staff only)."""
    check_may_export(actor)
    chosen = select(Programme.id)
    if programme_slugs:
        chosen = chosen.where(Programme.slug.in_(programme_slugs))
    mine = select(Project.id).where(Project.programme_id.in_(chosen))
    e, r = StatusEvent, ReachReading
    projects = read_frame(engine, select(
        Programme.slug, Project.slug, Project.name, func.coalesce(Challenge.slug, literal("")), Project.team,
        Project.summary, Project.website, Project.source, Project.illustrative, Project.contact_email,
        Project.funding_amount, Project.funding_currency, Project.funder)
        .join(Programme, Programme.id == Project.programme_id)
        .outerjoin(Challenge, Challenge.id == Project.challenge_id)
        .where(Project.id.in_(mine)).order_by(Project.id), PROJECT_COLUMNS)
    projects["illustrative"] = projects["illustrative"].map({True: "true", False: "false"})
    events = read_frame(engine, select(Project.slug, e.status, e.effective_date, e.recorded_at, e.recorded_by,
                                       e.note, e.evidence_url).join(Project, Project.id == e.project_id)
                        .where(e.project_id.in_(mine), counting(e)).order_by(e.project_id, *order(e)),
                        ["project", "status", "effective_date", *HISTORY_COLUMNS])
    readings = read_frame(engine, select(Project.slug, Metric.slug, r.as_of, r.value, r.recorded_at, r.recorded_by,
                                         r.note, r.evidence_url).join(Project, Project.id == r.project_id)
                          .join(Metric, Metric.id == r.metric_id)
                          .where(r.project_id.in_(mine), counting(r)).order_by(r.project_id, r.metric_id, *order(r)),
                          ["project", "metric", "as_of", "value", *HISTORY_COLUMNS])
    for frame in (events, readings):
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with engine.connect() as conn:
        programmes = programme_tables(conn, chosen)
    return Dataset(programmes, projects, events, readings)


def programme_tables(conn, chosen) -> list[dict]:
    """The programmes whose ids `chosen` selects, as programmes.toml tables (fields at their defaults included)."""
    rows = conn.execute(select(Programme).where(Programme.id.in_(chosen)).order_by(Programme.id)).all()
    tables = []
    for row in rows:
        table = {"slug": row.slug, "name": row.name, "description": row.description,
                 "illustrative_note": row.illustrative_note, "public": row.public,
                 "silent_after_days": row.silent_after_days}
        table |= {key: getattr(row, key) for key in PROGRAMME_TRANSLATIONS if getattr(row, key)}
        table |= {k: v for k, v in (("country", row.country), ("starts_on", row.starts_on),
                                    ("ends_on", row.ends_on)) if v is not None}
        for kind, model in (("figure", ProgrammeFigure), ("challenge", Challenge), ("metric", Metric)):
            columns = PROGRAMME_PARTS[kind]
            table[kind] = [dict(sorted((c, v) for c, v in zip(columns, values) if v != "" or c not in OPTIONAL_TEXTS))
                           for values in conn.execute(
                select(*(getattr(model, c) for c in columns)).where(model.programme_id == row.id)
                .order_by(model.id))]
        tables.append(table)
    return tables


def grants_360(engine: Engine, actor: Actor, prefix: str, funder_id: str, funder_name: str,
               programme_slugs: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Funded projects with an amount, as 360Giving grant records (GRANT_COLUMNS). `prefix` is the publisher's
    registered 360Giving prefix (such as 360G-examplefoundation); grants and recipients get identifiers under it.
    The funding organisation is the publisher (`funder_id`, an org-id such as GB-CHC-1234567, and `funder_name`).
    A grant's date is the day the project was first recorded as funded. Staff only."""
    check_may_export(actor)
    e = StatusEvent
    funded_on = (select(e.project_id, func.min(e.effective_date).label("funded_on"))
                 .where(e.status.in_(FUNDED_OR_LATER), counting(e)).group_by(e.project_id).subquery())
    stmt = (select(Project.slug, Project.name, Project.summary, Project.team, Project.funding_currency,
                   Project.funding_amount, funded_on.c.funded_on)
            .join(Programme, Programme.id == Project.programme_id)
            .join(funded_on, funded_on.c.project_id == Project.id)
            .where(Project.funding_amount.is_not(None))
            .order_by(Programme.slug, Project.slug))
    if programme_slugs:
        stmt = stmt.where(Programme.slug.in_(programme_slugs))
    rows = read_frame(engine, stmt, ["slug", "name", "summary", "team", "currency", "amount", "funded_on"])
    return pd.DataFrame({
        "Identifier": prefix + "-" + rows["slug"],
        "Title": rows["name"],
        "Description": rows["summary"].where(rows["summary"] != "", rows["name"]),
        "Currency": rows["currency"],
        "Amount Awarded": rows["amount"].astype(float),
        "Award Date": pd.to_datetime(rows["funded_on"]).dt.strftime("%Y-%m-%d"),
        "Funding Org:Identifier": funder_id,
        "Funding Org:Name": funder_name,
        "Recipient Org:Identifier": prefix + "-team-" + rows["slug"],
        "Recipient Org:Name": rows["team"].where(rows["team"] != "", rows["name"]),
    }, columns=GRANT_COLUMNS)

