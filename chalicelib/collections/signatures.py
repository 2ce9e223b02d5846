"""Signed payment notices: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

The same scheme our outbound webhooks use (API.md), with a 5-minute tolerance on `t`: a notice
captured and replayed later fails, and a repeated notice inside the window is stopped by the
provider event id (see service.receive_payment_notice).
"""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.platform.errors import FieldError, UnauthenticatedError

SIGNATURE_HEADER = "x-signature"
TOLERANCE_SECONDS = 300


class InvalidSignatureError(UnauthenticatedError):
    """The notice's signature is missing, malformed or does not match its body."""

    code = "invalid_signature"
    title = "Invalid signature"


class SignatureExpiredError(InvalidSignatureError):
    """The signature's timestamp is outside the tolerance window (a stale or replayed notice)."""

    code = "signature_expired"
    title = "Signature expired"


def compute(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for a body sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={compute(secret, timestamp, body)}"


def parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header:
        raise InvalidSignatureError("The notice has no X-Signature header.",
                                    [FieldError("X-Signature", "is required")])
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise InvalidSignatureError("The X-Signature header must be 't=<unix>,v1=<hex>'.",
                                    [FieldError("X-Signature", "is malformed")])
    return timestamp, signatures


def verify(secret: str, body: bytes, header: str | None, now: int, tolerance: int = TOLERANCE_SECONDS) -> int:
    """The signed timestamp when a `v1` matches and `t` is within tolerance of `now`; raises otherwise."""
    timestamp, signatures = parse_header(header)
    expected = compute(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignatureError("The notice's signature does not match its body.",
                                    [FieldError("X-Signature", "does not match")])
    if abs(now - timestamp) > tolerance:
        raise SignatureExpiredError(f"The signature's timestamp is more than {tolerance} seconds from now.",
                                    [FieldError("X-Signature", f"t is {now - timestamp} seconds old")])
    return timestamp
