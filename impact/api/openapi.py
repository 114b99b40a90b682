"""The OpenAPI 3.1 document of the read API, served at /api/v1/openapi.json (tests/test_api.py checks real answers
against its schemas)."""
from __future__ import annotations

from typing import Any

DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


SCHEMAS: dict[str, Any] = {
    "Error": _object({"status": {"type": "integer"}, "message": {"type": "string"}}),
    "Health": _object({"status": {"const": "ok"}, "schema_revision": {"type": "string"}}),
    "Programmes": _object({"programmes": {"type": "array", "items": _object({
        "slug": {"type": "string"}, "name": {"type": "string"}, "starts_on": NULLABLE_DATE,
        "public": {"type": "boolean"}})}}),
    "Programme": _object({
        "slug": {"type": "string"}, "name": {"type": "string"}, "country": {"type": ["string", "null"]},
        "starts_on": NULLABLE_DATE, "ends_on": NULLABLE_DATE, "description": {"type": "string"},
        "illustrative_note": {"type": "string"}, "public": {"type": "boolean"},
        "projects": {"type": "integer", "minimum": 0},
        "figures": {"type": "array", "items": _object({
            "key": {"type": "string"}, "label": {"type": "string"}, "value": {"type": "integer"},
            "source": {"type": "string"}, "note": {"type": "string"}})},
        "metrics": {"type": "array", "items": _object({
            "slug": {"type": "string"}, "label": {"type": "string"}, "unit": {"type": "string"},
            "definition": {"type": "string"}})},
    }),
    "Funnel": _object({"programme": {"type": "string"}, "as_of": DATE, "stages": {"type": "array", "items": _object({
        "stage": {"enum": ["participants", "ideas_submitted", "funded", "launched"]},
        "label": {"type": "string"}, "projects": {"type": "integer", "minimum": 0},
        "share_of_previous": {"type": ["number", "null"], "description": "this stage's count over the previous "
                              "stage's; null for the first stage and after a stage of 0"},
        "source": {"type": "string"}})}}),
    "Status": _object({
        "programme": {"type": "string"}, "as_of": DATE,
        "funded": {"type": "integer", "minimum": 0, "description": "projects funded by as_of"},
        "statuses": {"type": "array", "items": _object({
            "status": {"enum": ["funded", "in_development", "launched", "discontinued"]},
            "projects": {"type": "integer", "minimum": 0}})}}),
    "Reach": _object({"programme": {"type": "string"}, "as_of": DATE, "metrics": {"type": "array", "items": _object({
        "metric": {"type": "string"}, "label": {"type": "string"}, "unit": {"type": "string"},
        "series": {"type": "array", "items": _object({
            "as_of": DATE, "value": {"type": "integer", "minimum": 0},
            "reading": {"type": "boolean", "description": "false for the last value carried forward to as_of"}})},
    })}}),
    "Projects": _object({
        "programme": {"type": "string"}, "as_of": DATE, "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1}, "total": {"type": "integer", "minimum": 0},
        "projects": {"type": "array", "items": _object({
            "slug": {"type": "string"}, "name": {"type": "string"}, "challenge": {"type": "string"},
            "funded": {"type": "boolean"},
            "status": {"enum": ["idea", "funded", "in_development", "launched", "discontinued", None]},
            "status_since": NULLABLE_DATE, "reach": {"type": ["integer", "null"]},
            "reach_metric": {"type": ["string", "null"]}, "reach_as_of": NULLABLE_DATE},
        )}}),
    "Grants": {
        "description": "A 360Giving data package (the standard's JSON form, version 1.4).",
        **_object({"grants": {"type": "array", "items": _object({
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "amountAwarded": {"type": "number"},
            "awardDate": DATE,
            "fundingOrganization": {"type": "array", "items": _object({"id": {"type": "string"},
                                                                       "name": {"type": "string"}})},
            "recipientOrganization": {"type": "array", "items": _object({"id": {"type": "string"},
                                                                         "name": {"type": "string"}})}})}},
            {"version": {"type": "string"}, "title": {"type": "string"}, "issued": DATE})},
}

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
AS_OF = {"name": "as_of", "in": "query", "schema": DATE,
         "description": "the day the figures are for (YYYY-MM-DD; default: today); 400 for anything else"}
ERRORS = {code: {"description": text, "content": {"application/json": {"schema": _ref("Error")}}} for code, text in {
    "400": "a parameter is wrong (the message says which)",
    "401": "a token is needed, or the one sent is wrong, revoked or expired",
    "404": "no such programme, or not one the caller may read (the two are not told apart)",
    "429": "too many requests, or too many wrong tokens, from this address (see Retry-After)",
    "503": "the database is unavailable",
}.items()}


def _get(summary: str, schema: str, parameters: list[dict[str, Any]], csv: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": _ref(schema)}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": {"description": "the figures", "content": content},
                                  "304": {"description": "not modified since the ETag or date sent"}, **ERRORS}}}


def document() -> dict[str, Any]:
    paging = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
              {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}]
    metric = {"name": "metric", "in": "query", "schema": {"type": "string"}, "description": "only this metric"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hackathon impact dashboard: read API", "version": "1",
                 "description": "What became of the projects of civic hackathons: funnels, statuses, reach and "
                                "grants by address. Without a token, the public programmes' approved figures; "
                                "with a staff or funder API token (`Authorization: Bearer <token>`), what that "
                                "account may read. Add `.csv`, or send `Accept: text/csv`, for CSV."},
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{}, {"token": []}],
        "paths": {
            "/api/v1/health": {"get": {"summary": "whether the database answers at the schema this version needs",
                                       "security": [{}], "responses": {
                "200": {"description": "ready", "content": {"application/json": {"schema": _ref("Health")}}},
                "503": ERRORS["503"]}}},
            "/api/v1/programmes": _get("the programmes the caller may read", "Programmes", []),
            "/api/v1/programmes/{slug}": _get("a programme, its declared figures and reach metrics", "Programme",
                                              [SLUG], csv=False),
            "/api/v1/programmes/{slug}/funnel": _get("participants, ideas, funded and launched at as_of", "Funnel",
                                                     [SLUG, AS_OF]),
            "/api/v1/programmes/{slug}/status": _get("what became of the projects funded by as_of", "Status",
                                                     [SLUG, AS_OF]),
            "/api/v1/programmes/{slug}/reach": _get("reach over time per metric, carried forward to as_of",
                                                    "Reach", [SLUG, AS_OF, metric]),
            "/api/v1/programmes/{slug}/projects": _get(
                "projects with status and latest reach at as_of, by page (staff and funders; no contact data)",
                "Projects", [SLUG, AS_OF, *paging]),
            "/api/v1/programmes/{slug}/grants.json": _get(
                "funded projects as a 360Giving data package (staff and the programme's funders)", "Grants", [SLUG],
                csv=False),
            "/api/v1/programmes/{slug}/grants.csv": {"get": {
                "summary": "the same grants as 360Giving CSV (UTF-8 without a byte order mark)",
                "parameters": [SLUG], "responses": {"200": {"description": "the grants", "content": {
                    "text/csv": {"schema": {"type": "string"}}}}, **ERRORS}}},
        },
    }
