"""The HTTP client of the central service (httpx, with timeouts; TLS verified unless asked not to).

Every answer is checked: a service that is down gives ``ServiceUnavailable``, one that answers
something that is not the API's JSON gives ``BadAnswer``; neither changes anything locally.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from sortui import __version__
from sortui.domain import wire
from sortui.domain.codes import sor_id_errors
from sortui.domain.provisional import is_provisional
from sortui.sync.exit_codes import EXIT_CONFLICTS, EXIT_REFUSED, EXIT_UNAVAILABLE

API = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
STATUS_TIMEOUT = httpx.Timeout(3.0, connect=2.0)


class SyncError(Exception):
    """Something the user is told about; ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ServiceUnavailable(SyncError):
    """The service could not be reached (down, no network, timed out)."""

    exit_code = EXIT_UNAVAILABLE


class BadAnswer(SyncError):
    """The service answered something that is not the API's JSON."""

    exit_code = EXIT_UNAVAILABLE


class ServiceRefused(SyncError):
    """An error answer of the API (401, 403, 404, 413, 422, ...)."""

    exit_code = EXIT_REFUSED

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.details = status, code, details or {}


class ConflictAnswer(ServiceRefused):
    """409: nothing applied; ``conflicts`` has the service's value and version of every conflicting item."""

    exit_code = EXIT_CONFLICTS

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.details.get("conflicts") or [])


