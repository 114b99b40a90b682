"""The read API (/api/v1/) over real HTTP against `python -m impact serve` on a free port, on both engines: figures
computed by hand from a small world, who may read what (anonymous, funders with and without a grant, staff, revoked
and expired tokens), 304s, CORS, bad parameters, rate limits, the OpenAPI document against the real answers, the
360Giving files, and 10,000 projects paged through."""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Engine, select

from impact.cli import main
from impact.domain.access import command_line
from impact.store import admin, auth, tokens
from impact.store.db import make_engine
from impact.store.models import ApiToken
from impact.store.schema import downgrade, head_revision
from tests.conftest import TINY_PROGRAMME, load, url_of
from tests.databases import ADMIN_URL, BACKENDS, sqlite_copy
from tests.servers import streamlit_server

CLI = command_line("tests")
GRANTS = {"GRANTS_PREFIX": "360G-test", "GRANTS_FUNDER_ID": "XI-TEST-1", "GRANTS_FUNDER_NAME": "Test Fund"}

# The tests' tiny programme, public, beside a private one.
PROGRAMMES = TINY_PROGRAMME.replace("starts_on = 2020-01-01\n", "starts_on = 2020-01-01\n    public = true\n", 1) + """
    [[programme]]
    slug = "secret"
    name = "Secret programme"
    starts_on = 2020-01-01
"""
PROJECTS = """
    programme,slug,name,challenge,team,contact_email,funding_amount,funding_currency
    tiny,a,A,c1,Team A,a@example.org,1000.00,EUR
    tiny,b,B,c2,,b@example.org,,
    tiny,c,C,,,,,
    secret,s,S,,,,500.00,EUR
"""
EVENTS = """
    project,status,effective_date,note
    a,idea,2020-02-01,
    a,funded,2020-03-01,
    a,launched,2020-06-01,
    b,idea,2020-02-01,
    b,funded,2020-04-01,
    b,discontinued,2020-08-01,Stopped.
    c,idea,2020-02-15,
    s,idea,2020-02-01,
    s,funded,2020-03-01,
"""
READINGS = """
    project,metric,as_of,value
    a,people,2020-06-10,10
    a,people,2020-07-01,30
    b,people,2020-05-01,5
    a,pupils,2020-06-10,3
"""
STAFF, GRANTED, UNGRANTED = "staff@example.org", "funder@example.org", "other@example.org"
PASSWORD = "an api test password"


def make_world(engine: Engine, folder: Path) -> dict[str, str]:
    """The world above with a staff member, a funder granted the secret programme and one granted nothing, each with
    a token: {email: token}."""
    load(engine, folder, programmes__toml=PROGRAMMES, projects__csv=PROJECTS,
         status_events__csv=EVENTS, reach_readings__csv=READINGS)
    admin.add_account(engine, CLI, STAFF, "staff", PASSWORD)
    admin.add_account(engine, CLI, GRANTED, "funder", PASSWORD, ["secret"])
    admin.add_account(engine, CLI, UNGRANTED, "funder", PASSWORD)
    return {email: tokens.issue_token(engine, CLI, email).token for email in (STAFF, GRANTED, UNGRANTED)}


@pytest.fixture
def world(engine, tmp_path):
    """The world in a database of this test's own; yields (engine, {email: token})."""
    return engine, make_world(engine, tmp_path / "world")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def serving(engine: Engine, issued: dict[str, str]):
    with streamlit_server(url_of(engine), **GRANTS) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield engine, issued, client


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    """One server on the world per engine for this module's tests that change nothing another test reads (a server
    takes seconds to start); yields (engine, {email: token}, an HTTP client on it)."""
    folder = tmp_path_factory.mktemp("api")
    if request.param == "sqlite":
        url = sqlite_copy(request.getfixturevalue("sqlite_schema"), folder)
    else:
        url = request.getfixturevalue("postgres").create()
    engine = make_engine(url)
    with serving(engine, make_world(engine, folder / "world")) as answers:
        yield answers
    engine.dispose()
    if request.param == "postgresql":
        request.getfixturevalue("postgres").drop(url)


