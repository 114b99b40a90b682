"""The read API's routes: /api/v1/..., JSON by default and CSV on request (`Accept: text/csv`, or `.csv`).

Who may read what is the dashboard's own rule (impact.domain.access): without a token, the public programmes'
approved figures; with a staff member's or funder's API token (impact.store.tokens), what that account may read
now. A programme the caller may not read is answered exactly as one that does not exist (404). Every answer but the
health check carries an ETag and Last-Modified from the data version (a 304 when nothing changed); answers without
a token are public (`Cache-Control: public`, CORS from any origin), answers with one private. Errors are JSON:
{"status": 400, "message": "..."}.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Callable, Optional
from urllib.parse import urlencode

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from impact.api import limits
from impact.api.openapi import document
from impact.domain.access import PUBLIC, Actor, may_download_report, may_open, may_read_programme
from impact.domain.values import aware, date
from impact.formats.cells import csv_bytes
from impact.formats.dataset import grant_records, grants_package
from impact.i18n import _, ngettext
from impact.settings import setting
from impact.store import auth, tokens
from impact.store.db import DatabaseUnavailable, database_url
from impact.store.portfolio import portfolio
from impact.store.queries import (
    ProgrammeInfo,
    funded_status_at,
    funnel_at,
    last_change,
    metrics,
    programme_info,
    programmes,
    reach_totals,
)
from impact.store.schema import current_revision, head_revision

PREFIX = "/api/v1"
PER_PAGE = 100
MAX_PER_PAGE = 1000
PUBLIC_MAX_AGE_S = 60
CSV = "text/csv; charset=utf-8"
GRANT_SETTINGS = ("GRANTS_PREFIX", "GRANTS_FUNDER_ID", "GRANTS_FUNDER_NAME")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass(frozen=True)
class Call:
    """One request as the endpoints see it: the database, who asks, and the query's parameters."""

    engine: Engine
    actor: Actor
    params: dict[str, str]
    url: str  # the address asked for, without its query


@dataclass(frozen=True)
class Answer:
    payload: dict[str, Any]
    table: Optional[pd.DataFrame] = None  # the rows a CSV answer holds; None: this address has no CSV
    headers: Optional[dict[str, str]] = None


# --- the endpoints ---------------------------------------------------------------------------------------------


def list_programmes(call: Call) -> Answer:
    frame = programmes(call.engine)
    readable = frame[[may_read_programme(call.actor, int(row.id), bool(row.public)) for row in frame.itertuples()]]
    table = readable.drop(columns=["id"]).reset_index(drop=True)
    return Answer({"programmes": records(table)}, table)


def programme(call: Call, slug: str) -> Answer:
    info = _programme(call, slug)
    figures = [{"key": f.key, "label": f.label, "value": f.value, "source": f.source, "note": f.note}
               for f in info.figures]
    return Answer({
        "slug": info.slug, "name": info.name, "country": info.country, "starts_on": _iso(info.starts_on),
        "ends_on": _iso(info.ends_on), "description": info.description, "illustrative_note": info.illustrative_note,
        "public": info.public, "projects": info.project_count, "figures": figures,
        "metrics": records(metrics(call.engine, info.id)),
    })


def funnel(call: Call, slug: str) -> Answer:
    info = _programme(call, slug)
    as_of = _as_of(call)
    table = funnel_at(call.engine, info, as_of)[["stage", "label", "projects", "share_of_previous", "source"]]
    return Answer({"programme": info.slug, "as_of": as_of.isoformat(), "stages": records(table)}, table)


def status(call: Call, slug: str) -> Answer:
    info = _programme(call, slug)
    as_of = _as_of(call)
    table = funded_status_at(call.engine, info.id, as_of)
    return Answer({"programme": info.slug, "as_of": as_of.isoformat(), "funded": int(table["projects"].sum()),
                   "statuses": records(table)}, table)


