"""The JSON API: campaigns, calls, their event logs and transcripts, and metrics.

The read routes only call the store's read methods and :mod:`mbs.api.reads`; the
control routes (:mod:`mbs.api.control`) change a campaign's state and nothing else,
and the console (:mod:`mbs.api.console`) is served by the same app. Routes are plain
functions, so FastAPI runs them in its worker threads and a slow query never stalls
the event loop (which, under ``mbs run --api-port``, is also the executor's).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.exposition import choose_encoder
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from mbs import __version__
from mbs.api import reads
from mbs.api.auth import Authenticator, Permission
from mbs.api.console import ConsoleConfig, forbidden_page, install_console, login_redirect
from mbs.api.control import control_router
from mbs.api.create import MAX_UPLOAD_BYTES
from mbs.api.docs import install_docs
from mbs.api.guard import Forbidden, NotAuthenticated, require
from mbs.api.limits import BodyLimit
from mbs.api.live import LiveCampaign, LiveRegistry
from mbs.api.metrics import build_registry
from mbs.api.models import (
    CallDetail,
    CallEvent,
    CallEvents,
    CallPage,
    CallSummary,
    CampaignDetail,
    CampaignSummary,
    ContactBrief,
    ErrorBody,
    Health,
    LiveSnapshot,
    LiveStatus,
)
from mbs.campaign.store import CampaignNotFound, CampaignStats, Store, StoreError
from mbs.campaign.store.records import CampaignInfo
from mbs.errors import MbsError
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

DESCRIPTION = """Campaigns in the mbs store: progress, calls, event logs, transcripts,
captured answers, Prometheus metrics at `/metrics`, and control (create, start, pause,
resume, cancel). Every route but `/health` needs `Authorization: Bearer KEY` (or a
console session)."""

MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024  # an upload and its form fields

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The store cannot be read."}
}


class ApiError(MbsError):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse(ErrorBody(error=error, detail=detail).model_dump(), status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        if exc.page:
            return login_redirect(request)
        response = _error(401, "unauthorized", "log in, or send Authorization: Bearer KEY")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if exc.page:
            return forbidden_page(request, exc.detail)
        return _error(403, "forbidden", exc.detail)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.error, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 413: "too_large"}.get(exc.status_code, "error")
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path} (see /docs)"
        return _error(exc.status_code, code, detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(CampaignNotFound)
    async def _no_campaign(request: Request, exc: CampaignNotFound) -> JSONResponse:
        return _error(404, "not_found", str(exc))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        return _error(503, "store_unavailable", str(exc))

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return _error(503, "store_unavailable", f"cannot read the store: {first}")


def _summary_fields(info: CampaignInfo, st: CampaignStats) -> dict[str, Any]:
    return {
        "name": info.name,
        "scenario": info.scenario,
        "program_hash": info.program_hash,
        "created_at": info.created_at,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "state": info.state,
        "contacts": st.contacts,
        "done": st.done,
        "in_flight": st.in_flight,
        "waiting": st.waiting,
        "calls": st.calls,
        "answered": st.answered,
        "answer_rate": st.answer_rate,
    }


def _live_model(c: LiveCampaign) -> LiveSnapshot:
    return LiveSnapshot(
        campaign=c.campaign,
        started=c.started,
        running=c.running,
        finished=c.finished,
        answered=c.answered,
        statuses=dict(c.statuses),
        results=dict(c.results),
        deferred=dict(c.deferred),
        objections_matched=c.objections_matched,
        freestyle_turns=c.freestyle_turns,
        talk_seconds=c.talk_seconds,
        talk_calls=c.talk_calls,
        errors=c.errors,
        waiting_until=c.waiting_until,
        updated_at=datetime.fromtimestamp(c.updated_at, UTC) if c.updated_at else None,
    )


def _call_summary(row: reads.CallRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "phone": row.phone,
        "attempt": row.attempt,
        "status": row.status,
        "result": row.result,
        "created_at": row.created_at,
        "dialled_at": row.dialled_at,
        "answered_at": row.answered_at,
        "ended_at": row.ended_at,
        "duration_s": row.duration_s,
        "hangup_cause": row.hangup_cause,
        "captures": row.captures,
        "objective_result": row.objective_result,
        "last_step": row.last_step,
    }


def create_app(
    store: Store,
    *,
    live: LiveRegistry | None = None,
    now: Callable[[], datetime] | None = None,
    base_dir: Path | None = None,
    console: ConsoleConfig | None = None,
) -> FastAPI:
    """The API over ``store``; ``live`` adds the executors' live counters.

    ``now`` is the clock campaign figures are computed at (``due_now``, ``next_due_at``):
    the wall clock by default, the campaign's simulated clock under ``mbs run``.
    Relative transcript paths are read under ``base_dir`` (default: the current
    directory, where ``mbs run`` writes them by default).
    """
    clock = now or (lambda: datetime.now(UTC))
    root = (base_dir or Path.cwd()).resolve()
    registry = build_registry(store, clock, live)
    app = FastAPI(
        title="mbs API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.store = store
    app.state.live = live
    app.state.metrics = registry
    app.state.auth = Authenticator(store, lambda: datetime.now(UTC))
    app.state.clock = clock
    app.state.base_dir = root
    app.state.console = console or ConsoleConfig()
    _install_error_handlers(app)

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    api = APIRouter(dependencies=[Depends(require(Permission.READ))])

    def campaign_info(name: str) -> CampaignInfo:
        info = store.get_campaign(name)
        if info is None:
            raise ApiError(404, "not_found", f"no campaign {name!r} in the store")
        return info

    def call_row(call_id: str) -> reads.CallRow:
        row = reads.get_call(store, call_id)
        if row is None:
            raise ApiError(404, "not_found", f"no call {call_id!r} in the store")
        return row

    def stored_file(stored: str | None) -> Path | None:
        if not stored:
            return None
        path = Path(stored)
        return path if path.is_absolute() else root / path

    def transcript_file(row: reads.CallRow) -> Path | None:
        return stored_file(row.transcript_path)

    @app.get("/health", response_model=Health, responses=UNAVAILABLE, tags=["status"])
    def health() -> Health:
        """The store answers (a trivial query runs)."""
        store.ping()
        return Health(status="ok", database=store.dialect, live=live is not None)

    @api.get(
        "/campaigns",
        response_model=list[CampaignSummary],
        responses=UNAVAILABLE,
        tags=["campaigns"],
    )
    def campaigns() -> list[CampaignSummary]:
        """Every campaign in the store, oldest first, with its counts."""
        at = clock()
        found = []
        for info in store.list_campaigns():
            try:
                st = store.stats(info.id, now=at)
            except CampaignNotFound:
                continue
            found.append(CampaignSummary(**_summary_fields(info, st)))
        return found

    @api.get(
        "/campaigns/{name}",
        response_model=CampaignDetail,
        responses={**NOT_FOUND, **UNAVAILABLE},
        tags=["campaigns"],
    )
    def campaign(name: str) -> CampaignDetail:
        """A campaign's progress: contacts by state, attempts by status and result."""
        info = campaign_info(name)
        st = store.stats(info.id, now=clock())
        snap = live.get(info.name) if live is not None else None
        return CampaignDetail(
            **_summary_fields(info, st),
            due_now=st.due_now,
            dialled=st.dialled,
            by_status=st.by_status,
            by_result=st.by_result,
            outcomes=st.outcomes,
            waiting_reasons=st.waiting_reasons,
            next_due_at=st.next_due_at,
            live=_live_model(snap) if snap is not None else None,
        )

    @api.get(
        "/campaigns/{name}/calls",
        response_model=CallPage,
        responses={**NOT_FOUND, **UNAVAILABLE},
        tags=["calls"],
    )
    def campaign_calls(
        name: str,
        status: Annotated[CallStatus | None, Query(description="Only this status.")] = None,
        result: Annotated[Result | None, Query(description="Only this result.")] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
        offset: Annotated[
            int, Query(ge=0, le=2**31 - 1, description="Calls to skip.")  # a SQL integer
        ] = 0,
    ) -> CallPage:
        """A campaign's call attempts, oldest first, filtered and paged."""
        info = campaign_info(name)
        page = reads.list_calls(
            store, info.id, status=status, result=result, limit=limit, offset=offset
        )
        after = offset + len(page.rows)
        return CallPage(
            campaign=info.name,
            total=page.total,
            limit=limit,
            offset=offset,
            next_offset=after if after < page.total else None,
            items=[CallSummary(**_call_summary(r)) for r in page.rows],
        )

    @api.get(
        "/calls/{call_id}",
        response_model=CallDetail,
        responses={**NOT_FOUND, **UNAVAILABLE},
        tags=["calls"],
    )
    def call(call_id: str) -> CallDetail:
        """One call attempt, as stored."""
        row = call_row(call_id)
        path = transcript_file(row)
        return CallDetail(
            **_call_summary(row),
            campaign=row.campaign,
            contact=ContactBrief(
                first_name=row.first_name, last_name=row.last_name, company=row.company
            ),
            retry_count=row.retry_count,
            freestyle_turns=row.freestyle_turns,
            objections=row.objections,
            recording_path=row.recording_path,
            transcript_path=row.transcript_path,
            transcript_available=path is not None and path.is_file(),
            program_hash=row.program_hash,
            policy=row.policy,
            worker_id=row.worker_id,
        )

    @api.get(
        "/calls/{call_id}/events",
        response_model=CallEvents,
        responses={**NOT_FOUND, **UNAVAILABLE},
        tags=["calls"],
    )
    def call_events(call_id: str) -> CallEvents:
        """The call's event log, in order (written when the call ends)."""
        if not reads.call_exists(store, call_id):
            raise ApiError(404, "not_found", f"no call {call_id!r} in the store")
        return CallEvents(
            call_id=call_id,
            events=[
                CallEvent(seq=seq, at=at, kind=kind, data=data)
                for seq, at, kind, data in store.events(call_id)
            ],
        )

    @api.get(
        "/calls/{call_id}/transcript",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {"text/plain": {}}, "description": "The transcript."},
            404: {"model": ErrorBody, "description": "No such call, or no transcript file."},
            500: {"model": ErrorBody, "description": "The file exists but cannot be read."},
            **UNAVAILABLE,
        },
        tags=["calls"],
    )
    def call_transcript(call_id: str) -> PlainTextResponse:
        """The call's transcript, as the executor wrote it (UTF-8 text)."""
        row = call_row(call_id)
        path = transcript_file(row)
        if path is None:
            raise ApiError(404, "not_found", f"call {call_id} has no transcript")
        if not path.is_file():
            raise ApiError(404, "not_found", f"the transcript of call {call_id} is missing: {path}")
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ApiError(
                500, "unreadable", f"cannot read the transcript {path}: {exc.strerror}"
            ) from None
        return PlainTextResponse(text)

    @api.get(
        "/calls/{call_id}/recording",
        response_class=FileResponse,
        responses={
            200: {"content": {"audio/wav": {}}, "description": "The recording (Range supported)."},
            404: {"model": ErrorBody, "description": "No such call, or no recording file."},
        },
        tags=["calls"],
    )
    def call_recording(call_id: str) -> FileResponse:
        """The call's recording; Range requests (206) let a player seek."""
        row = call_row(call_id)
        path = stored_file(row.recording_path)
        if path is None or not path.is_file():
            raise ApiError(404, "not_found", f"call {call_id} has no recording")
        return FileResponse(path, media_type="audio/wav")

    @api.get("/live", response_model=LiveStatus, tags=["status"])
    def live_status() -> LiveStatus:
        """Live counters of the executors feeding this API (``mbs run --api-port``)."""
        if live is None:
            return LiveStatus(attached=False, campaigns=[])
        return LiveStatus(attached=True, campaigns=[_live_model(c) for c in live.snapshot()])

    @api.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_PLAIN_0_0_4: {}}, "description": "Metrics."}},
        tags=["status"],
    )
    def metrics(request: Request) -> Response:
        """Prometheus exposition (store figures at scrape time, plus live counters).

        Text format 0.0.4 by default; OpenMetrics when the scraper's Accept asks for it.
        """
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(registry), headers={"Content-Type": content_type})

    install_docs(api, app)
    app.include_router(api)
    app.include_router(control_router(store, clock))
    install_console(app)
    return app
