"""Consumers: the events that create and cancel charges.

- `order.confirmed` `{"order": {...}}`: the order's charges, when the tenant has invoicing off;
- `invoice.authorized` `{"invoice": {"id", "order_id", ...}}`: the order's charges (read through
  the orders context's reader), when invoicing is on;
- `order.cancelled` `{"order": {...}}`: the order's open charges are cancelled.
Each is idempotent beyond the consumer's marker: the per-order claim makes one set of charges.
"""

from __future__ import annotations

from typing import Any

from chalicelib.collections import service
from chalicelib.collections.service import ChargeDeps
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "collections"


def on_order_confirmed(event: Event, deps: ChargeDeps) -> None:
    if deps.tenant(event.tenant_id).settings.invoicing.enabled:
        return  # the charges wait for the NF-e (invoice.authorized)
    service.create_order_charges(event.tenant_id, event.data["order"], deps)


def on_invoice_authorized(event: Event, deps: ChargeDeps) -> None:
    order_id = (event.data.get("invoice") or {}).get("order_id")
    if not order_id:
        return
    order = deps.order(event.tenant_id, order_id)
    service.create_order_charges(event.tenant_id, order.public(timeline=False), deps)


def on_order_cancelled(event: Event, deps: ChargeDeps) -> None:
    service.cancel_order_charges(event.tenant_id, event.data["order"], deps)


HANDLERS = {
    "order.confirmed": on_order_confirmed,
    "invoice.authorized": on_invoice_authorized,
    "order.cancelled": on_order_cancelled,
}


def handle(lambda_event: dict[str, Any], deps: ChargeDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)


def run_overdue(deps: ChargeDeps) -> dict[str, int]:
    """The daily schedule: late open charges become `overdue` (`charge.overdue`); how many did."""
    return {"overdue": service.mark_overdue_charges(deps)}