def test_figures_equal_the_hand_computed_ones(served):
    _engine, issued, api = served
    listing = api.get("/api/v1/programmes")
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("application/json")
    assert listing.json() == {"programmes": [{"slug": "tiny", "name": "Tiny hackathon", "starts_on": "2020-01-01",
                                              "public": True}]}

    funnel = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01").json()
    assert funnel["as_of"] == "2020-05-01"
    assert [(s["stage"], s["projects"]) for s in funnel["stages"]] == [
        ("participants", 100), ("ideas_submitted", 3), ("funded", 2), ("launched", 0)]
    assert [s["share_of_previous"] for s in funnel["stages"]] == [None, 0.03, pytest.approx(2 / 3), 0.0]
    later = api.get("/api/v1/programmes/tiny/funnel", params={"as_of": "2020-12-31"}).json()
    assert [s["projects"] for s in later["stages"]] == [100, 3, 2, 1]  # a launched; b's discontinuation keeps it funded

    status = api.get("/api/v1/programmes/tiny/status?as_of=2020-12-31").json()
    assert status["funded"] == 2
    assert {s["status"]: s["projects"] for s in status["statuses"]} == {
        "funded": 0, "in_development": 0, "launched": 1, "discontinued": 1}

    reach = api.get("/api/v1/programmes/tiny/reach?as_of=2020-12-31").json()
    series = {m["metric"]: [(p["as_of"], p["value"], p["reading"]) for p in m["series"]] for m in reach["metrics"]}
    assert series == {
        "people": [("2020-05-01", 5, True), ("2020-06-10", 15, True), ("2020-07-01", 35, True),
                   ("2020-12-31", 35, False)],
        "pupils": [("2020-06-10", 3, True), ("2020-12-31", 3, False)]}
    pupils = api.get("/api/v1/programmes/tiny/reach?as_of=2020-12-31&metric=pupils").json()["metrics"]
    assert [m["metric"] for m in pupils] == ["pupils"] and pupils[0]["label"] == "Pupils"

    listed = api.get("/api/v1/programmes/tiny/projects?as_of=2020-12-31", headers=bearer(issued[UNGRANTED]))
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "3"
    assert listed.json()["projects"] == [
        {"slug": "a", "name": "A", "challenge": "Challenge one", "funded": True, "status": "launched",
         "status_since": "2020-06-01", "reach": 30, "reach_metric": "People reached", "reach_as_of": "2020-07-01"},
        {"slug": "b", "name": "B", "challenge": "Challenge two", "funded": True, "status": "discontinued",
         "status_since": "2020-08-01", "reach": 5, "reach_metric": "People reached", "reach_as_of": "2020-05-01"},
        {"slug": "c", "name": "C", "challenge": "(no challenge)", "funded": False, "status": "idea",
         "status_since": "2020-02-15", "reach": None, "reach_metric": None, "reach_as_of": None}]
    assert "example.org" not in listed.text and "contact" not in listed.text  # never contact data

    # CSV on request: by the address or by Accept, without a byte order mark.
    by_suffix = api.get("/api/v1/programmes/tiny/funnel.csv?as_of=2020-05-01")
    by_accept = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01", headers={"Accept": "text/csv"})
    assert by_suffix.headers["content-type"] == by_accept.headers["content-type"] == "text/csv; charset=utf-8"
    assert by_suffix.content == by_accept.content and not by_suffix.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(by_suffix.text)))
    assert [(r["stage"], r["projects"]) for r in rows] == [
        ("participants", "100"), ("ideas_submitted", "3"), ("funded", "2"), ("launched", "0")]
    reach_csv = list(csv.DictReader(io.StringIO(api.get("/api/v1/programmes/tiny/reach.csv?as_of=2020-12-31").text)))
    assert [(r["metric"], r["as_of"][:10], r["value"]) for r in reach_csv][:2] == [
        ("people", "2020-05-01", "5"), ("people", "2020-06-10", "15")]
    detail = api.get("/api/v1/programmes/tiny").json()
    assert detail["projects"] == 3 and [m["slug"] for m in detail["metrics"]] == ["people", "pupils"]
    assert detail["figures"][0]["value"] == 100


def test_who_reads_what(world):
    # On a server of its own: it revokes tokens and grants, and disables an account.
    with serving(*world) as (engine, issued, api):
        who_reads_what(engine, issued, api)


