"""Sign-in under attack: throttled per user name and per client address, across service processes,
with the failures in the audit log."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from conftest import ON_BOTH_DATABASES, SERVICE_USERS, Service, new_service

pytestmark = ON_BOTH_DATABASES


def sign_in(svc: Service, name: str, password: str) -> httpx.Response:
    return httpx.post(f"{svc.url}/api/v1/auth/token", json={"name": name, "password": password}, timeout=30)


def test_a_guessed_user_name_is_throttled_with_growing_delays(service: Service) -> None:
    right = SERVICE_USERS["erik"][2]
    wrong = [sign_in(service, "erik", f"guess-{n}") for n in range(6)]
    assert [a.status_code for a in wrong] == [401] * 6
    blocked = sign_in(service, "erik", right)  # the right password does not get through a block
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "1"
    assert blocked.json()["error"]["code"] == "throttled" and blocked.json()["error"]["retry_after"] == 1
    time.sleep(1.1)
    assert sign_in(service, "erik", "guess-6").status_code == 401
    assert sign_in(service, "erik", right).headers.get("Retry-After") == "2"  # the delay grows
    time.sleep(2.1)
    assert sign_in(service, "erik", right).status_code == 200  # after the block the right password works
    assert sign_in(service, "erik", "guess-7").status_code == 401  # and the count started again
    assert sign_in(service, "erik", right).status_code == 200


def test_many_user_names_from_one_address_are_throttled(service: Service) -> None:
    answers = [sign_in(service, f"nobody{n}", "x").status_code for n in range(21)]
    assert answers == [401] * 21
    refused = sign_in(service, "viv", SERVICE_USERS["viv"][2])  # a real user from the same address
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_throttling_holds_across_service_processes(service: Service, tmp_path: Path) -> None:
    other = new_service(service.db_url, tmp_path / "other.log")
    other.start()
    try:
        for n in range(6):
            assert sign_in(service if n % 2 else other, "bob", f"guess-{n}").status_code == 401
        assert sign_in(service, "bob", SERVICE_USERS["bob"][2]).status_code == 429
        assert sign_in(other, "bob", SERVICE_USERS["bob"][2]).status_code == 429
    finally:
        other.stop()


def test_failed_sign_ins_are_in_the_audit_log(service: Service) -> None:
    with service.http("alice") as alice:
        for n in range(3):
            sign_in(service, "edith", f"guess-{n}")
        sign_in(service, "mallory", "edith-secret-pw")
        surrogates = httpx.post(  # lone surrogates (JSON escapes): a clear 422, no crash
            f"{service.url}/api/v1/auth/token",
            content=b'{"name": "\\ud800", "password": "\\udfff"}',
            headers={"Content-Type": "application/json"},
        )
        log = alice.get("/audit/sign-ins").json()
        refused = service.http().get("/audit/sign-ins")
        with service.http("viv") as viv:
            not_admin = viv.get("/audit/sign-ins")
    assert refused.status_code == 401 and not_admin.status_code == 403
    assert surrogates.status_code == 422, surrogates.text
    assert log["failed_last_24h"] == 4
    events = [(e["user"], e["outcome"]) for e in log["events"]]
    assert events[:4] == [(None, "failed")] + [("edith", "failed")] * 3  # "mallory" is no user: no name kept
    assert ("alice", "signed_in") in events
    assert all(e["address"] == "127.0.0.1" for e in log["events"])