def reach(call: Call, slug: str) -> Answer:
    info = _programme(call, slug)
    as_of = _as_of(call)
    known = metrics(call.engine, info.id)
    wanted = call.params.get("metric")
    if wanted is not None and wanted not in set(known["slug"]):
        raise ApiError(404, _("The programme {programme} has no reach metric “{metric}”.", programme=info.slug,
                              metric=wanted))
    if wanted is not None:
        known = known[known["slug"] == wanted]
    totals = reach_totals(call.engine, info.id, as_of)
    totals = totals[totals["metric"].isin(known["slug"])].reset_index(drop=True)
    series = [{"metric": m.slug, "label": m.label, "unit": m.unit,
               "series": records(totals[totals["metric"] == m.slug].drop(columns=["metric"]))}
              for m in known.itertuples()]
    return Answer({"programme": info.slug, "as_of": as_of.isoformat(), "metrics": series}, totals)


PROJECT_COLUMNS = {"slug": "slug", "project": "name", "challenge": "challenge", "funded": "funded",
                   "status": "status", "status_since": "status_since", "reach": "reach",
                   "reach_metric": "reach_metric", "reach_as_of": "reach_as_of"}


def projects(call: Call, slug: str) -> Answer:
    info = _programme(call, slug)
    _check(may_open(call.actor, "portfolio"), call.actor,
           _("The list of projects is for programme staff and funders: send your API token."))
    as_of = _as_of(call)
    page, per_page = _whole(call, "page", 1, None), _whole(call, "per_page", PER_PAGE, MAX_PER_PAGE)
    table = _portfolio(call.engine, info.id, as_of, last_change(call.engine)[0])
    total = len(table)
    rows = table.iloc[(page - 1) * per_page:page * per_page].reset_index(drop=True)
    pages = max(1, math.ceil(total / per_page))
    links = []
    for rel, number in (("first", 1), ("prev", page - 1), ("next", page + 1), ("last", pages)):
        if 1 <= number <= pages:
            query = urlencode({**call.params, "page": number, "per_page": per_page})
            links.append(f'<{call.url}?{query}>; rel="{rel}"')
    return Answer({"programme": info.slug, "as_of": as_of.isoformat(), "page": page, "per_page": per_page,
                   "total": total, "projects": records(rows)}, rows,
                  {"Link": ", ".join(links), "X-Total-Count": str(total)})


@functools.lru_cache(maxsize=16)
def _portfolio(engine: Engine, programme_id: int, as_of: dt.date, version: int) -> pd.DataFrame:
    """The programme's projects (no contact data: the portfolio holds none) for each page of a listing, computed
    once per data version."""
    return portfolio(engine, [programme_id], as_of)[list(PROJECT_COLUMNS)].rename(columns=PROJECT_COLUMNS)


def grants(call: Call, slug: str) -> Answer:
    info = _programme(call, slug)
    _check(may_download_report(call.actor), call.actor,
           _("The grants file is for programme staff and the programme's funders: send your API token."))
    prefix, funder_id, funder_name = (setting(name) or "" for name in GRANT_SETTINGS)
    if not (prefix and funder_id and funder_name):
        raise ApiError(404, _("This dashboard publishes no 360Giving file: its operator has not set {names}.",
                              names=", ".join(GRANT_SETTINGS)))
    table = grant_records(call.engine, prefix, funder_id, funder_name, [info.slug])
    package = grants_package(table, _("Grants of {programme}", programme=info.name), dt.date.today().isoformat())
    return Answer(package, table)


# --- the health check and the description ------------------------------------------------------------------------


async def health(_request: Request) -> Response:
    """200 with the schema revision when the database answers at the revision this code needs; 503 otherwise."""
    from impact.ui.data import shared_engine

    def check() -> tuple[int, dict[str, Any]]:
        try:
            current = current_revision(shared_engine(database_url(), check_schema=False))
        except (DatabaseUnavailable, SQLAlchemyError):
            return 503, {"status": 503, "message": _("The database cannot be reached.")}
        if current != head_revision():
            return 503, {"status": 503, "schema_revision": current, "needed": head_revision(),
                         "message": _("The database's schema is not the one this version needs; an upgrade is "
                                      "under way or needed.")}
        return 200, {"status": "ok", "schema_revision": current}

    code, payload = await run_in_threadpool(check)
    return _json(payload, code, {"Cache-Control": "no-store"})


