"""The control API: create a campaign, start, pause, resume, cancel it (CONTROL permission).

A state change is one row update in the store; every worker reads it before it claims,
so a pause holds on every machine within a few seconds and survives restarts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from mbs.api.auth import Permission
from mbs.api.create import MAX_UPLOAD_BYTES, CreateError, create_from_upload
from mbs.api.guard import require
from mbs.campaign.state import Action, CampaignState, TransitionRefused
from mbs.campaign.store import CampaignNotFound, Store


class StateBody(BaseModel):
    name: str
    state: CampaignState


class CreatedBody(BaseModel):
    name: str
    state: CampaignState
    contacts: int
    rejected: list[str]


async def read_upload(upload: UploadFile) -> bytes:
    """At most MAX_UPLOAD_BYTES + 1 bytes: enough to tell it is too big, no more."""
    return await upload.read(MAX_UPLOAD_BYTES + 1)


def _refused(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


def control_router(store: Store, clock: Callable[[], datetime]) -> APIRouter:
    router = APIRouter(dependencies=[Depends(require(Permission.CONTROL))], tags=["control"])

    def act(name: str, action: Action) -> StateBody | JSONResponse:
        try:
            state = store.control_campaign(name, action, now=datetime.now(UTC))
        except CampaignNotFound:
            return _refused(404, "not_found", f"no campaign {name!r} in the store")
        except TransitionRefused as exc:
            return _refused(409, "conflict", str(exc))
        return StateBody(name=name, state=state)

    for action in Action:

        def route(name: str, action: Action = action) -> StateBody | JSONResponse:
            return act(name, action)

        router.add_api_route(
            f"/campaigns/{{name}}/{action.value}",
            route,
            methods=["POST"],
            response_model=StateBody,
            summary=f"{action.value.capitalize()} a campaign",
            responses={404: {}, 409: {"description": "Not possible in the current state."}},
            name=f"campaign_{action.value}",
        )

    @router.post("/campaigns", response_model=CreatedBody, status_code=201)
    async def create(
        request: Request,
        name: Annotated[str, Form(max_length=80)],
        scenario: Annotated[str, Form(max_length=300)],
        contacts: Annotated[UploadFile, File()],
    ) -> CreatedBody | JSONResponse:
        """Create a campaign (state ``created``) from a scenario and a contact list."""
        data = await read_upload(contacts)
        cfg = request.app.state.console
        try:
            made = await run_in_threadpool(
                lambda: create_from_upload(
                    store,
                    name=name,
                    scenario=scenario,
                    filename=contacts.filename or "",
                    data=data,
                    scenarios_dir=cfg.scenarios_dir,
                    campaigns_dir=cfg.campaigns_dir,
                    defaults=cfg.defaults,
                    now=datetime.now(UTC),
                )
            )
        except CreateError as exc:
            return _refused(422, "invalid_request", str(exc))
        return CreatedBody(
            name=made.name,
            state=CampaignState.CREATED,
            contacts=made.contacts,
            rejected=made.rejected,
        )

    return router