def who_reads_what(engine: Engine, issued: dict[str, str], api: httpx.Client) -> None:
    hidden = api.get("/api/v1/programmes/secret/funnel")
    unknown = api.get("/api/v1/programmes/no-such/funnel")
    # A private programme is answered exactly as one that does not exist.
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["message"].replace("secret", "X") == unknown.json()["message"].replace("no-such", "X")
    assert api.get("/api/v1/programmes/secret/funnel", headers=bearer(issued[UNGRANTED])).status_code == 404
    granted = api.get("/api/v1/programmes/secret/funnel?as_of=2020-12-31", headers=bearer(issued[GRANTED]))
    assert granted.status_code == 200 and [s["projects"] for s in granted.json()["stages"]] == [1, 1, 0]
    staff_list = api.get("/api/v1/programmes", headers=bearer(issued[STAFF])).json()["programmes"]
    assert [p["slug"] for p in staff_list] == ["secret", "tiny"]
    funder_list = api.get("/api/v1/programmes", headers=bearer(issued[GRANTED])).json()["programmes"]
    assert [p["slug"] for p in funder_list] == ["secret", "tiny"]

    # The project list is the portfolio's: staff and funders only.
    anonymous = api.get("/api/v1/programmes/tiny/projects")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"

    # Wrong, revoked and expired tokens, and a disabled account's, are refused; a revoked grant hides at once.
    assert api.get("/api/v1/programmes", headers=bearer("made-up")).status_code == 401
    assert api.get("/api/v1/programmes", headers={"Authorization": "Basic eDp5"}).status_code == 401
    with engine.connect() as conn:
        staff_token = conn.scalar(select(ApiToken.id).where(ApiToken.token_hash == auth.key_hash(issued[STAFF])))
    tokens.revoke_token(engine, CLI, staff_token)
    revoked = api.get("/api/v1/programmes", headers=bearer(issued[STAFF]))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]
    today = dt.date.today()
    expired = tokens.issue_token(engine, CLI, GRANTED, today - dt.timedelta(days=1), today=today - dt.timedelta(days=5))
    assert api.get("/api/v1/programmes", headers=bearer(expired.token)).status_code == 401
    admin.set_programmes(engine, CLI, GRANTED, [])
    assert api.get("/api/v1/programmes/secret/funnel", headers=bearer(issued[GRANTED])).status_code == 404
    admin.set_account_disabled(engine, CLI, UNGRANTED, True)
    assert api.get("/api/v1/programmes", headers=bearer(issued[UNGRANTED])).status_code == 401


def test_bad_input_is_a_json_error(served):
    _engine, issued, api = served
    staff = bearer(issued[STAFF])
    for path, code in [("/api/v1/programmes/tiny/funnel?as_of=2020-02-30", 400),
                       ("/api/v1/programmes/tiny/funnel?as_of=yesterday", 400),
                       ("/api/v1/programmes/tiny/reach?metric=nope", 404),
                       ("/api/v1/programmes/tiny/projects?page=0", 400),
                       ("/api/v1/programmes/tiny/projects?per_page=1001", 400),
                       ("/api/v1/programmes/tiny/projects?page=x", 400),
                       ("/api/v1/nothing/here", 404),
                       ("/api/v1/programmes/tiny", 200)]:
        answer = api.get(path, headers=staff)
        assert answer.status_code == code, path
        assert answer.headers["content-type"].startswith("application/json"), path
        if code != 200:
            assert answer.json()["status"] == code and answer.json()["message"], path
    assert api.get("/api/v1/programmes/tiny", headers={"Accept": "text/csv"}).status_code == 406
    assert api.post("/api/v1/programmes").status_code == 405  # read-only


def test_caching_headers_and_cors(served):
    engine, issued, api = served
    first = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01", headers={"Origin": "https://x.example"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Cache-Control"] == "public, max-age=60"
    tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == tag
    assert api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01",
                   headers={"If-Modified-Since": modified}).status_code == 304
    # Another address, format or reader is another answer.
    assert api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-02", headers={"If-None-Match": tag}).status_code == 200
    assert api.get("/api/v1/programmes/tiny/funnel.csv?as_of=2020-05-01",
                   headers={"If-None-Match": tag}).status_code == 200
    private = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01", headers=bearer(issued[STAFF]))
    assert private.headers["Cache-Control"] == "private, no-cache"
    assert "Access-Control-Allow-Origin" not in private.headers and private.headers["ETag"] != tag
    # A write anywhere changes the data version: the same address answers in full again.
    admin.add_account(engine, CLI, "new@example.org", "funder", PASSWORD)
    changed = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-05-01", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


STANDARD = Path(__file__).parent / "fixtures" / "threesixtygiving"  # the 360Giving schemas, see its README


