"""Shared fixtures: small worlds built through the real loader, and the demo database."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from impact.db import ensure_schema, make_engine
from impact.loader import load_folder
from impact.queries import ProgrammeInfo, programme_info

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
D = dt.date.fromisoformat


# The programme of the small hand-built worlds in the tests: 100 participants declared, ideas counted from records.
TINY_PROGRAMME = """
    [[programme]]
    slug = "tiny"
    name = "Tiny hackathon"
    starts_on = 2020-01-01
    [[programme.figure]]
    key = "participants"
    label = "Participants"
    value = 100
    source = "the organisers"
    [[programme.challenge]]
    slug = "c1"
    name = "Challenge one"
    [[programme.challenge]]
    slug = "c2"
    name = "Challenge two"
    [[programme.metric]]
    slug = "people"
    label = "People reached"
    unit = "people"
    [[programme.metric]]
    slug = "pupils"
    label = "Pupils"
    unit = "pupils"
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    ensure_schema(engine)
    yield engine
    engine.dispose()


def write_folder(folder: Path, **files: str) -> Path:
    """Write files given as `name=text` (dots in names as double underscores: projects__csv)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def load(engine: Engine, folder: Path, **files: str):
    return load_folder(engine, write_folder(folder, **files), actor="test")


def info(engine: Engine, slug: str) -> ProgrammeInfo:
    programme = programme_info(engine, slug)
    assert programme is not None
    return programme


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    """A database holding the demo data set, loaded once for the session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    engine = make_engine(url)
    ensure_schema(engine)
    load_folder(engine, DEMO, actor="demo")
    engine.dispose()
    return url
