"""The HTTP API under ``/api/v1`` (FastAPI; the OpenAPI document is at ``/api/v1/openapi.json``).

Every error is JSON: ``{"error": {"code": ..., "message": ...}}`` (409 adds ``conflicts``).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from sortui import __version__
from sortui.domain.fielddef import unsafe_text
from sortui.server import availability, files, register, security, throttle, users
from sortui.server.changesets import Operation, Refused, apply_changeset
from sortui.server.db import reading, request_connection
from sortui.server.limits import BodyLimit
from sortui.server.users import User

PREFIX = "/api/v1"
DEFAULT_BODY_LIMIT = 5 * 1024 * 1024
MAX_INT = 2**31 - 1  # the largest number a query, a path or a body may carry (an INTEGER column holds it)
log = logging.getLogger("sortui.server")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers or {}


def json_response(obj: Any, status: int = 200) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def error_response(status: int, code: str, message: str, **details: Any) -> Response:
    return json_response({"error": {"code": code, "message": message, **details}}, status)


# -- request and response bodies ----------------------------------------------


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str
    user: dict[str, Any]


class OperationIn(BaseModel):
    target: Literal["entity", "location", "message"]
    key: str = Field(min_length=1, max_length=18)
    op: Literal["set", "move", "add", "remove", "create", "ean"] = Field(
        description="create: a unit under a provisional SOR id (no field; new = its first values); "
        "ean: a unit's location-number mode (field ean_mode; old/new = {ean_mode, location, messages})"
    )
    field: str | None = Field(default=None, max_length=200)
    old: Any = None
    new: Any = None
    base_version: int = Field(ge=0, le=MAX_INT)


class ChangesetIn(BaseModel):
    id: str = Field(
        min_length=1, max_length=100, description="client-generated; a retry with the same id is applied once"
    )
    operations: list[OperationIn]


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="may have several lines; no other control character")
    severity: Literal["info", "warning", "critical"] = "info"
    valid_until: str | None = Field(default=None, description="ISO time after which the message is no longer shown")

    @field_validator("text")
    @classmethod
    def _only_text(cls, text: str) -> str:
        # Shown in every client's status bar: the register's rule for a note (lines, no control characters).
        if problem := unsafe_text("text", text, multiline=True):
            raise ValueError(problem)
        return text


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no, unknown or expired token"},
    403: {"model": ErrorOut, "description": "not allowed for this user"},
}


# -- the app ------------------------------------------------------------------


def create_app(
    engine: Engine,
    token_minutes: int = users.DEFAULT_TOKEN_MINUTES,
    body_limit: int = DEFAULT_BODY_LIMIT,
    files_dir: Path | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:  # every process beats (server/availability.py)
        beats = availability.Heartbeats(engine)
        beats.start()
        # What start-up made lives as long as the process: out of the collector's way. A full collection
        # over it took 110 ms under load, every request in flight waiting; now a few ms.
        gc.freeze()
        yield
        beats.stop()

    app = FastAPI(
        title="sortui central service",
        version=__version__,
        description="The shared SOR register of sortui's working copies: sign-in, changesets, change feed, audit.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.token_minutes = token_minutes
    app.state.started = time.time()
    app.state.publisher = files.Publisher(engine, files_dir)  # the register's download files (files.py)
    app.add_middleware(ShortChangesets, engine=engine)  # inside BodyLimit: it reads the whole body first
    app.add_middleware(BodyLimit, limit=body_limit, error=_too_large)
    _add_error_handlers(app)
    _add_routes(app)
    app.include_router(files.router)
    return app


def _too_large(limit: int) -> Response:
    return error_response(413, "too_large", f"the request body is larger than {limit // (1024 * 1024)} MB")


def refusal_response(exc: ApiError | Refused) -> Response:
    """The answer to an ApiError or a Refused changeset (their exception handlers' and the short way's)."""
    answer = error_response(exc.status, exc.code, exc.message, **exc.details)
    if isinstance(exc, ApiError):
        answer.headers.update(exc.headers)
    return answer


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return refusal_response(exc)

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> Response:
        return refusal_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        first = problems[0] if problems else {"where": "", "message": "invalid request"}
        message = f"{first['where']}: {first['message']}" if first["where"] else first["message"]
        return error_response(422, "invalid_request", message, problems=problems[:20])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def crashed(_request: Request, exc: Exception) -> Response:
        log.error("internal error: %s", type(exc).__name__)
        return error_response(500, "internal", "the service failed to handle this request")


_bearer = HTTPBearer(auto_error=False, description="the token from POST /api/v1/auth/token")


async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The request's bearer token (401 without one); checked on the event loop: it reads no database."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "sign in first: POST /api/v1/auth/token, then send 'Authorization: Bearer'")
    return credentials.credentials


TokenDep = Annotated[str, Depends(bearer_token)]


def current_user(request: Request, token: TokenDep) -> User:
    return user_of(request, token)


def user_of(request: Request, token: str) -> User:
    """The signed-in user of ``token`` (401 for an unknown or expired one)."""
    user, expires_at = token_user(request.app.state.engine, token)
    request.state.token_expires_at = expires_at
    return user


def token_user(engine: Engine, token: str, conn: Connection | None = None) -> tuple[User, str | None]:
    """(the signed-in user of ``token``, when the token expires); ApiError 401 for an unknown or expired one."""
    user, expired, expires_at = users.user_for_token(engine, token, conn)
    if expired:
        raise ApiError(401, "token_expired", "the token has expired; sign in again")
    if user is None:
        raise ApiError(401, "unauthorized", "unknown token; sign in again")
    return user, expires_at


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != "admin":
        raise ApiError(403, "forbidden", f"{user.name} ({user.role}) is not an administrator")
    return user


UserDep = Annotated[User, Depends(current_user)]
AdminDep = Annotated[User, Depends(admin_user)]


def _add_routes(app: FastAPI) -> None:
    _auth_routes(app)
    _audit_routes(app)
    _register_routes(app)
    _status_routes(app)


def _auth_routes(app: FastAPI) -> None:
    @app.post(
        f"{PREFIX}/auth/token",
        response_model=TokenOut,
        responses={**ERRORS, 429: {"model": ErrorOut, "description": "too many failed sign-ins: see Retry-After"}},
        tags=["auth"],
    )
    def sign_in(body: TokenRequest, request: Request) -> Any:
        """A bearer token for a user name and password (default lifetime 8 hours).

        Repeated failures for a user name or from an address are throttled (429 with Retry-After,
        growing delays; see ``server/throttle.py``)."""
        engine = request.app.state.engine
        address = request.client.host if request.client else "unknown"
        wait = throttle.blocked(engine, body.name, address)
        if wait is not None:
            log.warning("sign-in refused from %s: throttled for %d s", address, wait.retry_after)
            raise ApiError(
                429,
                "throttled",
                f"too many failed sign-ins for this user name or from this address; try again in {wait.retry_after} s",
                headers={"Retry-After": str(wait.retry_after)},
                retry_after=wait.retry_after,
            )
        try:
            issued, account = users.issue_token(engine, body.name, body.password, request.app.state.token_minutes)
        except security.HashingBusy:
            raise ApiError(503, "busy", "too many sign-ins at once; try again", headers={"Retry-After": "1"}) from None
        if issued is None:
            throttle.failed(engine, body.name, address, account)
            log.info("sign-in refused from %s (wrong user name or password)", address)  # the name may be a password
            raise ApiError(401, "bad_credentials", "wrong user name or password")
        throttle.succeeded(engine, body.name, address)
        log.info("signed in: %s", issued.user.name)
        return {"token": issued.token, "expires_at": issued.expires_at, "user": issued.user.as_json()}

    @app.delete(f"{PREFIX}/auth/token", status_code=204, responses=ERRORS, tags=["auth"])
    def sign_out(
        request: Request,
        user: UserDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Response:
        """Revoke the token this request was sent with."""
        assert credentials is not None
        users.revoke_token(request.app.state.engine, credentials.credentials)
        log.info("signed out: %s", user.name)
        return Response(status_code=204)

    @app.get(f"{PREFIX}/auth/me", responses=ERRORS, tags=["auth"])
    def me(user: UserDep, request: Request) -> dict[str, Any]:
        """The signed-in user: name, role, the subtrees an editor may change, and when this token expires."""
        return {**user.as_json(), "token_expires_at": request.state.token_expires_at}


def _audit_routes(app: FastAPI) -> None:
    @app.get(f"{PREFIX}/audit/sign-ins", responses=ERRORS, tags=["audit"])
    def get_sign_ins(
        request: Request, _user: AdminDep, limit: Annotated[int, Query(ge=1, le=register.MAX_PAGE)] = 100
    ) -> Response:
        """The sign-in audit log, newest first, with the failed sign-ins of the last 24 hours (administrators)."""
        return json_response(throttle.recent_events(request.app.state.engine, limit))


def _register_routes(app: FastAPI) -> None:
    @app.get(f"{PREFIX}/units/{{sor_id}}", responses=ERRORS, tags=["register"])
    def get_unit(sor_id: str, request: Request, _user: UserDep) -> Response:
        """A unit's own values and version."""
        with reading(request.app.state.engine) as conn:
            found = register.unit(conn, sor_id)
        if found is None:
            raise ApiError(404, "not_found", f"no unit with SOR-kode {sor_id}")
        return json_response(found)

    @app.get(f"{PREFIX}/units/{{sor_id}}/history", responses=ERRORS, tags=["register"])
    def get_history(
        sor_id: str,
        request: Request,
        _user: UserDep,
        limit: Annotated[int, Query(ge=1, le=register.MAX_PAGE)] = 100,
        before: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    ) -> Response:
        """The audit log of a unit and its location numbers, newest first: who, when, before and after."""
        with reading(request.app.state.engine) as conn:
            if register.unit(conn, sor_id) is None:
                raise ApiError(404, "not_found", f"no unit with SOR-kode {sor_id}")
            return json_response({"sor_id": sor_id, "changes": register.history(conn, sor_id, limit, before)})

    @app.get(f"{PREFIX}/locations/{{gln}}", responses=ERRORS, tags=["register"])
    def get_location(gln: str, request: Request, _user: UserDep) -> Response:
        """A location number's attributes, message types and version."""
        with reading(request.app.state.engine) as conn:
            found = register.location(conn, gln)
        if found is None:
            raise ApiError(404, "not_found", f"no lokationsnummer {gln}")
        return json_response(found)

    @app.post(
        f"{PREFIX}/changesets",
        responses={**ERRORS, 409: {"model": ErrorOut, "description": "conflicts: nothing applied"}},
        tags=["register"],
    )
    def post_changeset(body: ChangesetIn, request: Request, token: TokenDep) -> Response:
        """Apply the operations atomically, once per changeset id; 409 lists every conflicting item.

        Units created under provisional ids get real SOR ids: ``created`` maps one to the other.
        """
        # Most requests take the short way (ShortChangesets) to the same function.
        return changeset_answer(request.app.state.engine, token, body)

    @app.get(f"{PREFIX}/changes", responses=ERRORS, tags=["register"])
    def get_changes(
        request: Request,
        _user: UserDep,
        since: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
        limit: Annotated[int, Query(ge=1, le=register.MAX_PAGE)] = 1000,
    ) -> Response:
        """The change feed after sequence number ``since``, oldest first."""
        with reading(request.app.state.engine) as conn:
            return json_response(register.changes(conn, since, limit))

    @app.get(f"{PREFIX}/snapshot", responses=ERRORS, tags=["register"])
    def get_snapshot(request: Request, _user: UserDep) -> StreamingResponse:
        """Every unit and location number as JSON lines (header, records, end), for an empty working copy."""
        return StreamingResponse(register.snapshot_lines(request.app.state.engine), media_type="application/x-ndjson")


