"""Outbound webhooks, the pure part: endpoints, deliveries, which events an endpoint takes, and when a
failed delivery is tried again.

The retry schedule is Svix's (the Standard Webhooks authors'), stretched to about three days: immediately,
then 5 s, 5 min, 30 min, 2 h, 5 h and 10 h six times (67 h 35 min in all), each delay shortened by up to
15 % of jitter so a recovered receiver is not hit by every retry at once. A 429, 502 or 504 is a throttle:
its `Retry-After` is honoured when it asks for longer (up to 10 h). After the last attempt the delivery is
`failed`; an endpoint failing for 5 days in a row, or answering 410 once, is disabled.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.platform.clock import rfc3339

EVERY = "*"
RETRY_DELAYS = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=5), *(timedelta(hours=10),) * 6)
JITTER = 0.15
THROTTLE_STATUSES = frozenset({429, 502, 504})
MAX_RETRY_AFTER = timedelta(hours=10)
DISABLE_AFTER = timedelta(days=5)
ROTATION_OVERLAP = timedelta(hours=24)
TIMEOUT_SECONDS = 10
ATTEMPT_LEASE = timedelta(seconds=60)  # an attempt in flight holds its delivery this long (> the timeout)
MAX_ENDPOINTS = 20  # per tenant, like Svix's and Stripe's limits: each event fans out to at most this many
KEPT_ATTEMPTS = 10  # a delivery keeps its last attempts (status, timing, error)
DeliveryStatus = Literal["pending", "delivered", "failed"]

# The events a tenant may subscribe to (API.md), by resource. `<resource>.*` takes a resource's every event.
EVENT_TYPES = frozenset({
    "tenant.created", "tenant.settings_updated", "api_key.created", "api_key.revoked",
    "product.created", "product.updated", "warehouse.created", "stock.moved", "stock.low",
    "order.confirmed", "order.invoiced", "order.shipped", "order.delivered", "order.cancelled", "order.paid",
    "invoice.authorized", "invoice.rejected", "invoice.cancelled", "invoice.corrected", "invoice.numbers_voided",
    "charge.created", "charge.paid", "charge.overdue", "charge.cancelled", "charge.payment_unapplied",
    "dunning.step_sent", "bank_statement.imported", "bank_transaction.matched",
    "supplier.created", "purchase_order.created", "purchase_order.received", "purchase_order.cancelled",
    "inbound_invoice.received", "inbound_invoice.summary", "inbound_invoice.accepted", "inbound_invoice.rejected",
    "payable.created", "payable.scheduled", "payable.paid", "payable.overdue", "payable.cancelled",
    "webhook_endpoint.disabled",
})
RESOURCES = frozenset(t.split(".", 1)[0] for t in EVENT_TYPES)


class SealedSecret(BaseModel):
    """A signing secret as stored: encrypted (secrets.py); `retires_at` once a newer one replaced it."""

    sealed: dict[str, str]
    created_at: str
    retires_at: str | None = None


class Endpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None = None
    disabled: bool = False
    disabled_reason: str | None = None
    disabled_at: str | None = None
    secrets: list[SealedSecret] = Field(description="The current secret first, then any still in its 24 h overlap.")
    created_at: str
    updated_at: str
    version: int = 0

    def takes(self, event_type: str) -> bool:
        return not self.disabled and subscribed(self.events, event_type)

    def signing_secrets(self, now: datetime) -> list[SealedSecret]:
        """The secrets that sign a delivery now: the current one, and a replaced one for its last 24 h."""
        at = rfc3339(now)
        return [s for s in self.secrets if s.retires_at is None or s.retires_at > at]


class Attempt(BaseModel):
    at: str
    status_code: int | None
    duration_ms: int
    error: str | None = None


class Delivery(BaseModel):
    """One event to one endpoint: created once, attempted until a 2xx or the end of the schedule."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus = "pending"
    attempt: int = 0  # attempts made
    armed_at_attempt: int = 0  # the attempt count when it was (re)armed: the schedule restarts there
    next_attempt_at: str | None
    status_code: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    delivered_at: str | None = None
    created_at: str
    updated_at: str
    version: int = 0


def subscribed(patterns: list[str], event_type: str) -> bool:
    resource = event_type.split(".", 1)[0]
    return any(p == EVERY or p == event_type or p == f"{resource}.*" for p in patterns)


def unknown_patterns(patterns: list[str]) -> list[str]:
    """The filters that name no event we send (`*`, a known type, or `<known resource>.*` are fine)."""
    return [p for p in patterns
            if p != EVERY and p not in EVENT_TYPES and not (p.endswith(".*") and p[:-2] in RESOURCES)]


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def delivery_id(endpoint_id: str, event_id: str) -> str:
    """The one delivery of an event to an endpoint: `whd_` + the event's ULID time (deliveries list by
    event time) + 16 characters of a hash of the pair, so a repeat of the fan-out finds the same item."""
    digest = int.from_bytes(hashlib.sha256(f"{endpoint_id}:{event_id}".encode()).digest()[:10], "big")
    tail = "".join(_CROCKFORD[(digest >> (5 * i)) & 31] for i in range(15, -1, -1))
    return f"whd_{event_id.split('_', 1)[1][:10]}{tail}"


DUE_SHARDS = 4  # the sweep's index is split so no one partition takes every tenant's retries


def shard_of(delivery: str) -> int:
    return int(hashlib.sha256(delivery.encode()).hexdigest()[:2], 16) % DUE_SHARDS


def retry_delay(failures: int, status_code: int | None, retry_after: float | None, jitter: float) -> timedelta | None:
    """How long after the `failures`-th failed attempt (1-based, since the delivery was armed) the next one
    is made, or None when the schedule is spent. `jitter` in [0, 1) shortens the delay by up to 15 %."""
    if failures > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[failures - 1] * (1 - JITTER * jitter)
    if status_code in THROTTLE_STATUSES and retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def envelope_body(envelope: dict[str, Any]) -> bytes:
    """The bytes a delivery posts (and signs): the event envelope as compact JSON."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def short_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]
