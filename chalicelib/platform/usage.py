"""Metered usage per tenant and month (America/Sao_Paulo): what a bill is computed from.

API calls are counted by the HTTP edge; orders, invoices and charges by the metering
consumer from their events (once per event); notifications and stored documents by the
code that sends or stores them. Each count is an atomic ADD on one item per month.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute

from chalicelib.platform import keys
from chalicelib.platform.clock import SAO_PAULO
from chalicelib.platform.dynamo import BaseRecord
from chalicelib.platform.events import Event
from chalicelib.platform.observability import logger

COUNTERS = ("api_calls", "orders", "invoices", "charges", "notifications", "storage_items")
# Event type -> the counter it adds one to.
METERED_EVENTS = {"order.confirmed": "orders", "invoice.authorized": "invoices", "charge.created": "charges"}


class UsageRecord(BaseRecord):
    api_calls = NumberAttribute(null=True)
    orders = NumberAttribute(null=True)
    invoices = NumberAttribute(null=True)
    charges = NumberAttribute(null=True)
    notifications = NumberAttribute(null=True)
    storage_items = NumberAttribute(null=True)


def month_of(instant: datetime) -> str:
    return instant.astimezone(SAO_PAULO).strftime("%Y-%m")


def meter(tenant_id: str, counter: str, at: datetime, amount: int = 1) -> None:
    if counter not in COUNTERS:
        raise ValueError(f"unknown usage counter {counter!r}")
    record = UsageRecord.at(keys.usage(tenant_id, month_of(at)), kind="usage")
    record.update(actions=[getattr(UsageRecord, counter).add(amount)])


def meter_quietly(tenant_id: str, counter: str, at: datetime) -> None:
    """Metering must never fail the request it counts."""
    try:
        meter(tenant_id, counter, at)
    except Exception:  # noqa: BLE001 - logged; a lost count is cheaper than a failed request
        logger.exception("usage not metered", extra={"counter": counter})


def usage_for(tenant_id: str, month: str) -> dict[str, int]:
    key = keys.usage(tenant_id, month)
    try:
        record = UsageRecord.get(key.pk, key.sk, consistent_read=True)
    except UsageRecord.DoesNotExist:
        return dict.fromkeys(COUNTERS, 0)
    return {name: int(getattr(record, name) or 0) for name in COUNTERS}


def meter_event(event: Event, _deps: None = None) -> None:
    counter = METERED_EVENTS.get(event.type)
    if counter:
        meter(event.tenant_id, counter, datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")))


HANDLERS = dict.fromkeys(METERED_EVENTS, meter_event)


def handle(lambda_event: dict[str, Any], deps: None) -> dict[str, Any]:
    """The metering consumer: each metered event counts once in its month."""
    from chalicelib.platform.consumers import consume

    return consume(lambda_event, "metering", HANDLERS, deps)
