"""Incoming payment notices: verify who sent them, then read them into a `PaymentNotice`.

Each provider's notice names the tenant (we sign or register per tenant) and the provider's own
event id, which makes a repeated notice a no-op.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError

from chalicelib.collections import signatures
from chalicelib.collections.providers import PaymentNotice, UnknownProviderError
from chalicelib.platform.clock import Timestamp
from chalicelib.platform.errors import FieldError, InvalidRequestError, validation_errors
from chalicelib.platform.ids import is_id

PROVIDERS = ("local", "asaas")

TenantId = Annotated[str, StringConstraints(pattern=r"^ten_[0-9A-HJKMNP-TV-Z]{26}$")]


class LocalNoticeBody(BaseModel):
    """What the local provider posts (and what any PSP signing with our scheme may post)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,100}$")]
    type: Literal["payment.received"]
    tenant_id: TenantId
    charge_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    amount_cents: Annotated[StrictInt, Field(gt=0, le=1_000_000_000_000)]
    paid_at: Timestamp
    method: Literal["boleto", "pix", "card_link"]


def _json(raw: bytes) -> dict:  # type: ignore[type-arg]
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("The notice is not valid JSON.", [FieldError("body", "malformed JSON")]) from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The notice must be a JSON object.", [FieldError("body", "must be an object")])
    return body


def read_local_notice(raw: bytes, headers: dict[str, str], secret_of: Callable[[str], str | None],
                      now: int) -> PaymentNotice:
    """Verify the `X-Signature` with the tenant's secret, then parse. 401 before any field is trusted."""
    body = _json(raw)
    tenant_id = body.get("tenant_id")
    secret = secret_of(tenant_id) if isinstance(tenant_id, str) and is_id(tenant_id, "ten") else None
    if secret is None:
        # An unknown tenant looks exactly like a bad signature: nothing to learn by probing.
        signatures.parse_header(headers.get(signatures.SIGNATURE_HEADER))
        raise signatures.InvalidSignatureError("The notice's signature does not match its body.",
                                               [FieldError("X-Signature", "does not match")])
    signatures.verify(secret, raw, headers.get(signatures.SIGNATURE_HEADER), now)
    try:
        parsed = LocalNoticeBody.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequestError("Some fields of the notice are invalid.", validation_errors(exc)) from None
    if parsed.paid_at.tzinfo is None:
        raise InvalidRequestError("paid_at needs an offset.", [FieldError("paid_at", "must carry an offset")])
    return PaymentNotice(provider="local", event_id=parsed.id, tenant_id=parsed.tenant_id, charge_id=parsed.charge_id,
                         amount_cents=parsed.amount_cents, paid_at=parsed.paid_at.isoformat(), method=parsed.method)


def check_provider(name: str) -> str:
    if name not in PROVIDERS:
        raise UnknownProviderError(f"No payment provider '{name}'.", [FieldError("provider", "is not known")])
    return name
