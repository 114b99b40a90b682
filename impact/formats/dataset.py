"""The whole data set out, in the project's own file formats (a folder `impact load` takes back, or one Excel
workbook), and funded projects as a 360Giving grants file. The folder and its .zip carry a Frictionless
`datapackage.json` describing their CSV files, so that generic tools read their types and keys.

What is exported is the history that counts (approved entries not superseded by a correction): loaded into an empty
database, it gives the same figures on every page. Entries waiting for review, returned or corrected stay in the
database (and its backups) and in the audit log. Both files are staff's: the data set holds the teams' contact
emails (impact.domain.access.check_may_export).
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd
import tomli_w
from sqlalchemy import Engine, func, literal, select

from impact.domain.access import Actor, check_may_export
from impact.domain.entries import counting, order
from impact.domain.lifecycle import FUNDED_OR_LATER, STATUSES, ReviewState
from impact.domain.values import aware
from impact.formats.cells import csv_bytes, spreadsheet_safe
from impact.formats.programmes_file import TARGET_KEYS, calendar_table
from impact.store.db import read_frame
from impact.store.models import (
    Challenge,
    Metric,
    Milestone,
    Programme,
    ProgrammeFigure,
    ProgrammeTarget,
    Project,
    ReachReading,
    StatusEvent,
    Target,
)

PROJECT_COLUMNS = ["programme", "slug", "name", "challenge", "team", "summary", "website", "repository", "source",
                   "illustrative", "contact_email", "funding_amount", "funding_currency", "funder"]
HISTORY_COLUMNS = ["recorded_at", "recorded_by", "note", "evidence_url"]
TARGET_COLUMNS = ["project", "metric", "due_on", "value", "baseline_on", "baseline_value", "set_on", *HISTORY_COLUMNS]
MILESTONE_COLUMNS = ["project", "title", "planned_on", "done_on", *HISTORY_COLUMNS]
# What a programme holds besides its own fields, with their columns.
PROGRAMME_PARTS = {"figure": ("key", "label", "value", "source", "note", "label_de", "label_fr"),
                   "challenge": ("slug", "name"),
                   "metric": ("slug", "label", "unit", "definition", "label_de", "label_fr", "definition_de",
                              "definition_fr")}
# The workbook's sheet of programme targets (programmes.toml's [[programme.target]] tables, one row each), its columns.
PROGRAMME_TARGETS_SHEET = "programme_targets"
PROGRAMME_TARGET_COLUMNS = ("programme", *TARGET_KEYS)
TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # how the files write when an entry was recorded (UTC)
# A programme's texts in other languages than English (empty: shown in English), and the parts' optional texts:
# written only where given.
PROGRAMME_TRANSLATIONS = ("name_de", "name_fr", "description_de", "description_fr")
OPTIONAL_TEXTS = {"label_de", "label_fr", "definition", "definition_de", "definition_fr"}
# The ten fields every 360Giving grant record needs (360giving.org standard, "Required fields").
GRANT_COLUMNS = ["Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date",
                 "Funding Org:Identifier", "Funding Org:Name", "Recipient Org:Identifier", "Recipient Org:Name"]

# The Frictionless Table Schema of each CSV file (frictionlessdata.io, "Tabular Data Package"): its fields' types in
# the order of its columns, then its keys. Natural keys only where they hold: a project's slug is unique across
# programmes (and events and readings name their project by it); neither events nor readings have a natural key (a
# project may record the same figure twice), and programmes, their challenges and metrics are in programmes.toml,
# which is no table, so the columns naming them are plain strings.
DATAPACKAGE = "datapackage.json"
_TEXT = {"type": "string"}
_HISTORY_FIELDS = {"recorded_at": {"type": "datetime", "format": TIMESTAMP},
                   "recorded_by": _TEXT, "note": _TEXT, "evidence_url": _TEXT}
_PROJECT = {"fields": ["project"], "reference": {"resource": "projects", "fields": ["slug"]}}
TABLE_SCHEMAS: dict[str, dict] = {
    "projects": {
        "fields": {"programme": {"type": "string", "constraints": {"required": True}},
                   "slug": {"type": "string", "constraints": {"required": True, "unique": True}},
                   "name": {"type": "string", "constraints": {"required": True}},
                   "challenge": _TEXT, "team": _TEXT, "summary": _TEXT, "website": _TEXT, "repository": _TEXT,
                   "source": _TEXT, "illustrative": {"type": "boolean", "trueValues": ["true"],
                                                     "falseValues": ["false"]},
                   "contact_email": _TEXT, "funding_amount": {"type": "number", "constraints": {"minimum": 0}},
                   "funding_currency": _TEXT, "funder": _TEXT},
        "primaryKey": ["slug"]},
    "status_events": {
        "fields": {"project": {"type": "string", "constraints": {"required": True}},
                   "status": {"type": "string", "constraints": {"required": True, "enum": [str(s) for s in STATUSES]}},
                   "effective_date": {"type": "date", "constraints": {"required": True}}, **_HISTORY_FIELDS},
        "foreignKeys": [_PROJECT]},
    "reach_readings": {
        "fields": {"project": {"type": "string", "constraints": {"required": True}},
                   "metric": {"type": "string", "constraints": {"required": True}},
                   "as_of": {"type": "date", "constraints": {"required": True}},
                   "value": {"type": "integer", "constraints": {"required": True, "minimum": 0}},
                   **_HISTORY_FIELDS},
        "foreignKeys": [_PROJECT]},
    "targets": {
        "fields": {"project": {"type": "string", "constraints": {"required": True}},
                   "metric": {"type": "string", "constraints": {"required": True}},
                   "due_on": {"type": "date", "constraints": {"required": True}},
                   "value": {"type": "integer", "constraints": {"required": True, "minimum": 0}},
                   "baseline_on": {"type": "date", "constraints": {"required": True}},
                   "baseline_value": {"type": "integer", "constraints": {"required": True, "minimum": 0}},
                   "set_on": {"type": "date", "constraints": {"required": True}}, **_HISTORY_FIELDS},
        "foreignKeys": [_PROJECT]},
    "milestones": {
        "fields": {"project": {"type": "string", "constraints": {"required": True}},
                   "title": {"type": "string", "constraints": {"required": True}},
                   "planned_on": {"type": "date", "constraints": {"required": True}},
                   "done_on": {"type": "date"}, **_HISTORY_FIELDS},
        "foreignKeys": [_PROJECT]},
}
TABLE_DESCRIPTIONS = {
    "projects": "One row per project: its programme (slug, in programmes.toml), its own slug, details and funding.",
    "status_events": "The status history that counts (approved, not replaced by a correction), per project.",
    "reach_readings": "The reach figures that count (approved, not replaced by a correction), per project and "
                      "metric (slug, in programmes.toml).",
    "targets": "The approved targets, per project and metric: a value by a due date from a baseline, standing from "
               "set_on; a changed target is a later row for the same due date, the earlier kept.",
    "milestones": "The milestones as they stand (approved, not replaced by a later change), per project: planned "
                  "and, once done, done_on.",
}


def datapackage(columns: dict[str, Sequence[str]]) -> dict:
    """The Frictionless data package describing the CSV files (name -> their columns, in order). No licence is
    written: the data are the publisher's, who adds one (a `licenses` entry) before publishing."""
    resources = []
    for name, names in columns.items():
        table = TABLE_SCHEMAS[name]
        schema: dict = {"fields": [{"name": c, **table["fields"][c]} for c in names], "missingValues": [""]}
        schema |= {key: table[key] for key in ("primaryKey", "foreignKeys") if key in table}
        resources.append({"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8-sig", "description": TABLE_DESCRIPTIONS[name],
                          "schema": schema})
    return {"profile": "tabular-data-package", "name": "hackathon-impact-data-set",
            "title": "Hackathon impact data set",
            "description": "Exported by the hackathon impact dashboard: programmes, their headline figures, "
                           "challenges, reach metrics and targets are in programmes.toml (TOML, not described "
                           "here); "
                           "projects and the history that counts are in the CSV files below, which refer to each "
                           "other by natural keys (slugs). No licence is given: the publisher chooses one and adds "
                           "it as `licenses` before publishing the data.",
            "resources": resources}