def changeset_answer(engine: Engine, token: str, body: ChangesetIn) -> Response:
    """POST /changesets after its token and body were read: in a thread of the pool (it waits for the database)."""
    with request_connection(engine) as conn:  # one checkout (and ping) for the token, the changeset, the feed
        user, _expires = token_user(engine, token, conn)  # here, not as a dependency: one hand-over to a thread
        ops = [Operation(o.target, o.key, o.op, o.field, o.old, o.new, o.base_version) for o in body.operations]
        result = apply_changeset(engine, user, body.id, ops, conn)
    verb = "replayed" if result.get("replayed") else "applied"
    log.info("changeset %s %s for %s: %d operations", body.id, verb, user.name, len(ops))
    return json_response(result)


CHANGESETS_PATH = f"{PREFIX}/changesets"


class ShortChangesets:
    """POST /changesets with a bearer token and a valid JSON body, answered without FastAPI's routing.

    The route's own way (FastAPI's routing, dependencies and the middleware inside this one) was a
    seventh of the service's CPU per changeset (benchmarks/README.md). This takes the requests
    that way hands to ``changeset_answer`` as they are: it reads the token and the body as the
    route does (HTTPBearer's parsing, ``json.loads``, the same model) and calls it in the same
    thread pool. Anything else (no token or another scheme, another content type, a body that does
    not parse or validate, FastAPI's own telemetry switched on) goes the route's way, which answers
    it as before. ``tests/test_server_short_way.py`` holds the two ways' answers side by side.
    """

    def __init__(self, app: Any, engine: Engine):
        self.app, self.engine = app, engine

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != CHANGESETS_PATH
            or scope["method"] != "POST"
            or scope.get("root_path")
            or "fastapi.telemetry" in scope
        ):
            await self.app(scope, receive, send)
            return
        message = await receive()
        token, body = _short_request(scope, message)
        if token is None or body is None:
            await self.app(scope, _replayed(message, receive), send)
            return
        try:
            answer = await run_in_threadpool(changeset_answer, self.engine, token, body)
        except (ApiError, Refused) as exc:
            answer = refusal_response(exc)
        await answer(scope, receive, send)


