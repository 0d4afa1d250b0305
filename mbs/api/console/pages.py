"""The console's routes: log-in, campaigns, a campaign, calls, live calls, contacts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from mbs.api import console_reads as cr
from mbs.api import reads
from mbs.api.auth import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    LoginLimiter,
    Permission,
    Principal,
    new_token,
    same,
)
from mbs.api.console.config import ConsoleConfig
from mbs.api.create import CreateError, create_from_upload, scenarios
from mbs.api.guard import require
from mbs.campaign.export_table import csv_text, export_table, xlsx_bytes
from mbs.campaign.phones import parse_phone
from mbs.campaign.state import TRANSITIONS, Action, CampaignState, TransitionRefused
from mbs.campaign.store import CampaignNotFound, Store
from mbs.campaign.store.records import CampaignInfo
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
PAGE_SIZE = 50
LOGIN_CSRF_COOKIE = "mbs_login_csrf"
STREAM_PERIOD_S = 1.0
STREAM_LIFETIME_S = 60.0  # then the browser reconnects (EventSource does it by itself)


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def forbidden_page(request: Request, detail: str) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": "Accès refusé", "message": detail, "me": None},
        status_code=403,
    )


def _safe_next(target: str) -> str:
    """Only a path on this site (never //other.host or http://...)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = round(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


templates.env.filters["duration"] = _fmt_duration
templates.env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M:%S") if d else "—"


def install_console(app: FastAPI) -> None:
    store: Store = app.state.store
    if not hasattr(app.state, "console"):
        app.state.console = ConsoleConfig()
    limiter = LoginLimiter()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    read = Depends(require(Permission.READ, page=True))
    control = Depends(require(Permission.CONTROL, page=True))
    contacts_perm = Depends(require(Permission.CONTACTS, page=True))
    admin = Depends(require(Permission.ADMIN, page=True))
    pages = APIRouter(include_in_schema=False)

    def render(
        request: Request,
        template: str,
        me: Principal | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        context.update(me=me, csrf=me.csrf if me else "", Permission=Permission)
        return templates.TemplateResponse(request, template, context, status_code=status_code)

    def campaign_or_404(name: str) -> CampaignInfo:
        info = store.get_campaign(name)
        if info is None:
            raise CampaignNotFound(f"no campaign {name!r} in the store")
        return info

    def clock() -> datetime:
        now: datetime = app.state.clock()
        return now

    # ------------------------------------------------------------------ log-in

    @pages.get("/")
    def root() -> RedirectResponse:
        return RedirectResponse("/console", status_code=303)

    def login_page(
        request: Request, next: str, error: str | None, status_code: int = 200
    ) -> HTMLResponse:
        # Before a session exists, the form's token is checked against a cookie of its
        # own (double submit): a third-party page cannot log a browser in.
        token = new_token()
        response = render(
            request,
            "login.html",
            None,
            status_code=status_code,
            next=_safe_next(next[:500]),
            error=error,
            login_csrf=token,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/login",
        )
        return response

    @pages.get("/login")
    def login_form(request: Request, next: str = "/console") -> HTMLResponse:
        return login_page(request, next, None)

    @pages.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=64)] = "",
        password: Annotated[str, Form(max_length=256)] = "",
        next: Annotated[str, Form(max_length=500)] = "/console",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not same(csrf, expected):
            return login_page(
                request, next, "Session expirée : rechargez la page et recommencez.", 403
            )
        client = f"ip:{request.client.host if request.client else '?'}"
        keys = (client, f"user:{username.lower()}")
        wait = limiter.retry_after(*keys)
        if wait > 0:
            return login_page(
                request, next, f"Trop d'essais : réessayez dans {int(wait) + 1} s.", 429
            )
        done = await run_in_threadpool(app.state.auth.log_in, username, password)
        if done is None:
            limiter.failed(*keys)
            return login_page(request, next, "Nom d'utilisateur ou mot de passe incorrect.", 401)
        limiter.succeeded(*keys)
        token, _ = done
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @pages.post("/logout")
    async def logout(request: Request, me: Principal = read) -> Response:
        if me.session_hash:
            await run_in_threadpool(store.drop_session, me.session_hash)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ campaigns

    def campaign_cards() -> list[dict[str, Any]]:
        at = clock()
        talk = reads.talk_times(store, [float("inf")])
        live = app.state.live
        cards = []
        for info in store.list_campaigns():
            try:
                st = store.stats(info.id, now=at)
            except CampaignNotFound:
                continue
            snap = live.get(info.name) if live is not None else None
            waiting = None
            if st.waiting and not st.due_now and st.next_due_at is not None:
                reasons = ", ".join(f"{k} {v}" for k, v in sorted(st.waiting_reasons.items()))
                waiting = f"prochain appel permis {st.next_due_at:%Y-%m-%d %H:%M} UTC" + (
                    f" ({reasons})" if reasons else ""
                )
            t = talk.get(info.id)
            cards.append(
                {
                    "name": info.name,
                    "state": info.state,
                    "scenario": Path(info.scenario).name if info.scenario else "—",
                    "contacts": st.contacts,
                    "done": st.done,
                    "in_flight": st.in_flight,
                    "waiting": st.waiting,
                    "calls": st.calls,
                    "answered": st.answered,
                    "by_result": st.by_result,
                    "talk_s": t.total_seconds if t else 0.0,
                    "window": waiting or ("dans la fenêtre légale" if st.due_now else "—"),
                    "running": snap.running if snap is not None else None,
                }
            )
        return cards

    @pages.get("/console")
    def campaigns_page(request: Request, me: Principal = read) -> HTMLResponse:
        return render(request, "campaigns.html", me, cards=campaign_cards())

    @pages.get("/console/stream")
    async def stream(request: Request, me: Principal = read) -> StreamingResponse:
        """Server-sent events: every second, each campaign's counters (no personal data)."""

        async def events() -> AsyncIterator[str]:
            last = ""
            yield "retry: 500\n\n"
            ends = asyncio.get_running_loop().time() + STREAM_LIFETIME_S
            while not await request.is_disconnected():
                if asyncio.get_running_loop().time() > ends:
                    break
                cards = await run_in_threadpool(campaign_cards)
                data = json.dumps(cards, ensure_ascii=False, default=str)
                if data != last:
                    yield f"event: campaigns\ndata: {data}\n\n"
                    last = data
                else:
                    yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_PERIOD_S)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @pages.get("/console/campaigns/{name}")
    def campaign_page(
        request: Request,
        name: str,
        status: Annotated[CallStatus | None, Query()] = None,
        result: Annotated[Result | None, Query()] = None,
        step: Annotated[str | None, Query(max_length=100)] = None,
        day: Annotated[date | None, Query()] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        me: Principal = read,
    ) -> HTMLResponse:
        info = campaign_or_404(name)
        st = store.stats(info.id, now=clock())
        steps = cr.step_counts(store, info.id)
        objective = cr.objective_reached(store, info.id)
        filt = cr.CallFilter(status=status, result=result, step=step or None, day=day)
        calls = cr.filtered_calls(
            store, info.id, filt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        query = {
            k: v
            for k, v in {
                "status": status.value if status else None,
                "result": result.value if result else None,
                "step": step or None,
                "day": day.isoformat() if day else None,
            }.items()
            if v
        }
        return render(
            request,
            "campaign.html",
            me,
            info=info,
            st=st,
            steps=steps,
            objective=objective,
            objections=cr.objection_counts(store, info.id),
            by_day=cr.results_by_day(store, info.id),
            calls=calls,
            filt=filt,
            page=page,
            pages=max(1, (calls.total + PAGE_SIZE - 1) // PAGE_SIZE),
            query=urlencode(query),
            statuses=list(CallStatus),
            results=list(Result),
            step_names=[s.step for s in steps],
            actions=[a for a in Action if CampaignState(info.state) in TRANSITIONS[a][0]],
            has_graph=app.state.console.graph is not None and bool(info.scenario),
        )

    @pages.get("/console/campaigns/{name}/graph.svg")
    def campaign_graph(name: str, me: Principal = read) -> Response:
        info = campaign_or_404(name)
        renderer = app.state.console.graph
        if renderer is None or not info.scenario:
            return PlainTextResponse("no graph", status_code=404)
        notes = {
            s.step: f"atteint {s.reached} · quitté {s.left} · incompris {s.unclear} · "
            f"repli {s.fallback} · objections {s.objections}"
            for s in cr.step_counts(store, info.id)
        }
        svg = renderer(info.scenario, notes)
        if svg is None:
            return PlainTextResponse("the scenario cannot be drawn", status_code=404)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @pages.post("/console/campaigns/{name}/{action}")
    def campaign_action(
        request: Request, name: str, action: Action, me: Principal = control
    ) -> Response:
        try:
            store.control_campaign(name, action, now=datetime.now(UTC))
        except CampaignNotFound:
            raise
        except TransitionRefused as exc:
            return render(
                request, "error.html", me, status_code=409, title="Impossible", message=str(exc)
            )
        return RedirectResponse(f"/console/campaigns/{quote(name)}", status_code=303)

    @pages.get("/console/campaigns/{name}/export.{fmt}")
    def campaign_export(name: str, fmt: str, me: Principal = read) -> Response:
        info = campaign_or_404(name)
        columns, rows = export_table(store, info.id)
        stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in info.name)
        if fmt == "csv":
            return Response(
                csv_text(columns, rows).encode("utf-8"),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
            )
        if fmt == "xlsx":
            return Response(
                xlsx_bytes(columns, rows, info.name),
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
            )
        return PlainTextResponse("export as .csv or .xlsx", status_code=404)

    # ------------------------------------------------------------------ new campaign

    @pages.get("/console/new")
    def new_form(request: Request, me: Principal = control) -> HTMLResponse:
        return render(
            request,
            "new.html",
            me,
            scenarios=scenarios(app.state.console.scenarios_dir),
            error=None,
            name="",
        )

    @pages.post("/console/new")
    async def new_campaign(
        request: Request,
        name: Annotated[str, Form(max_length=200)] = "",
        scenario: Annotated[str, Form(max_length=300)] = "",
        contacts: Annotated[UploadFile | None, File()] = None,
        me: Principal = control,
    ) -> Response:
        from mbs.api.control import read_upload

        cfg: ConsoleConfig = app.state.console
        data = await read_upload(contacts) if contacts is not None else b""
        try:
            made = await run_in_threadpool(
                lambda: create_from_upload(
                    store,
                    name=name,
                    scenario=scenario,
                    filename=(contacts.filename or "") if contacts is not None else "",
                    data=data,
                    scenarios_dir=cfg.scenarios_dir,
                    campaigns_dir=cfg.campaigns_dir,
                    defaults=cfg.defaults,
                    now=datetime.now(UTC),
                )
            )
        except CreateError as exc:
            return render(
                request,
                "new.html",
                me,
                status_code=422,
                scenarios=scenarios(cfg.scenarios_dir),
                error=str(exc),
                name=name,
            )
        return RedirectResponse(f"/console/campaigns/{quote(made.name)}", status_code=303)

    # ------------------------------------------------------------------ calls

    @pages.get("/console/live")
    def live_page(request: Request, me: Principal = read) -> HTMLResponse:
        return render(request, "live.html", me, calls=live_calls())

    def live_calls() -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        found: dict[str, dict[str, Any]] = {}
        live = app.state.live
        in_process = live.calls() if live is not None else {}
        for row in cr.calls_in_progress(store):
            extra = in_process.get(row.id, {})
            found[row.id] = {
                "id": row.id,
                "campaign": row.campaign,
                "phone": row.phone,
                "status": row.status,
                "elapsed": max(0.0, (now - row.started).total_seconds()),
                "step": extra.get("step"),
                "heard": extra.get("heard"),
                "lines": extra.get("lines", []),
            }
        return list(found.values())

    @pages.get("/console/live/calls.json")
    def live_json(me: Principal = read) -> Response:
        return Response(
            json.dumps(live_calls(), ensure_ascii=False, default=str),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    @pages.get("/console/calls/{call_id}")
    def call_page(request: Request, call_id: str, me: Principal = read) -> HTMLResponse:
        row = reads.get_call(store, call_id[:64])
        if row is None:
            return render(
                request,
                "error.html",
                me,
                status_code=404,
                title="Introuvable",
                message=f"aucun appel {call_id!r}",
            )
        transcript = None
        path = _file(app, row.transcript_path)
        if path is not None and path.is_file():
            transcript = path.read_text(encoding="utf-8", errors="replace")
        recording = _file(app, row.recording_path)
        with store.session() as s:
            from mbs.campaign.store.models import Call

            call = s.get(Call, row.id)
            captures = dict(call.captures or {}) if call is not None else {}
            objective = call.objective_result if call is not None else None
            last_step = call.last_step if call is not None else None
        return render(
            request,
            "call.html",
            me,
            row=row,
            events=store.events(row.id),
            transcript=transcript,
            has_recording=recording is not None and recording.is_file(),
            captures=captures,
            objective=objective,
            last_step=last_step,
        )

    @pages.get("/console/calls/{call_id}/recording")
    def call_recording(call_id: str, me: Principal = read) -> Response:
        row = reads.get_call(store, call_id[:64])
        path = _file(app, row.recording_path) if row is not None else None
        if path is None or not path.is_file():
            return PlainTextResponse("no recording", status_code=404)
        # FileResponse answers Range requests (206), so the audio element can seek.
        return FileResponse(path, media_type="audio/wav")

    # ------------------------------------------------------------------ contacts

    @pages.get("/console/contacts")
    def contacts_page(
        request: Request,
        q: Annotated[str, Query(max_length=100)] = "",
        message: Annotated[str, Query(max_length=200)] = "",
        me: Principal = contacts_perm,
    ) -> HTMLResponse:
        return render(
            request,
            "contacts.html",
            me,
            q=q,
            rows=cr.search_contacts(store, q),
            message=message,
        )

    def back(message: str) -> RedirectResponse:
        return RedirectResponse("/console/contacts?" + urlencode({"message": message}), 303)

    @pages.post("/console/contacts/opt-out")
    def contacts_opt_out(
        phone: Annotated[str, Form(max_length=20)], me: Principal = contacts_perm
    ) -> Response:
        try:  # stored in E.164, as the CLI and the blocklist form read it
            number = parse_phone(phone)
        except ValueError as exc:
            return back(f"numéro invalide : {exc}")
        done = store.opt_out(number, now=datetime.now(UTC))
        return back(f"{number} ne sera plus appelé" if done else f"aucun contact {number}")

    @pages.post("/console/contacts/blocklist")
    def contacts_blocklist(
        phone: Annotated[str, Form(max_length=20)] = "", me: Principal = contacts_perm
    ) -> Response:
        # as `mbs blocklist add` does: the list is matched on E.164, so a number kept as
        # typed ("+0612...", "06 12...") would block nobody
        try:
            number = parse_phone(phone)
        except ValueError as exc:
            return back(f"numéro invalide : {exc}")
        store.add_to_blocklist([number], source=f"console:{me.name}", now=datetime.now(UTC))
        return back(f"{number} ajouté à la liste d'opposition")

    @pages.post("/console/contacts/forget")
    def contacts_forget(
        phone: Annotated[str, Form(max_length=20)], me: Principal = admin
    ) -> Response:
        from mbs.campaign.privacy import forget

        try:  # as `mbs contacts forget`: the number in E.164, and nothing kept for junk
            number = parse_phone(phone)
        except ValueError as exc:
            return back(f"numéro invalide : {exc}")
        report = forget(store, number, now=datetime.now(UTC), base_dir=app.state.base_dir)
        if not report.found:
            return back(f"aucun contact {number} (son empreinte est gardée : jamais appelé)")
        return back(
            f"{number} oublié : {report.calls} appels, {report.files} fichiers effacés; "
            "son opposition est gardée sous forme d'empreinte"
        )

    app.include_router(pages)


def _file(app: FastAPI, stored: str | None) -> Path | None:
    if not stored:
        return None
    path = Path(stored)
    root: Path = app.state.base_dir
    return path if path.is_absolute() else root / path
