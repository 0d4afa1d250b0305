"""FastAPI dependencies that let a request through only with the permission it needs.

JSON routes answer 401 (with ``WWW-Authenticate: Bearer``) to an unknown caller and 403
to one whose role or scope lacks the permission; console pages send an unknown caller
to the log-in page instead. A request that changes something and comes with a session
cookie must carry the session's CSRF token (form field ``csrf`` or header
``X-CSRF-Token``); API keys are not sent by browsers on their own, so need none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from mbs.api.auth import SESSION_COOKIE, Authenticator, Permission, Principal, same

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticated(Exception):
    def __init__(self, page: bool) -> None:
        super().__init__("authentication required")
        self.page = page


class Forbidden(Exception):
    def __init__(self, detail: str, page: bool) -> None:
        super().__init__(detail)
        self.detail, self.page = detail, page


async def principal_of(request: Request) -> Principal | None:
    """The request's principal (looked up once per request, in a worker thread)."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    auth: Authenticator = request.app.state.auth
    found = await run_in_threadpool(
        auth.resolve,
        request.headers.get("authorization"),
        request.cookies.get(SESSION_COOKIE),
    )
    request.state.principal = found
    return found


async def csrf_ok(request: Request, principal: Principal) -> bool:
    if request.method in SAFE_METHODS or principal.kind != "user":
        return True
    expected = principal.csrf or ""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf")
            sent = value if isinstance(value, str) else None
    return bool(expected) and sent is not None and same(sent, expected)


def require(
    permission: Permission, *, page: bool = False
) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the principal, when it holds ``permission`` (and the CSRF token)."""

    async def dependency(request: Request) -> Principal:
        principal = await principal_of(request)
        if principal is None:
            raise NotAuthenticated(page)
        if not principal.can(permission):
            raise Forbidden(
                f"{principal.kind} {principal.name!r} ({principal.role}) may not "
                f"{permission.value}",
                page,
            )
        if not await csrf_ok(request, principal):
            raise Forbidden("missing or wrong CSRF token (reload the page)", page)
        return principal

    return dependency