async def openapi(request: Request) -> Response:
    return _json(document(), 200, {"Cache-Control": f"public, max-age={PUBLIC_MAX_AGE_S}", **CORS})


async def not_found(request: Request) -> Response:
    return _json({"status": 404, "message": _("There is nothing at this address; /api/v1/openapi.json lists what "
                                              "there is.")}, 404, CORS)


def routes() -> list[BaseRoute]:
    """The API's routes: each endpoint at its address and, where it has rows, the same with `.csv`."""
    table: list[tuple[str, Callable[..., Answer], bool]] = [
        ("/programmes", list_programmes, True),
        ("/programmes/{slug}", programme, False),
        ("/programmes/{slug}/funnel", funnel, True),
        ("/programmes/{slug}/status", status, True),
        ("/programmes/{slug}/reach", reach, True),
        ("/programmes/{slug}/projects", projects, True),
    ]
    made: list[BaseRoute] = [Route(f"{PREFIX}/health", health, methods=["GET"]),
                             Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"])]
    for path, endpoint, has_csv in table:
        made.append(Route(PREFIX + path, _endpoint(endpoint, None), methods=["GET"]))
        if has_csv:
            made.append(Route(PREFIX + path + ".csv", _endpoint(endpoint, True), methods=["GET"]))
    made += [Route(f"{PREFIX}/programmes/{{slug}}/grants.json", _endpoint(grants, False), methods=["GET"]),
             Route(f"{PREFIX}/programmes/{{slug}}/grants.csv", _endpoint(grants, True), methods=["GET"]),
             Route(f"{PREFIX}/{{rest:path}}", not_found), Route(PREFIX, not_found)]
    return made


# --- what every endpoint shares ------------------------------------------------------------------------------------

CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag, Last-Modified, Link, X-Total-Count, Retry-After"}
_limit: Optional[limits.RateLimit] = None


def _endpoint(endpoint: Callable[..., Answer], as_csv: Optional[bool]):
    """The Starlette handler of an endpoint: `as_csv` True or False fixes the format by the address, None lets the
    Accept header choose."""

    async def handle(request: Request) -> Response:
        from impact.ui.web import client_address

        client = client_address(request)
        try:
            return await run_in_threadpool(_answer, request, endpoint, as_csv, client)
        except ApiError as error:
            public = "authorization" not in request.headers
            return _json({"status": error.status, "message": error.message}, error.status,
                         {**error.headers, "Cache-Control": "no-store", **(CORS if public else {})})

    return handle


def _answer(request: Request, endpoint: Callable[..., Answer], as_csv: Optional[bool], client: str) -> Response:
    global _limit
    if _limit is None:
        _limit = limits.RateLimit(limits.per_minute())
    wait = _limit.wait(client)
    if wait:
        raise ApiError(429, ngettext("Too many requests from your address; try again in {n} second.",
                                     "Too many requests from your address; try again in {n} seconds.", wait),
                       {"Retry-After": str(wait)})
    if as_csv is None:
        as_csv = _wants_csv(request.headers.get("accept", ""))
    from impact.ui.data import shared_engine

    try:
        engine = shared_engine(database_url())
        actor = _actor(request, engine, client)
        version, changed = last_change(engine)
        tag = _etag(request, actor, as_csv, version)
        headers = {"ETag": tag, "Vary": "Accept, Authorization",
                   "Cache-Control": (f"public, max-age={PUBLIC_MAX_AGE_S}" if not actor.signed_in
                                     else "private, no-cache"),
                   **(CORS if not actor.signed_in else {})}
        if changed is not None:
            headers["Last-Modified"] = format_datetime(aware(changed).astimezone(dt.timezone.utc), usegmt=True)
        if _not_modified(request, tag, changed):
            return Response(status_code=304, headers=headers)
        call = Call(engine, actor, dict(request.query_params), str(request.url.replace(query="")))
        answer = endpoint(call, **request.path_params)
    except DatabaseUnavailable as exc:
        raise ApiError(503, exc.public) from exc
    except SQLAlchemyError as exc:
        raise ApiError(503, DatabaseUnavailable("").public) from exc
    headers.update(answer.headers or {})
    if as_csv:
        if answer.table is None:
            raise ApiError(406, _("This address has no CSV form; ask for JSON."))
        return Response(csv_bytes(answer.table, bom=False), 200, headers, media_type=CSV)
    return _json(answer.payload, 200, headers)


def _actor(request: Request, engine: Engine, client: str) -> Actor:
    header = request.headers.get("authorization")
    if header is None:
        return PUBLIC
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, _("Send your API token as the header `Authorization: Bearer <token>`."),
                       {"WWW-Authenticate": "Bearer"})
    try:
        return tokens.token_actor(engine, token.strip(), client)
    except auth.Locked as exc:
        raise ApiError(429, str(exc), {"Retry-After": str(int(auth.LOCK_FOR.total_seconds()))}) from exc
    except auth.SignInError as exc:
        raise ApiError(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from exc


def _wants_csv(accept: str) -> bool:
    """CSV when the Accept header names text/csv before (or without) JSON."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if "text/csv" not in kinds:
        return False
    return "application/json" not in kinds or kinds.index("text/csv") < kinds.index("application/json")


def _etag(request: Request, actor: Actor, as_csv: bool, version: int) -> str:
    """The data version, and what else the answer depends on: the address, the format and what the caller may
    read."""
    scope = (actor.role, sorted(actor.programme_ids), as_csv, request.url.path, sorted(request.query_params.items()))
    return f'W/"{version}-{hashlib.sha256(repr(scope).encode()).hexdigest()[:16]}"'


def _not_modified(request: Request, tag: str, changed: Optional[dt.datetime]) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        given = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in given or tag.removeprefix("W/") in given
    since = request.headers.get("if-modified-since")
    if since is None or changed is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return aware(changed).replace(microsecond=0) <= when


def _programme(call: Call, slug: str) -> ProgrammeInfo:
    """The programme, if the caller may read it; the same 404 for one that does not exist and one they may not
    read, so that no answer tells that a private programme exists."""
    info = programme_info(call.engine, slug)
    if info is None or not may_read_programme(call.actor, info.id, info.public):
        raise ApiError(404, _("There is no programme “{slug}” that you may read.", slug=slug))
    return info


def _check(allowed: bool, actor: Actor, message: str) -> None:
    if not allowed:
        challenge = {} if actor.signed_in else {"WWW-Authenticate": "Bearer"}
        raise ApiError(403 if actor.signed_in else 401, message, challenge)


def _as_of(call: Call) -> dt.date:
    text = call.params.get("as_of")
    if text is None:
        return dt.date.today()
    day = date(text)
    if day is None:
        raise ApiError(400, _("“{text}” is not a date: write as_of as YYYY-MM-DD, such as 2021-03-31.", text=text))
    return day


def _whole(call: Call, name: str, default: int, most: Optional[int]) -> int:
    text = call.params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= (most or 10**9):
        raise ApiError(400, _("{name} is a whole number from 1 to {most}.", name=name, most=most or 10**9))
    return int(text)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: dates as YYYY-MM-DD, missing values as null, numbers as numbers."""
    return [{column: _cell(value) for column, value in row.items()} for row in frame.to_dict("records")]


def _cell(value: Any) -> Any:
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _iso(day: Optional[dt.date]) -> Optional[str]:
    return day.isoformat() if day else None


def _json(payload: dict[str, Any], status: int, headers: dict[str, str]) -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    return Response(body, status, headers, media_type="application/json")