@dataclass(frozen=True)
class Dataset:
    programmes: list[dict]
    projects: pd.DataFrame
    status_events: pd.DataFrame
    reach_readings: pd.DataFrame
    targets: pd.DataFrame
    milestones: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV files' tables by name (without .csv), in the order the import checks them."""
        return {"projects": self.projects, "status_events": self.status_events,
                "reach_readings": self.reach_readings, "targets": self.targets, "milestones": self.milestones}

    def files(self) -> dict[str, bytes]:
        """The data folder's files by name, as `impact load` reads them, and the Frictionless data package that
        describes the CSV files (DATAPACKAGE, which `load` and the import pass over)."""
        tables = self.tables()
        package = datapackage({name: list(frame.columns) for name, frame in tables.items()})
        return {
            "programmes.toml": tomli_w.dumps({"programme": self.programmes}).encode(),
            **{f"{name}.csv": csv_bytes(frame) for name, frame in tables.items()},
            DATAPACKAGE: (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode(),
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
        """One sheet per table: programmes one row each, their figures, challenges, metrics and targets on sheets of
        their own (with the programme's slug), then projects, status events, reach readings, targets and
        milestones: an Excel workbook, or with `engine="odf"` an OpenDocument spreadsheet (.ods). The import reads
        both."""
        programmes = pd.DataFrame([{k: v for k, v in p.items() if not isinstance(v, list)}
                                   | ({"report_dates": ", ".join(d.isoformat() for d in p["report_dates"])}
                                      if p.get("report_dates") else {}) for p in self.programmes])
        parts = {kind: pd.DataFrame([{"programme": p["slug"], **t} for p in self.programmes for t in p.get(kind, [])],
                                    columns=["programme", *PROGRAMME_PARTS[kind]])
                 for kind in PROGRAMME_PARTS}
        targets = pd.DataFrame([{"programme": p["slug"], **t, "recorded_at": t["recorded_at"].strftime(TIMESTAMP)}
                                for p in self.programmes for t in p.get("target", [])],
                               columns=list(PROGRAMME_TARGET_COLUMNS))
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine=engine) as writer:
            for sheet, frame in (("programmes", programmes), ("figures", parts["figure"]),
                                 ("challenges", parts["challenge"]), ("metrics", parts["metric"]),
                                 (PROGRAMME_TARGETS_SHEET, targets), *self.tables().items()):
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
        Project.summary, Project.website, Project.repository, Project.source, Project.illustrative,
        Project.contact_email, Project.funding_amount, Project.funding_currency, Project.funder)
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
    targets, milestones = plans(engine, mine)
    for frame in (events, readings, targets, milestones):
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True).dt.strftime(TIMESTAMP)
    with engine.connect() as conn:
        programmes = programme_tables(conn, chosen)
    return Dataset(programmes, projects, events, readings, targets, milestones)


