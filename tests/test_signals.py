"""Liveness signals (issue #19) against real servers on 127.0.0.1: websites that redirect, fail then answer, never
answer, show a self-signed certificate or redirect into a private network, and git repositories with dated commits
served by `git daemon`; the signals stored on both engines, and the contradictions they show."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.server
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from impact import cli
from impact.domain.access import FUNDER, Actor, NotAllowed, command_line
from impact.domain.fields import FieldError, repository
from impact.signals import run
from impact.signals.result import Checked
from impact.signals.settings import CheckSettings
from impact.store import signals as store
from impact.store.models import AuditEntry, Base, Project, Signal
from tests.conftest import TINY_PROGRAMME, load, url_of

STAFF = command_line("tests")
UTC = dt.timezone.utc
FAST = CheckSettings(timeout=1.0, retries=1, host_interval=0.0, allow=("127.0.0.1",))
# How often a test's web server looks whether it is asked to stop: shutdown() waits up to this long (0.5 s by default,
# which every test that starts one would spend waiting at its end).
POLL_S = 0.02


# --- servers ----------------------------------------------------------------------------------------------------


class Site(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, float, str]] = []  # path, when, User-Agent
        self.flaky = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Site

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append((self.path, time.monotonic(), self.headers.get("User-Agent", "")))
        if self.path == "/ok":
            self._answer(200, b"<html><body>Corona School</body></html>")
        elif self.path == "/redirect":
            self._answer(302, b"", location="/ok")
        elif self.path == "/flaky":
            self.server.flaky += 1
            self._answer(503 if self.server.flaky == 1 else 200, b"busy" if self.server.flaky == 1 else b"back")
        elif self.path == "/parked":
            self._answer(200, b"<h1>This domain is for sale!</h1> Buy this domain today.")
        elif self.path == "/private":
            self._answer(302, b"", location="http://10.255.255.1/admin")
        elif self.path == "/metadata":
            self._answer(301, b"", location="http://169.254.169.254/latest/meta-data/")
        elif self.path == "/big":
            self._answer(200, b"x" * 5_000_000)
        else:
            self._answer(404, b"no")

    def _answer(self, status: int, body: bytes, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the checker stops reading at its limit


@contextlib.contextmanager
def serving(server: Site) -> Iterator[Site]:
    """The server answering from a thread of its own until the block ends, then stopped and its socket closed."""
    threading.Thread(target=server.serve_forever, args=(POLL_S,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site():
    with serving(Site()) as server:
        yield server


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def self_signed(folder: Path, not_after: dt.datetime) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(dt.datetime(2024, 1, 1, tzinfo=UTC))
            .not_valid_after(not_after).sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_site(tmp_path):
    server = Site()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path, dt.datetime(2031, 6, 30, 12, 0, tzinfo=UTC)))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield server


def git(*args: str, cwd: Path, when: str = "2020-01-01T12:00:00+00:00") -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=30,
                   env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "Team",
                        "GIT_AUTHOR_EMAIL": "team@example.org", "GIT_COMMITTER_NAME": "Team",
                        "GIT_COMMITTER_EMAIL": "team@example.org", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


def make_repository(root: Path, name: str, commits: list[str]) -> Path:
    """A repository whose default branch ends with commits made at these times (the last one is the latest)."""
    work = root / name
    work.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=work)
    for number, when in enumerate(commits):
        (work / "file.txt").write_text(f"version {number}\n")
        git("add", "file.txt", cwd=work)
        git("commit", "--quiet", "-m", f"version {number}", cwd=work, when=when)
    return work


@pytest.fixture
def git_daemon(tmp_path):
    root = tmp_path / "repos"
    root.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={root}",
                                "--listen=127.0.0.1", f"--port={port}", str(root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("git daemon did not start")
            time.sleep(0.05)
    yield root, f"git://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


# --- a world ----------------------------------------------------------------------------------------------------


def world(engine, tmp_path, projects: list[tuple[str, str, str, str]]):
    """Projects (slug, website, repository, status reported on 2024-01-10) in the tiny programme."""
    rows = "".join(f"tiny,{slug},{slug.title()},,{website},{repo}\n" for slug, website, repo, _s in projects)
    events = "".join(f"{slug},{status},2024-01-10,As the team reported.\n"
                     for slug, _w, _r, status in projects if status)
    load(engine, tmp_path / "world", programmes__toml=TINY_PROGRAMME,
         projects__csv="programme,slug,name,challenge,website,repository\n" + rows,
         status_events__csv="project,status,effective_date,note\n" + events)


def signals_of(engine, slug: str) -> list[Signal]:
    with engine.connect() as conn:
        project_id = conn.scalar(select(Project.id).where(Project.slug == slug))
    frame = store.history(engine, project_id)
    return list(frame.itertuples(index=False))


def one(engine, slug: str, kind: str = "website"):
    (signal,) = [s for s in signals_of(engine, slug) if s.kind == kind]
    return signal


# --- websites -----------------------------------------------------------------------------------------------------


def test_a_redirect_is_followed_and_stored_with_its_final_address(engine, tmp_path, site):
    world(engine, tmp_path, [("moved", f"{site.base}/redirect", "", "launched")])
    summary = run.check(engine, STAFF, settings=FAST)
    assert (summary.projects, summary.checks, summary.up) == (1, 1, 1)
    signal = one(engine, "moved")
    assert (signal.ok, signal.http_status, signal.final_url) == (True, 200, f"{site.base}/ok")
    assert signal.tls_valid is None and signal.parked is False and signal.response_ms >= 0
    assert [path for path, _t, _ua in site.seen] == ["/redirect", "/ok"]
    assert all("HackathonImpactDashboard" in agent for _p, _t, agent in site.seen)
    with engine.connect() as conn:
        entry = conn.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id.desc())).first()
    assert tuple(entry) == ("cli:tests", "signals checked")


def test_a_check_started_where_an_event_loop_runs_still_checks(engine, tmp_path, site):
    # A notebook, or a test process driving a browser, runs an event loop in the thread that asks for the check.
    world(engine, tmp_path, [("moved", f"{site.base}/redirect", "", "launched")])

    async def asked_inside_a_loop():
        return run.check(engine, STAFF, settings=FAST)

    with ThreadPoolExecutor(1) as pool:  # a thread of its own: this one may run the browser tests' loop already
        summary = pool.submit(asyncio.run, asked_inside_a_loop()).result()
    assert (summary.projects, summary.checks, summary.up) == (1, 1, 1)
    assert one(engine, "moved").final_url == f"{site.base}/ok"


def test_a_503_is_retried_and_the_answer_after_it_counts(engine, tmp_path, site):
    world(engine, tmp_path, [("flaky", f"{site.base}/flaky", "", "launched")])
    run.check(engine, STAFF, settings=FAST)
    signal = one(engine, "flaky")
    assert (signal.ok, signal.http_status) == (True, 200)
    assert [path for path, _t, _ua in site.seen] == ["/flaky", "/flaky"]


def test_a_503_that_lasts_is_stored_as_down_after_the_retries(engine, tmp_path, site):
    world(engine, tmp_path, [("flaky", f"{site.base}/flaky", "", "launched")])
    run.check(engine, STAFF, settings=CheckSettings(timeout=1.0, retries=0, host_interval=0.0, allow=("127.0.0.1",)))
    signal = one(engine, "flaky")
    assert (signal.ok, signal.http_status, signal.detail) == (False, 503, "status:503")


def test_a_site_that_never_answers_times_out_within_its_bounds(engine, tmp_path, silent_port):
    world(engine, tmp_path, [("mute", f"http://127.0.0.1:{silent_port}/", "", "launched")])
    started = time.monotonic()
    run.check(engine, STAFF, settings=CheckSettings(timeout=0.5, retries=1, host_interval=0.0,
                                                      allow=("127.0.0.1",)))
    # two attempts of 0.5 s and a 0.5 s pause between them; well under 5 s whatever the machine's load
    assert time.monotonic() - started < 5
    signal = one(engine, "mute")
    assert (signal.ok, signal.http_status, signal.detail) == (False, None, "timeout")


def test_a_self_signed_certificate_answers_but_is_not_valid_and_its_expiry_is_kept(engine, tmp_path, tls_site):
    url = f"https://127.0.0.1:{tls_site.server_address[1]}/ok"
    world(engine, tmp_path, [("selfsigned", url, "", "launched")])
    run.check(engine, STAFF, settings=FAST)
    signal = one(engine, "selfsigned")
    assert (signal.ok, signal.http_status, signal.tls_valid) == (True, 200, False)
    expires = signal.tls_expires_at if signal.tls_expires_at.tzinfo else signal.tls_expires_at.replace(tzinfo=UTC)
    assert expires == dt.datetime(2031, 6, 30, 12, 0, tzinfo=UTC)


def test_a_redirect_into_a_private_network_is_refused_before_connecting(engine, tmp_path, site):
    world(engine, tmp_path, [("sneaky", f"{site.base}/private", "", "launched"),
                             ("cloud", f"{site.base}/metadata", "", "launched")])
    started = time.monotonic()
    run.check(engine, STAFF, settings=FAST)
    assert time.monotonic() - started < 5  # 10.255.255.1 would have hung until the timeout, twice
    for slug, target in (("sneaky", "http://10.255.255.1/admin"), ("cloud", "http://169.254.169.254/latest/meta-data/")):
        signal = one(engine, slug)
        assert (signal.ok, signal.http_status, signal.detail, signal.final_url) == (False, None, "private-address",
                                                                                   target)


def test_the_servers_own_address_is_refused_unless_the_setting_allows_it(engine, tmp_path, site):
    world(engine, tmp_path, [("local", f"{site.base}/ok", "", "launched")])
    run.check(engine, STAFF, settings=CheckSettings(timeout=1.0, retries=0, host_interval=0.0))
    signal = one(engine, "local")
    assert (signal.ok, signal.detail) == (False, "private-address")
    assert site.seen == []  # no request reached the server


def test_a_parked_domain_is_recognised_and_a_body_is_read_only_up_to_the_limit(engine, tmp_path, site):
    world(engine, tmp_path, [("parked", f"{site.base}/parked", "", "launched"),
                             ("big", f"{site.base}/big", "", "launched")])
    started = time.monotonic()
    run.check(engine, STAFF, settings=CheckSettings(timeout=2.0, retries=0, host_interval=0.0, max_bytes=1000,
                                                    allow=("127.0.0.1",)))
    assert time.monotonic() - started < 5
    assert (one(engine, "parked").ok, one(engine, "parked").parked) == (True, True)
    assert (one(engine, "big").ok, one(engine, "big").parked) == (True, False)


def test_one_request_per_host_per_second(engine, tmp_path, site):
    world(engine, tmp_path, [(f"p{n}", f"{site.base}/ok", "", "") for n in range(3)])
    run.check(engine, STAFF, settings=CheckSettings(timeout=2.0, retries=0, host_interval=1.0,
                                                    allow=("127.0.0.1",)))
    times = sorted(when for _p, when, _ua in site.seen)
    assert len(times) == 3
    # Measured where the requests arrive, on a busy 2-core machine: the client sends them a second apart, and
    # their arrival may jitter by some hundredths of a second either way.
    assert all(later - earlier >= 0.85 for earlier, later in zip(times, times[1:]))
    assert times[-1] - times[0] >= 1.9


def test_only_http_and_https_and_public_git_protocols(engine, tmp_path):
    with pytest.raises(FieldError):
        repository("ssh://git@example.org/team/app.git")
    with pytest.raises(FieldError):
        repository("file:///etc")
    assert repository("https://example.org/team/app.git") == "https://example.org/team/app.git"
    world(engine, tmp_path, [("plain", "http://127.0.0.1:9/", "", "launched")])
    with engine.begin() as conn:  # an address stored before the rules, or by hand
        conn.execute(Project.__table__.update().values(website="ftp://127.0.0.1/", repository="file:///etc"))
    run.check(engine, STAFF, settings=FAST)
    assert one(engine, "plain").detail == "scheme"
    assert one(engine, "plain", "repository").detail == "scheme"


# --- repositories -------------------------------------------------------------------------------------------------


def test_the_latest_commit_of_the_default_branch_is_read_over_git(engine, tmp_path, git_daemon):
    root, base = git_daemon
    make_repository(root, "old.git", ["2022-03-01T10:00:00+00:00", "2023-02-14T09:30:00+00:00"])
    recent = (dt.datetime.now(UTC) - dt.timedelta(days=10)).replace(microsecond=0)
    make_repository(root, "busy.git", ["2023-01-01T00:00:00+00:00", recent.isoformat()])
    world(engine, tmp_path, [("old", "", f"{base}/old.git", "in_development"),
                             ("busy", "", f"{base}/busy.git", "in_development"),
                             ("gone", "", f"{base}/missing.git", "in_development")])
    run.check(engine, STAFF, settings=CheckSettings(timeout=5.0, retries=0, host_interval=0.0,
                                                    allow=("127.0.0.1",)))
    old = one(engine, "old", "repository")
    stamp = old.last_commit_at if old.last_commit_at.tzinfo else old.last_commit_at.replace(tzinfo=UTC)
    assert (old.ok, stamp, old.detail) == (True, dt.datetime(2023, 2, 14, 9, 30, tzinfo=UTC), "branch:refs/heads/main")
    assert one(engine, "gone", "repository").ok is False
    found = store.contradiction_frame(engine, select(Project.id), dt.date.today())
    assert list(zip(found["slug"], found["code"], found["since"])) == [
        ("old", "development-quiet", dt.date(2023, 2, 14))]


def test_a_git_repository_on_a_private_address_is_refused(engine, tmp_path, git_daemon):
    root, base = git_daemon
    make_repository(root, "app.git", ["2024-01-01T00:00:00+00:00"])
    world(engine, tmp_path, [("app", "", f"{base}/app.git", "launched")])
    run.check(engine, STAFF, settings=CheckSettings(timeout=5.0, retries=0, host_interval=0.0))
    assert (one(engine, "app", "repository").ok, one(engine, "app", "repository").detail) == (False,
                                                                                             "private-address")


# --- contradictions -------------------------------------------------------------------------------------------------


def at(days_ago: int) -> dt.datetime:
    return dt.datetime.now(UTC) - dt.timedelta(days=days_ago)


def test_reported_live_with_the_website_down_for_30_days(engine, tmp_path, silent_port, site):
    world(engine, tmp_path, [("down", f"http://127.0.0.1:{silent_port}/", "", "launched"),
                             ("recent", f"http://127.0.0.1:{silent_port}/", "", "launched"),
                             ("back", f"{site.base}/ok", "", "launched")])
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Project.slug, Project.id)).all())
    url = f"http://127.0.0.1:{silent_port}/"
    store.record(engine, STAFF, [
        (ids["down"], Checked("website", url, checked_at=at(40), ok=True, http_status=200)),
        (ids["down"], Checked("website", url, checked_at=at(31), detail="timeout")),  # down since: 31 days ago
        (ids["down"], Checked("website", url, checked_at=at(20), detail="timeout")),
        (ids["recent"], Checked("website", url, checked_at=at(10), detail="timeout")),  # down 10 days only
        (ids["back"], Checked("website", url, checked_at=at(45), detail="timeout")),  # down then, up today
    ], "test")
    run.check(engine, STAFF, settings=CheckSettings(timeout=0.3, retries=0, host_interval=0.0,
                                                    allow=("127.0.0.1",)))
    found = store.contradiction_frame(engine, select(Project.id), dt.date.today())
    assert list(zip(found["slug"], found["code"], found["since"])) == [("down", "launched-down", at(31).date())]
    assert store.project_contradictions(engine, ids["back"], dt.date.today()) == []


def test_reported_discontinued_while_website_and_repository_are_active(engine, tmp_path, site, git_daemon):
    root, base = git_daemon
    recent = (dt.datetime.now(UTC) - dt.timedelta(days=5)).replace(microsecond=0)
    make_repository(root, "alive.git", [recent.isoformat()])
    make_repository(root, "ended.git", ["2023-06-01T00:00:00+00:00"])
    world(engine, tmp_path, [("alive", f"{site.base}/ok", f"{base}/alive.git", "discontinued"),
                             ("ended", f"{site.base}/ok", f"{base}/ended.git", "discontinued")])
    run.check(engine, STAFF, settings=CheckSettings(timeout=5.0, retries=0, host_interval=0.0,
                                                    allow=("127.0.0.1",)))
    found = store.contradiction_frame(engine, select(Project.id), dt.date.today())
    assert list(zip(found["slug"], found["code"], found["since"])) == [("alive", "discontinued-active",
                                                                        recent.date())]


# --- who may, the command line, the schema --------------------------------------------------------------------------


def test_only_staff_may_run_a_check(engine, tmp_path):
    world(engine, tmp_path, [("a", "https://example.org/", "", "launched")])
    with pytest.raises(NotAllowed):
        run.check(engine, Actor(FUNDER, "funder@example.org", account_id=1), settings=FAST)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Signal)) == 0


def test_the_command_checks_one_programme_or_project(engine, tmp_path, site, monkeypatch, capsys):
    world(engine, tmp_path, [("one", f"{site.base}/ok", "", "launched"), ("two", f"{site.base}/ok", "", "launched")])
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    monkeypatch.setenv("SIGNALS_ALLOW", "127.0.0.1")
    monkeypatch.setenv("SIGNALS_HOST_INTERVAL", "0")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli.main(["check", "--project", "two"]) == 0
    assert "Checked 1 project: 1 check, 1 answering." in capsys.readouterr().out
    assert [s.kind for s in signals_of(engine, "one")] == []
    assert cli.main(["check", "--programme", "tiny"]) == 0
    assert "Checked 2 projects: 2 checks, 2 answering." in capsys.readouterr().out
    assert cli.main(["check", "--programme", "nowhere"]) == 1
    assert "There is no programme 'nowhere'." in capsys.readouterr().err


def test_the_models_match_the_migrations(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []


# --- the pages ----------------------------------------------------------------------------------------------------


def test_staff_see_contradictions_and_check_a_project_from_its_page(engine, tmp_path, site, silent_port,
                                                                      monkeypatch):
    from tests.apptest import run as run_page

    url = f"http://127.0.0.1:{silent_port}/"
    world(engine, tmp_path, [("down", url, "", "launched"), ("fine", f"{site.base}/ok", "", "launched")])
    with engine.connect() as conn:
        down = conn.scalar(select(Project.id).where(Project.slug == "down"))
    store.record(engine, STAFF, [(down, Checked("website", url, checked_at=at(35), detail="timeout"))], "test")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    monkeypatch.setenv("SIGNALS_ALLOW", "127.0.0.1")
    monkeypatch.setenv("SIGNALS_HOST_INTERVAL", "0")
    monkeypatch.setenv("SIGNALS_TIMEOUT", "0.3")
    monkeypatch.setenv("SIGNALS_RETRIES", "0")
    page = run_page("pages/signals.py", programme="tiny")
    assert not page.exception
    (table,) = page.dataframe
    assert list(table.value["name"]) == ["Down"]
    staff_page = run_page("pages/project.py", project="fine")
    assert "Not checked yet." in [info.value for info in staff_page.info]
    next(button for button in staff_page.button if button.label == "Check now").click().run()
    assert [s.http_status for s in signals_of(engine, "fine")] == [200]
    assert any("answers" in md.value and "HTTP 200" in md.value for md in staff_page.markdown)
    funder = Actor(FUNDER, "funder@example.org", programme_ids=frozenset({1}))
    shown = run_page("pages/project.py", actor=funder, project="down")
    assert not shown.exception
    assert any("Checked automatically" in caption.value for caption in shown.caption)
    assert [w.value for w in shown.warning if "Reported live" in w.value] == []  # contradictions: staff only
    assert "Check now" not in [button.label for button in shown.button]
    assert [w.value for w in run_page("pages/project.py", project="down").warning
            if "Reported live" in w.value] == [
        f"Reported live, but the website has been down since {at(35).date().isoformat()} (35 days)."]


def test_staff_see_contradictions_on_the_portfolio_and_funders_do_not(engine, tmp_path, monkeypatch):
    from tests.apptest import run as run_page
    from tests.apptest import shown

    world(engine, tmp_path, [("down", "https://down.example/", "", "launched"),
                             ("fine", "https://fine.example/", "", "launched")])
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Project.slug, Project.id)).all())
    store.record(engine, STAFF, [
        (ids["down"], Checked("website", "https://down.example/", checked_at=at(50), ok=True, http_status=200)),
        (ids["down"], Checked("website", "https://down.example/", checked_at=at(33), detail="timeout")),
        (ids["down"], Checked("website", "https://down.example/", checked_at=at(1), http_status=503)),
        (ids["fine"], Checked("website", "https://fine.example/", checked_at=at(1), ok=True, http_status=200)),
    ], "test")
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    page = run_page("pages/portfolio.py", programme="tiny")
    assert not page.exception
    cells = shown(page).set_index("project")
    # Down since the first failed check after the last answer: 33 days ago, 30 or more while reported live.
    assert cells.loc["Down", "signals"] == f"Live, website down since {at(33).date().isoformat()}"
    assert cells.loc["Fine", "signals"] == "—"
    page.toggle(key="portfolio_contradictions_only").set_value(True).run()
    assert not page.exception
    assert list(page.dataframe[0].value["project"]) == ["Down"]
    funder = Actor(FUNDER, "funder@example.org", programme_ids=frozenset({1}))
    seen = run_page("pages/portfolio.py", actor=funder, programme="tiny")
    assert not seen.exception
    assert sorted(seen.dataframe[0].value["project"]) == ["Down", "Fine"]
    assert "signals" not in seen.dataframe[0].value.columns
    assert "portfolio_contradictions_only" not in [toggle.key for toggle in seen.toggle]