def standard_errors(package: dict) -> list[str]:
    """What the 360Giving Data Standard's package schema (1.4.3, with its grant schema) finds wrong in `package`."""
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    grant = json.loads((STANDARD / "360-giving-schema.json").read_text(encoding="utf-8"))
    schema = json.loads((STANDARD / "360-giving-package-schema.json").read_text(encoding="utf-8"))
    grants_ref = schema["properties"]["grants"]["items"]["$ref"]  # the package names the grant schema by address
    # Read as JSON Schema 2020-12, which the files mean: their "$schema" misspells its address (http://, /draft/).
    registry = Registry().with_resources([(grant["$id"], DRAFT202012.create_resource(grant)),
                                          (grants_ref, DRAFT202012.create_resource(grant))])
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(package)]


def test_grants_as_360giving(served):
    _engine, issued, api = served
    assert api.get("/api/v1/programmes/tiny/grants.json").status_code == 401
    package = api.get("/api/v1/programmes/tiny/grants.json", headers=bearer(issued[STAFF])).json()
    assert package["grants"] == [{
        "id": "360G-test-a", "title": "A", "description": "A", "currency": "EUR", "amountAwarded": 1000.0,
        "awardDate": "2020-03-01", "fundingOrganization": [{"id": "XI-TEST-1", "name": "Test Fund"}],
        "recipientOrganization": [{"id": "360G-test-team-a", "name": "Team A"}]}]
    assert standard_errors(package) == []  # valid by the standard's own package schema
    broken = {**package, "grants": [{k: v for k, v in package["grants"][0].items() if k != "id"}]}
    # Without its id a grant is neither of the schema's two kinds (to an organisation, to an individual).
    assert [error.endswith("is not valid under any of the given schemas") for error in standard_errors(broken)] == [
        True]
    flat = api.get("/api/v1/programmes/tiny/grants.csv", headers=bearer(issued[UNGRANTED]))
    assert flat.status_code == 200 and flat.content.startswith(b"Identifier,Title,Description,Currency,")
    assert list(csv.DictReader(io.StringIO(flat.text)))[0]["Amount Awarded"] == "1000.0"
    assert api.get("/api/v1/programmes/secret/grants.csv", headers=bearer(issued[UNGRANTED])).status_code == 404


def test_the_openapi_document_describes_the_real_answers(served):
    _engine, issued, api = served
    doc = api.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")

    def check(template: str, path: str, code: str = "200", **headers: str) -> None:
        answer = api.get(path, headers=headers)
        assert str(answer.status_code) == code, path
        schema = doc["paths"][template]["get"]["responses"][code]["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": doc["components"]}).validate(answer.json())

    staff = bearer(issued[STAFF])
    check("/api/v1/health", "/api/v1/health")
    check("/api/v1/programmes", "/api/v1/programmes")
    check("/api/v1/programmes/{slug}", "/api/v1/programmes/tiny")
    check("/api/v1/programmes/{slug}/funnel", "/api/v1/programmes/tiny/funnel?as_of=2020-05-01")
    check("/api/v1/programmes/{slug}/status", "/api/v1/programmes/tiny/status")
    check("/api/v1/programmes/{slug}/reach", "/api/v1/programmes/tiny/reach")
    check("/api/v1/programmes/{slug}/projects", "/api/v1/programmes/tiny/projects?as_of=2020-12-31", **staff)
    check("/api/v1/programmes/{slug}/grants.json", "/api/v1/programmes/tiny/grants.json", **staff)
    check("/api/v1/programmes/{slug}/funnel", "/api/v1/programmes/tiny/funnel?as_of=x", "400")
    check("/api/v1/programmes/{slug}/funnel", "/api/v1/programmes/secret/funnel", "404")
    check("/api/v1/programmes/{slug}/projects", "/api/v1/programmes/tiny/projects", "401")
    served_paths = {route for route in doc["paths"]}
    assert served_paths == {"/api/v1/health", "/api/v1/programmes", "/api/v1/programmes/{slug}",
                            *(f"/api/v1/programmes/{{slug}}/{name}" for name in
                              ("funnel", "status", "reach", "projects", "grants.json", "grants.csv"))}