def plans(engine: Engine, mine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The targets and milestones of the projects `mine` selects: every approved target (a changed one is a later
    entry for the same due date, and the earlier one tells what stood before), and the milestones as they stand."""
    t, m = Target, Milestone
    targets = read_frame(engine, select(Project.slug, Metric.slug, t.due_on, t.value, t.baseline_on, t.baseline_value,
                                        t.set_on, t.recorded_at, t.recorded_by, t.note, t.evidence_url)
                         .join(Project, Project.id == t.project_id).join(Metric, Metric.id == t.metric_id)
                         .where(t.project_id.in_(mine), t.review_state == ReviewState.APPROVED)
                         .order_by(t.project_id, t.metric_id, t.due_on, t.set_on, t.recorded_at, t.id), TARGET_COLUMNS)
    milestones = read_frame(engine, select(Project.slug, m.title, m.planned_on, m.done_on, m.recorded_at,
                                           m.recorded_by, m.note, m.evidence_url)
                            .join(Project, Project.id == m.project_id)
                            .where(m.project_id.in_(mine), counting(m)).order_by(m.project_id, m.planned_on, m.id),
                            MILESTONE_COLUMNS)
    return targets, milestones


def programme_tables(conn, chosen) -> list[dict]:
    """The programmes whose ids `chosen` selects, as programmes.toml tables (fields at their defaults included),
    with every approved target entry (`programme_targets`)."""
    rows = conn.execute(select(Programme).where(Programme.id.in_(chosen)).order_by(Programme.id)).all()
    tables = []
    for row in rows:
        table = {"slug": row.slug, "name": row.name, "description": row.description,
                 "illustrative_note": row.illustrative_note, "public": row.public,
                 "silent_after_days": row.silent_after_days}
        table |= calendar_table(Programme.calendar_of(row))
        table |= {key: getattr(row, key) for key in PROGRAMME_TRANSLATIONS if getattr(row, key)}
        table |= {k: v for k, v in (("country", row.country), ("starts_on", row.starts_on),
                                    ("ends_on", row.ends_on)) if v is not None}
        for kind, model in (("figure", ProgrammeFigure), ("challenge", Challenge), ("metric", Metric)):
            columns = PROGRAMME_PARTS[kind]
            table[kind] = [dict(sorted((c, v) for c, v in zip(columns, values) if v != "" or c not in OPTIONAL_TEXTS))
                           for values in conn.execute(
                select(*(getattr(model, c) for c in columns)).where(model.programme_id == row.id)
                .order_by(model.id))]
        table["target"] = programme_targets(conn, row.id)
        tables.append(table)
    return tables


def programme_targets(conn, programme_id: int) -> list[dict]:
    """Every approved target entry of the programme, earlier ones included (a change is a later entry for the same
    due date; the earlier one tells what stood before), as [[programme.target]] tables: by measure (its metrics in
    their order, then the funnel's stages), due date, and when each was set and recorded. When and by whom each was
    recorded is kept, so that entries set on the same day stand in the same order once loaded again."""
    t = ProgrammeTarget
    found = conn.execute(
        select(func.coalesce(t.stage, Metric.slug), t.value, t.due_on, t.baseline_on, t.baseline_value, t.set_on,
               t.note, t.recorded_at, t.recorded_by).outerjoin(Metric, Metric.id == t.metric_id)
        .where(t.programme_id == programme_id, t.review_state == ReviewState.APPROVED)
        .order_by(Metric.id.is_(None), Metric.id, t.stage, t.due_on, t.set_on, t.recorded_at, t.id))
    return [dict(zip(TARGET_KEYS, (*values, aware(recorded_at), recorded_by)))
            for *values, recorded_at, recorded_by in found]


def grants_360(engine: Engine, actor: Actor, prefix: str, funder_id: str, funder_name: str,
               programme_slugs: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Funded projects with an amount, as 360Giving grant records (GRANT_COLUMNS). `prefix` is the publisher's
    registered 360Giving prefix (such as 360G-examplefoundation); grants and recipients get identifiers under it.
    The funding organisation is the publisher (`funder_id`, an org-id such as GB-CHC-1234567, and `funder_name`).
    A grant's date is the day the project was first recorded as funded. Staff only."""
    check_may_export(actor)
    return grant_records(engine, prefix, funder_id, funder_name, programme_slugs)


def grant_records(engine: Engine, prefix: str, funder_id: str, funder_name: str,
                  programme_slugs: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """The grant records of `grants_360`, for a caller that has asked the access rules itself (impact.api reads one
    programme's, for those who may read its report)."""
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



def grants_package(grants: pd.DataFrame, title: str, issued: str) -> dict:
    """The grant records (GRANT_COLUMNS) as a 360Giving JSON data package: {"grants": [...]} with the standard's
    property names (its titles, as in the CSV, are these properties' titles), plus the package's metadata."""
    records = [{
        "id": row["Identifier"],
        "title": row["Title"],
        "description": row["Description"],
        "currency": row["Currency"],
        "amountAwarded": row["Amount Awarded"],
        "awardDate": row["Award Date"],
        "fundingOrganization": [{"id": row["Funding Org:Identifier"], "name": row["Funding Org:Name"]}],
        "recipientOrganization": [{"id": row["Recipient Org:Identifier"], "name": row["Recipient Org:Name"]}],
    } for row in grants.to_dict("records")]
    return {"version": "1.4", "title": title, "issued": issued, "grants": records}
