"""The service's log filter: ``redact`` masks what its two patterns mask (server/run.py)."""

from __future__ import annotations

from sortui.server.run import _BEARER, _SECRET_QUERY, redact


def test_redact_masks_what_both_patterns_mask() -> None:
    """``redact`` looks for '=' and "bearer" before substituting: the same text as both substitutions."""
    texts = [
        "GET /api/v1/changes?since=0&token=abc.def HTTP/1.1",
        "/x?PassWord=hunter2&key=k1&y=2",
        "Authorization: BeArEr abc.def/ghi",
        "bearer\tq=1",
        "Bearer",
        "a bearer  b c",
        "changeset 6f1c applied for alice: 1 operations",
        "127.0.0.1:5000",
        "&secret=1 BEARER x",
        "?access_token=",
        "ſecret=x bеarer y",  # a long s and a Cyrillic е: neither pattern matches them
    ]
    for text in texts:
        assert redact(text) == _BEARER.sub(r"\1***", _SECRET_QUERY.sub(r"\1***", text)), text
    assert redact("?token=abc Bearer xyz") == "?token=*** Bearer ***"
