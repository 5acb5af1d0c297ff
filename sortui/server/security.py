"""Passwords (scrypt, salted, slow) and bearer tokens (random; only their hash is stored)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

# scrypt cost: about 50 ms and 16 MB per check on a laptop; stored with each hash so it can grow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
_DUMMY_SALT = secrets.token_bytes(16)
# At most HASH_SLOTS hashes at once per process (16 MB each), on threads of their own: memory
# freed by a hash stays with the thread's malloc arena, so hashing on every request thread (40)
# kept 16 MB on each of them. At most HASH_QUEUE sign-ins wait for a slot; a flood beyond that,
# or one kept waiting HASH_WAIT_S, is answered "busy".
HASH_SLOTS = 2
HASH_QUEUE = 16
HASH_WAIT_S = 10.0
_HASHERS = ThreadPoolExecutor(max_workers=HASH_SLOTS, thread_name_prefix="sortui-scrypt")
_ADMITTED = threading.BoundedSemaphore(HASH_QUEUE)


class HashingBusy(Exception):
    """Too many sign-ins are waiting for a hashing slot."""


def _hashed(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    """scrypt on one of the hashing threads."""
    if not _ADMITTED.acquire(timeout=HASH_WAIT_S):
        raise HashingBusy()
    try:
        job = _HASHERS.submit(hashlib.scrypt, password, salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
        return job.result()
    finally:
        _ADMITTED.release()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return _hashed(password.encode("utf-8", "surrogatepass"), salt, n, r, p)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64 parts)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check; an unknown user (``stored`` None) costs as much as a known one."""
    if stored is None:
        _scrypt(password, _DUMMY_SALT, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
