"""Who may do what: API keys and scopes, log-in, sessions, CSRF, roles, rate limiting."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from sqlalchemy import text

from mbs.api import create_app, serve_in_background, server_port, stop_background
from mbs.api.auth import LoginLimiter, hash_password
from mbs.campaign.state import CampaignState
from mbs.campaign.store import Store
from tests.api.conftest import LATER, LOADED_S, NOW, PASSWORD, Seeded, read_key, seed

MBS = str(Path(sys.executable).with_name("mbs"))


@contextlib.asynccontextmanager
async def log_in(
    base: str, user: str, password: str = PASSWORD
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        r = await post_login(c, {"username": user, "password": password, "next": "/console"})
        assert r.status_code == 303, r.text
        yield c


async def post_login(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    """Log in as the form does: its token (and the cookie that goes with it) first."""
    page = await client.get("/login")
    return await client.post("/login", data={**form, "csrf": csrf_of(page.text)})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def test_every_route_but_health_needs_a_key(base: str, seeded: Seeded) -> None:
    paths = ["/campaigns", "/campaigns/printemps", "/campaigns/printemps/calls", "/live"]
    paths += [f"/calls/{seeded.answered}", f"/calls/{seeded.answered}/events"]
    paths += [f"/calls/{seeded.answered}/transcript", "/metrics", "/docs", "/openapi.json"]
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as c:
        assert (await c.get("/health")).status_code == 200
        for path in paths:
            r = await c.get(path)
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"] == "Bearer"
            assert "+336" not in r.text and "Jeanne" not in r.text
        for path in paths[:2]:
            r = await c.get(path, headers={"Authorization": "Bearer mbs_wrong"})
            assert r.status_code == 401, path
        # console pages send an unknown visitor to the log-in page, and show nothing
        for page in (
            "/console",
            "/console/campaigns/printemps",
            f"/console/calls/{seeded.answered}",
        ):
            r = await c.get(page)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        r = await c.post("/campaigns/printemps/pause")
        assert r.status_code == 401


async def test_scopes(base: str, store: Store) -> None:
    read = read_key(store, "reader", "read")
    control = read_key(store, "pilot", "control")
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as c:
        r = await c.post("/campaigns/printemps/pause", headers=read)
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        r = await c.post("/campaigns/printemps/pause", headers=control)
        assert r.status_code == 200 and r.json() == {"name": "printemps", "state": "paused"}
        r = await c.post("/campaigns/printemps/pause", headers=control)
        assert r.status_code == 409 and "paused" in r.json()["detail"]
        r = await c.post("/campaigns/printemps/resume", headers=control)
        assert r.json()["state"] == "running"
        assert store.campaign_state("printemps") is CampaignState.RUNNING
        assert (await c.post("/campaigns/nope/pause", headers=control)).status_code == 404
        store.revoke_api_key("pilot", now=NOW)
        assert (await c.get("/campaigns", headers=control)).status_code == 401


async def test_bounded_query_parameters(base: str, store: Store) -> None:
    async with httpx.AsyncClient(base_url=base, headers=read_key(store), timeout=LOADED_S) as c:
        for query in ("limit=100000", "limit=0", "offset=-1", "status=NOPE", "limit=abc"):
            r = await c.get(f"/campaigns/printemps/calls?{query}")
            assert r.status_code == 422, query


async def test_log_in_session_cookie_and_csrf(base: str, seeded: Seeded) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as bare:
        r = await post_login(bare, {"username": "sam", "password": "nope nope nope"})
        assert r.status_code == 401 and "incorrect" in r.text
    async with log_in(base, "sam") as c:
        cookie = next(h for h in c.cookies.jar if h.name == "mbs_session")
        assert cookie.has_nonstandard_attr("HttpOnly")
        page = await c.get("/console/campaigns/printemps")
        assert page.status_code == 200 and "+33612345600" in page.text
        token = csrf_of(page.text)
        # a form without its token is refused, with it the campaign pauses
        r = await c.post("/console/campaigns/printemps/pause", data={})
        assert r.status_code == 403
        r = await c.post("/console/campaigns/printemps/pause", data={"csrf": "x" * 43})
        assert r.status_code == 403
        r = await c.post("/console/campaigns/printemps/pause", data={"csrf": token})
        assert r.status_code == 303
        assert "paused" in (await c.get("/console/campaigns/printemps")).text
        # the session also works for the JSON API (reads), and logs out
        assert (await c.get("/campaigns")).status_code == 200
        r = await c.post("/logout", data={"csrf": token})
        assert r.status_code == 303
        c.cookies.clear()
        assert (await c.get("/campaigns")).status_code == 401


async def test_set_cookie_attributes(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as c:
        r = await post_login(c, {"username": "vic", "password": PASSWORD})
        header = r.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=strict" in header and "path=/" in header


async def test_roles(base: str, seeded: Seeded) -> None:
    async with log_in(base, "vic") as viewer:
        page = await viewer.get("/console/campaigns/printemps")
        assert page.status_code == 200 and 'id="action-pause"' not in page.text
        assert (await viewer.get("/console/contacts")).status_code == 403
        assert (await viewer.get("/console/new")).status_code == 403
        token = csrf_of(page.text)
        r = await viewer.post("/console/campaigns/printemps/pause", data={"csrf": token})
        assert r.status_code == 403 and "may not control" in r.text
    async with log_in(base, "sam") as supervisor:
        page = await supervisor.get("/console/contacts")
        assert page.status_code == 200 and "Oublier" not in page.text  # admin only
        r = await supervisor.post(
            "/console/contacts/forget", data={"csrf": csrf_of(page.text), "phone": "+33612345600"}
        )
        assert r.status_code == 403


async def test_login_rate_limit(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as c:
        codes = []
        for _ in range(6):
            r = await post_login(c, {"username": "ada", "password": "wrong password"})
            codes.append(r.status_code)
        assert codes == [401] * 5 + [429]
        # even the right password waits now
        r = await post_login(c, {"username": "ada", "password": PASSWORD})
        assert r.status_code == 429 and "réessayez" in r.text


def test_limiter_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(attempts=2, window_s=60, clock=lambda: now[0])
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.retry_after("a") == 60
    now[0] = 61
    assert limiter.retry_after("a") == 0


def test_a_spray_of_names_neither_grows_the_limiter_nor_lifts_a_lock() -> None:
    """Checking names makes no entry; past the cap the stalest failures go, not the
    lock in force (the table used to be cleared whole once it held 10,000 names)."""
    now = [0.0]
    limiter = LoginLimiter(attempts=2, window_s=60, clock=lambda: now[0], max_keys=100)
    limiter.failed("user:ada", "ip:10.0.0.2")
    limiter.failed("user:ada", "ip:10.0.0.2")
    for n in range(5000):
        assert limiter.retry_after(f"user:x{n}", "ip:10.0.0.2") == 60
    assert len(limiter) == 2
    for n in range(500):  # failures from other addresses, each on a name of its own
        now[0] += 0.01
        limiter.failed(f"user:x{n}", f"ip:10.1.{n // 250}.{n % 250}")
    assert len(limiter) <= 100
    now[0] += 1
    limiter.failed("user:ada", "ip:10.0.0.2")  # still failing: still locked, newest
    assert limiter.retry_after("user:ada") > 0 and limiter.retry_after("ip:10.0.0.2") > 0


async def test_the_log_in_form_has_its_own_csrf_token(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as c:
        r = await c.post("/login", data={"username": "ada", "password": PASSWORD})
        assert r.status_code == 403 and "mbs_session" not in r.headers.get("set-cookie", "")
        await c.get("/login")  # the cookie, but another page's token
        r = await c.post("/login", data={"username": "ada", "password": PASSWORD, "csrf": "x"})
        assert r.status_code == 403


async def test_next_never_leaves_the_site(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=LOADED_S) as c:
        r = await post_login(
            c, {"username": "ada", "password": PASSWORD, "next": "//evil.example/x"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/console"


# ------------------------------------------------------------------ the commands


def run_mbs(*args: str, database: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MBS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database, "NO_COLOR": "1"},
    )


def test_user_and_key_commands(sqlite_url: str, tmp_path: Path) -> None:
    store = Store.open(sqlite_url)
    seed(store, tmp_path)
    store.close()
    # no user, no key: only loopback
    r = run_mbs("api", "--host", "0.0.0.0", "--port", "0", database=sqlite_url)
    assert r.returncode == 2 and "refusing to listen on 0.0.0.0" in r.stderr
    r = run_mbs("user", "add", "ada", "--role", "admin", database=sqlite_url, stdin="short\n")
    assert r.returncode == 2 and "at least 10 characters" in r.stderr
    r = run_mbs("user", "add", "ada", "--role", "boss", database=sqlite_url, stdin=PASSWORD + "\n")
    assert r.returncode == 2 and "unknown role" in r.stderr
    r = run_mbs("user", "add", "ada", "--role", "admin", database=sqlite_url, stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = run_mbs("api", "key", "create", "--name", "grafana", "--scope", "read", database=sqlite_url)
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip()
    assert secret.startswith("mbs_")
    store = Store.open(sqlite_url)
    try:
        user = store.get_user("ada")
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        with store.session() as s:
            stored = s.execute(text("SELECT key_hash FROM api_keys")).all()
        assert secret not in repr(stored)
    finally:
        store.close()
    listed = run_mbs("api", "key", "list", database=sqlite_url)
    assert listed.stdout.split()[:2] == ["grafana", "read"] and secret not in listed.stdout


async def test_create_a_campaign_from_an_upload(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    from mbs.api.console import ConsoleConfig

    store.add_user("sam", hash_password(PASSWORD), "supervisor", now=NOW)
    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    console = ConsoleConfig(scenarios_dir=scenarios, campaigns_dir=tmp_path / "campaigns")
    app = create_app(store, now=lambda: LATER, base_dir=tmp_path, console=console)
    task, server = await serve_in_background(app, "127.0.0.1", 0)
    good = "Prénom;Téléphone\nAnne;0611223344\nBob;pas un numéro\n".encode()
    try:
        async with log_in(f"http://127.0.0.1:{server_port(server)}", "sam") as c:
            form = await c.get("/console/new")
            assert "or_rdv.mbs" in form.text
            token = csrf_of(form.text)

            async def post(name: str, filename: str, data: bytes) -> httpx.Response:
                return await c.post(
                    "/console/new",
                    data={"csrf": token, "name": name, "scenario": "or_rdv.mbs"},
                    files={"contacts": (filename, data, "text/csv")},
                )

            r = await post("hiver", "liste.exe", good)
            assert r.status_code == 422 and "must be a .csv" in r.text
            r = await post("hiver", "big.csv", b"Nom;Telephone\n" + b"x" * 6_000_000)
            assert r.status_code == 413 and "too_large" in r.text
            r = await post("hiver", "nophone.csv", b"Nom;Ville\nA;Paris\n")
            assert r.status_code == 422 and "no phone column" in r.text
            r = await post("../evil", "liste.csv", good)
            assert r.status_code == 422 and "campaign name" in r.text
            r = await c.post(
                "/console/new",
                data={"csrf": token, "name": "hiver", "scenario": "../../etc/passwd"},
                files={"contacts": ("liste.csv", good, "text/csv")},
            )
            assert r.status_code == 422 and "unknown scenario" in r.text
            r = await post("hiver", "liste.csv", good)
            assert r.status_code == 303 and r.headers["location"] == "/console/campaigns/hiver"
            info = store.get_campaign("hiver")
            assert info is not None and info.state == "created"
            assert store.campaign_size("hiver") == 1
            assert (tmp_path / "campaigns" / "hiver.toml").is_file()
            r = await post("hiver", "liste.csv", good)
            assert r.status_code == 422 and "already exists" in r.text
            page = await c.get("/console/campaigns/hiver")
            assert 'id="action-start"' in page.text and 'id="action-resume"' not in page.text
    finally:
        await stop_background(task, server)


async def test_recording_with_range_requests(
    base: str, store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    wav = tmp_path / "recordings" / "printemps" / f"{seeded.answered}.wav"
    wav.parent.mkdir(parents=True)
    wav.write_bytes(b"RIFF" + bytes(range(256)) * 4)
    async with httpx.AsyncClient(base_url=base, headers=read_key(store), timeout=LOADED_S) as c:
        r = await c.get(f"/calls/{seeded.answered}/recording", headers={"Range": "bytes=4-7"})
        assert r.status_code == 206 and r.content == bytes(range(4))
        assert r.headers["content-range"] == f"bytes 4-7/{wav.stat().st_size}"
        assert (await c.get(f"/calls/{seeded.no_answer}/recording")).status_code == 404
        detail = (await c.get(f"/calls/{seeded.answered}")).json()
        assert detail["captures"] == {} and detail["objective_result"] is None
        assert (await c.get("/campaigns/printemps")).json()["state"] == "created"
    async with log_in(base, "vic") as viewer:
        r = await viewer.get(
            f"/console/calls/{seeded.answered}/recording", headers={"Range": "bytes=0-3"}
        )
        assert r.status_code == 206 and r.content == b"RIFF"


async def test_create_through_the_json_api(store: Store, seeded: Seeded, tmp_path: Path) -> None:
    from mbs.api.console import ConsoleConfig

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    console = ConsoleConfig(scenarios_dir=scenarios, campaigns_dir=tmp_path / "campaigns")
    app = create_app(store, base_dir=tmp_path, console=console)
    task, server = await serve_in_background(app, "127.0.0.1", 0)
    data = b"phone,first_name\n0611223344,Anne\n0611223355,Bob\nnope,Carl\n"
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server_port(server)}", timeout=LOADED_S
        ) as c:
            form = {"name": "api-made", "scenario": "vin_lead.mbs"}
            files = {"contacts": ("list.csv", data, "text/csv")}
            r = await c.post("/campaigns", data=form, files=files, headers=read_key(store, "r"))
            assert r.status_code == 403
            control = read_key(store, "c", "control")
            r = await c.post("/campaigns", data=form, files=files, headers=control)
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["state"] == "created" and body["contacts"] == 2
            assert len(body["rejected"]) == 1 and body["rejected"][0].startswith("row 4")
            r = await c.post("/campaigns/api-made/start", headers=control)
            assert r.json()["state"] == "running"
    finally:
        await stop_background(task, server)


async def test_a_chunked_body_is_bounded_like_a_declared_one(base: str, store: Store) -> None:
    """A body sent in chunks has no Content-Length: it is counted as it arrives and
    refused past the bound, with or without credentials, instead of read to its end."""
    sent = [0]

    async def endless() -> AsyncIterator[bytes]:
        head = b'--b\r\nContent-Disposition: form-data; name="contacts"; filename="a.csv"\r\n\r\n'
        yield head
        for _ in range(10_000):  # 640 MB if it were all read
            sent[0] += 65536
            yield b"x" * 65536

    headers = {"content-type": "multipart/form-data; boundary=b"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for extra in ({}, read_key(store, "c", "control")):
            sent[0] = 0
            try:
                r = await c.post("/campaigns", content=endless(), headers={**headers, **extra})
            except httpx.HTTPError:  # the server may close before the client has sent it all
                pass
            else:
                assert r.status_code == 413 and r.json()["error"] == "too_large", r.text
            assert sent[0] < 50 * 1024 * 1024  # refused long before the end


async def test_the_day_filter_takes_the_whole_calendar(base: str, seeded: Seeded) -> None:
    """The last day of the calendar has no next day: it was a 500 (OverflowError)."""
    async with log_in(base, "vic") as c:
        for day in ("9999-12-31", "0001-01-01", "2026-12-02"):
            r = await c.get(f"/console/campaigns/printemps?day={day}")
            assert r.status_code == 200, (day, r.text[:200])
        r = await c.get("/console/campaigns/printemps?day=2026-02-31")
        assert r.status_code == 422


async def test_opt_out_and_forget_read_a_number_as_typed(
    base: str, seeded: Seeded, store: Store
) -> None:
    """As the CLI and the blocklist form: "06 12 34 56 01" is +33612345601, and junk is
    refused without a forgotten-number row made of it."""
    from mbs.campaign.store.models import ForgottenNumber

    async with log_in(base, "ada") as admin:
        page = await admin.get("/console/contacts")
        token = csrf_of(page.text)

        async def post(action: str, phone: str) -> str:
            r = await admin.post(
                f"/console/contacts/{action}", data={"csrf": token, "phone": phone}
            )
            assert r.status_code == 303, r.text
            return (await admin.get(r.headers["location"])).text

        assert "+33612345601 ne sera plus appelé" in await post("opt-out", "06 12 34 56 01")
        assert "+33612345602 oublié" in await post("forget", "0612345602")
        assert "numéro invalide" in await post("forget", "abc\x01")
    assert store.get_contact("+33612345602") is None
    with store.session() as s:
        assert s.query(ForgottenNumber).count() == 1