def _short_request(scope: Any, message: Any) -> tuple[str | None, ChangesetIn | None]:
    """(the bearer token, the valid body) as the route reads them, or None for what it does not take."""
    if message["type"] != "http.request" or message.get("more_body", False):
        return None, None
    authorization = content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        return None, None
    if content_type is None or content_type.partition(";")[0].strip().lower() != "application/json":
        return None, None
    try:
        return credentials, ChangesetIn.model_validate(json.loads(message.get("body", b"")))
    except Exception:  # not JSON, too deep, not a changeset: the route answers it
        return None, None


def _replayed(message: Any, receive: Any) -> Any:
    """``receive`` with ``message``, already received, given once more first."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return message
        return await receive()

    return replay


def _status_routes(app: FastAPI) -> None:
    @app.get(f"{PREFIX}/status", tags=["status"])
    def get_status(request: Request) -> Response:
        """Service status: version, database kind, uptime of the answering process, the change feed's head,
        availability over the last 30 days against the register's 95 % SLA (from the service's own
        heartbeats, see ``server/availability.py``), and the current operating messages (driftsbeskeder),
        newest first. No sign-in needed."""
        engine = request.app.state.engine
        started = request.app.state.started
        with reading(engine) as conn:
            body = {
                **register.status(conn),
                "version": __version__,
                "database": engine.dialect.name,
                "process": os.getpid(),
                "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
                "uptime_s": round(time.time() - started, 1),
                "availability": availability.availability(conn),
            }
        return json_response(body)

    @app.post(f"{PREFIX}/messages", status_code=201, responses=ERRORS, tags=["status"])
    def post_message(body: MessageIn, request: Request, user: AdminDep) -> Response:
        """Publish an operating message (administrators)."""
        created = register.post_message(request.app.state.engine, user.name, body.text, body.severity, body.valid_until)
        return json_response(created, 201)

    @app.delete(f"{PREFIX}/messages/{{message_id}}", status_code=204, responses=ERRORS, tags=["status"])
    def delete_message(
        message_id: Annotated[int, FastApiPath(ge=1, le=MAX_INT)], request: Request, _user: AdminDep
    ) -> Response:
        """Withdraw an operating message (administrators)."""
        if not register.delete_message(request.app.state.engine, message_id):
            raise ApiError(404, "not_found", f"no operating message {message_id}")
        return Response(status_code=204)
