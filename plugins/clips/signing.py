"""Signed, expiring tokens for URLs that need no API token (uploads and media)."""

from __future__ import annotations

import time
from typing import Any

from django.core import signing

from practika_site.core.errors import Forbidden

_SALT = "practika.clips.url"


def sign(purpose: str, payload: dict[str, Any], *, expires_at: float) -> str:
    return signing.dumps({"p": purpose, "e": int(expires_at), **payload}, salt=_SALT, compress=True)


def unsign(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a valid, unexpired token for ``purpose``; 403 otherwise."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature as exc:
        raise Forbidden("The link's signature is not valid.", code="bad_signature") from exc
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        raise Forbidden("The link's signature is not valid.", code="bad_signature")
    if int(payload.get("e", 0)) < time.time():
        raise Forbidden("The link has expired.", code="link_expired")
    return payload
