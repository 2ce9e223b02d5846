"""Standard Webhooks signatures (standardwebhooks.com, spec v1): what every delivery carries, so partners
verify with their language's `standardwebhooks` library instead of code copied from our docs.

- `webhook-id`: the event id, stable across retries (a receiver dedupes on it);
- `webhook-timestamp`: Unix seconds of this attempt;
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed by the secret's
  base64 part (after `whsec_`); several space-separated while a rotated secret still signs.

Signing is a few lines of hmac (no runtime dependency); the tests verify it with the reference package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
KEY_BYTES = 24  # the reference libraries' secrets are 24 to 64 random bytes


def new_secret() -> str:
    """A fresh endpoint secret: `whsec_` + base64 of random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX):], validate=True)


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64>` of one secret over `<id>.<timestamp>.<body>`."""
    signed = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secrets_signing: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a delivery, signed by every secret in force (the current one first)."""
    if not secrets_signing:
        raise ValueError("a delivery is signed by at least one secret")
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signature(s, message_id, timestamp, body) for s in secrets_signing),
            "content-type": "application/json"}