def test_rate_limit_and_wrong_tokens_per_client(world):
    engine, issued = world
    with streamlit_server(url_of(engine), TRUSTED_PROXIES="127.0.0.1", API_RATE_LIMIT="8") as base, \
            httpx.Client(base_url=base, timeout=60) as api:
        def get(client: str, **headers: str) -> httpx.Response:
            return api.get("/api/v1/programmes", headers={"X-Forwarded-For": client, **headers})

        assert [get("203.0.113.1").status_code for _ in range(8)] == [200] * 8
        limited = get("203.0.113.1")
        assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
        assert get("203.0.113.2").status_code == 200  # another client counts alone
        # Wrong tokens lock a client out as wrong passwords do; then even a right token is refused.
        assert [get("203.0.113.3", **bearer("guess")).status_code for _ in range(auth.LOCK_AFTER)] == [401] * 5
        locked = get("203.0.113.3", **bearer(issued[STAFF]))
        assert locked.status_code == 429 and "locked" in locked.json()["message"]
        assert get("203.0.113.4", **bearer(issued[STAFF])).status_code == 200
        assert all(get("203.0.113.1").status_code == 429 for _ in range(2))
        assert api.get("/api/v1/health", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 200


def test_health(world, request):
    engine, _issued = world
    with streamlit_server(url_of(engine)) as base:
        ok = httpx.get(f"{base}/api/v1/health", timeout=60)
        assert ok.status_code == 200 and ok.json() == {"status": "ok", "schema_revision": head_revision()}
        assert ok.headers["Cache-Control"] == "no-store"
        downgrade(engine, "-1")  # one migration behind the code
        behind = httpx.get(f"{base}/api/v1/health", timeout=60)
        assert behind.status_code == 503 and behind.json()["schema_revision"] < head_revision()
    if "sqlite" in request.node.callspec.id:
        missing = ADMIN_URL.rsplit("/", 1)[0] + "/impact_no_such_database"
        with streamlit_server(missing) as base:
            down = httpx.get(f"{base}/api/v1/health", timeout=60)
            assert down.status_code == 503 and down.json()["message"]


def test_tokens_on_the_command_line(world, monkeypatch, capsys):
    """`python -m impact token ...`, through the command line's own entry point in this process (as in
    test_cli.py): issue prints the token once, list shows its hint, revoke ends it, and a far expiry is refused."""
    engine, _issued = world
    monkeypatch.setenv("DATABASE_URL", url_of(engine))

    def impact(*args: str) -> str:
        code = main(list(args))
        printed = capsys.readouterr()
        assert code == 0, printed.err
        return printed.out

    printed = impact("token", "issue", "--email", GRANTED, "--expires", (dt.date.today() + dt.timedelta(days=7))
                     .isoformat()).splitlines()
    token = printed[-1]
    with engine.connect() as conn:
        stored = conn.execute(select(ApiToken.id, ApiToken.token_hash, ApiToken.hint)
                              .order_by(ApiToken.id.desc())).first()
    assert stored.token_hash == auth.key_hash(token) and token not in stored.token_hash  # only a hash stored
    assert tokens.token_actor(engine, token).name == GRANTED
    assert f"{stored.hint}…" in impact("token", "list")
    impact("token", "revoke", str(stored.id))
    with pytest.raises(auth.SignInError):
        tokens.token_actor(engine, token, client="203.0.113.9")
    assert main(["token", "issue", "--email", GRANTED, "--expires", "2999-01-01"]) == 1
    assert "at most" in capsys.readouterr().err


def test_ten_thousand_projects_paged_through(engine, tmp_path):
    rows = "\n".join(f"tiny,p{n:05d},Project {n:05d},,,,," for n in range(10_000))
    events = "\n".join(f"p{n:05d},{'funded' if n % 4 == 0 else 'idea'},2020-03-01," for n in range(10_000))
    load(engine, tmp_path / "big", programmes__toml=PROGRAMMES,
         projects__csv="programme,slug,name,challenge,team,contact_email,funding_amount,funding_currency\n" + rows,
         status_events__csv="project,status,effective_date,note\n" + events)
    admin.add_account(engine, CLI, STAFF, "staff", PASSWORD)
    token = tokens.issue_token(engine, CLI, STAFF).token
    seen: list[str] = []
    with streamlit_server(url_of(engine)) as base, httpx.Client(base_url=base, timeout=120,
                                                               headers=bearer(token)) as api:
        url = "/api/v1/programmes/tiny/projects?as_of=2020-12-31&per_page=1000"
        while url:
            answer = api.get(url)
            assert answer.status_code == 200
            body = answer.json()
            assert body["total"] == 10_000
            seen += [p["slug"] for p in body["projects"]]
            url = answer.links.get("next", {}).get("url")
        funded = api.get("/api/v1/programmes/tiny/funnel?as_of=2020-12-31").json()["stages"]
    assert seen == [f"p{n:05d}" for n in range(10_000)]
    assert [s["projects"] for s in funded] == [100, 10_000, 2_500, 0]