def normalise_url(url: str) -> str:
    """``https://host[:port]`` without a trailing slash or ``/api/v1`` (https when no scheme is given)."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SyncError(f"{url!r} is not a service address (http:// or https://HOST[:PORT])")
    base = str(parsed.copy_with(query=None, fragment=None)).rstrip("/")
    return base.removesuffix(API).rstrip("/")


def host_port(url: str) -> str:
    parsed = httpx.URL(normalise_url(url))
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.host}:{port}"


# -- answers --------------------------------------------------------------------


@dataclass(slots=True)
class TokenInfo:
    token: str = field(repr=False)
    expires_at: str
    user: dict[str, Any]


@dataclass(slots=True)
class PushAnswer:
    changeset: str
    applied: int
    replayed: bool
    versions: dict[tuple[str, str], int]
    created: dict[str, str] = field(default_factory=dict)  # provisional SOR id -> the one the service issued


@dataclass(slots=True)
class Change:
    seq: int
    changeset: str
    target: str
    key: str
    op: str
    field: str | None
    old: Any
    new: Any
    version: int
    user: str
    time: str


@dataclass(slots=True)
class ChangesPage:
    changes: list[Change]
    last_seq: int
    head: int
    more: bool


@dataclass(slots=True)
class ServiceStatus:
    """For the status bar and ``sortui status``: reachable?, the newest operating message, the feed head."""

    reachable: bool
    ok: bool = False
    head_seq: int | None = None
    service_id: str | None = None
    message: dict[str, Any] | None = None  # newest operating message: time, severity, text
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    latency_ms: float | None = None  # how long GET /status took, connecting included
    version: str | None = None
    database: str | None = None
    uptime_s: float | None = None
    availability: dict[str, Any] | None = None  # over the last 30 days, against the SLA (see server/availability.py)


def _need(body: Any, key: str, kind: type, what: str) -> Any:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadAnswer(f"the service's answer to {what} is not what sortui expects (no valid {key!r})")
    return value


# -- the client -------------------------------------------------------------------


class ServiceClient:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        insecure: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = normalise_url(url)
        self.token = token
        self._http = httpx.Client(
            base_url=self.url + API,
            verify=not insecure,
            timeout=timeout,
            headers={"User-Agent": f"sortui/{__version__}", "Accept": "application/json"},
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _headers(self, auth: bool) -> dict[str, str]:
        if not auth:
            return {}
        if not self.token:
            raise ServiceRefused(401, "unauthorized", "not signed in: run `sortui login URL`")
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        """Send a request and return the decoded JSON answer; raises a SyncError for anything else."""
        headers = self._headers(auth)
        try:
            answer = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException:
            raise ServiceUnavailable(f"the service at {self.url} did not answer in time") from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"cannot reach the service at {self.url} ({_reason(exc)})") from None
        return self._decode(answer, f"{method} {path}")

    def _decode(self, answer: httpx.Response, what: str) -> Any:
        if answer.status_code == 204:
            return None
        try:
            body = answer.json()
        except (ValueError, UnicodeDecodeError):
            raise BadAnswer(
                f"the service at {self.url} answered {what} with HTTP {answer.status_code} and something that is "
                "not JSON; is this a sortui service?"
            ) from None
        if answer.status_code >= 400:
            raise _refusal(answer.status_code, body, self.url)
        if answer.status_code >= 300:
            raise BadAnswer(f"the service at {self.url} answered {what} with a redirect (HTTP {answer.status_code})")
        return body

    # -- endpoints ----------------------------------------------------------------

    def sign_in(self, name: str, password: str) -> TokenInfo:
        body = self.request("POST", "/auth/token", auth=False, json={"name": name, "password": password})
        info = TokenInfo(
            _need(body, "token", str, "sign-in"),
            _need(body, "expires_at", str, "sign-in"),
            _need(body, "user", dict, "sign-in"),
        )
        self.token = info.token
        return info

    def sign_out(self) -> None:
        self.request("DELETE", "/auth/token")

    def me(self) -> dict[str, Any]:
        body = self.request("GET", "/auth/me")
        _need(body, "role", str, "auth/me")
        return body

    def status(self) -> dict[str, Any]:
        body = self.request("GET", "/status", auth=False)
        _need(body, "head_seq", int, "status")
        _need(body, "messages", list, "status")
        return body

    def push(self, changeset_id: str, operations: list[dict[str, Any]]) -> PushAnswer:
        body = self.request("POST", "/changesets", json={"id": changeset_id, "operations": operations})
        versions = {}
        for item in _need(body, "versions", list, "the changeset"):
            if not isinstance(item, dict) or item.get("target") not in ("entity", "location"):
                raise BadAnswer("the service's answer to the changeset has a malformed version")
            versions[item["target"], str(item.get("key"))] = _need(item, "version", int, "the changeset")
        return PushAnswer(
            _need(body, "changeset", str, "the changeset"),
            _need(body, "applied", int, "the changeset"),
            bool(body.get("replayed")),
            versions,
            _created(body.get("created") or {}),
        )

    def changes(self, since: int, limit: int = 1000) -> ChangesPage:
        body = self.request("GET", "/changes", params={"since": since, "limit": limit})
        items = [_change(c) for c in _need(body, "changes", list, "the change feed")]
        page = ChangesPage(
            items,
            _need(body, "last_seq", int, "the change feed"),
            _need(body, "head", int, "the change feed"),
            _need(body, "more", bool, "the change feed"),
        )
        if any(c.seq <= since for c in items) or (items and page.last_seq != items[-1].seq):
            raise BadAnswer("the service's change feed is out of order")
        return page

    def snapshot(self) -> Iterator[dict[str, Any]]:
        """The register as records (header, entity..., location..., end), read as they stream in."""
        try:
            with self._http.stream("GET", "/snapshot", headers=self._headers(True)) as answer:
                if answer.status_code != 200:
                    answer.read()
                    self._decode(answer, "GET /snapshot")
                    raise BadAnswer(f"the service answered the snapshot with HTTP {answer.status_code}")
                for line in answer.iter_lines():
                    if line.strip():
                        yield _snapshot_record(line)
        except httpx.TimeoutException:
            raise ServiceUnavailable(f"the service at {self.url} stopped answering during the snapshot") from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"lost the service at {self.url} during the snapshot ({_reason(exc)})") from None


def _created(value: Any) -> dict[str, str]:
    """The ids the service issued for units created here: each a SOR id, none provisional."""
    ok = isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and not sor_id_errors(v) and not is_provisional(v)
        for k, v in value.items()
    )
    if not ok:
        raise BadAnswer("the service's answer to the changeset has malformed SOR ids for the created units")
    return dict(value)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def _refusal(status: int, body: Any, url: str) -> SyncError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return BadAnswer(f"the service at {url} answered HTTP {status} without an error message")
    details = {k: v for k, v in error.items() if k not in ("code", "message")}
    cls = ConflictAnswer if status == 409 and error.get("code") == "conflict" else ServiceRefused
    return cls(status, str(error.get("code", "error")), error["message"], details)


def _change(c: Any) -> Change:
    what = "the change feed"
    change = Change(
        _need(c, "seq", int, what),
        _need(c, "changeset", str, what),
        _need(c, "target", str, what),
        _need(c, "key", str, what),
        _need(c, "op", str, what),
        c.get("field"),
        c.get("old"),
        c.get("new"),
        _need(c, "version", int, what),
        str(c.get("user", "")),
        str(c.get("time", "")),
    )
    problem = wire.operation_problem(change.target, change.op, change.field, change.new)
    if problem:
        raise BadAnswer(f"the service's change {change.seq} is malformed: {problem}")
    return change


def _snapshot_record(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError:
        raise BadAnswer("the service's snapshot has a line that is not JSON") from None
    kind = record.get("type") if isinstance(record, dict) else None
    if kind not in ("header", "entity", "location", "end"):
        raise BadAnswer("the service's snapshot has a record of unknown type")
    if kind in ("entity", "location"):
        _need(record, "data", dict, "the snapshot")
        _need(record, "version", int, "the snapshot")
    if kind == "header":
        _need(record, "seq", int, "the snapshot")
    return record


def status(url: str, insecure: bool = False, timeout: httpx.Timeout = STATUS_TIMEOUT) -> ServiceStatus:
    """The service's status and newest operating message, for the status bar. Never raises."""
    started = time.perf_counter()
    try:
        with ServiceClient(url, insecure=insecure, timeout=timeout) as client:
            body = client.status()
    except SyncError as exc:
        return ServiceStatus(reachable=not isinstance(exc, ServiceUnavailable), error=exc.message)
    latency = round((time.perf_counter() - started) * 1000, 1)
    messages = [m for m in body["messages"] if isinstance(m, dict)]
    return ServiceStatus(
        reachable=True,
        ok=body.get("status") == "ok",
        head_seq=body["head_seq"],
        service_id=body.get("service_id"),
        message=messages[0] if messages else None,
        messages=messages,
        latency_ms=latency,
        version=_optional(body, "version", str),
        database=_optional(body, "database", str),
        uptime_s=_optional(body, "uptime_s", (int, float)),
        availability=_optional(body, "availability", dict),
    )


def _optional(body: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """A field older services do not send (None then, or when it is not of the kind expected)."""
    value = body.get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None
