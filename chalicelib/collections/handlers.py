"""Consumers: the events that create and cancel charges.

- `order.confirmed` `{"order": {...}}`: the order's charges, when the tenant has invoicing off;
- `invoice.authorized` `{"invoice": {"id", "order_id", ...}}`: the order's charges (read through
  `orders.get_order`), when invoicing is on;
- `order.cancelled` `{"order": {...}}`: the order's open charges are cancelled.
Each is idempotent beyond the consumer's marker: the per-order claim makes one set of charges.
"""

from __future__ import annotations

from typing import Any

from chalicelib import bootstrap
from chalicelib.collections import service
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "collections"


def _invoicing_enabled(tenant_id: str) -> bool:
    from chalicelib.tenants import get_tenant

    return bool(get_tenant(tenant_id).settings.invoicing.enabled)


def on_order_confirmed(event: Event) -> None:
    if _invoicing_enabled(event.tenant_id):
        return  # the charges wait for the NF-e (invoice.authorized)
    service.create_order_charges(event.tenant_id, event.data["order"], bootstrap.charge_deps())


def on_invoice_authorized(event: Event) -> None:
    from chalicelib.orders import get_order

    order_id = (event.data.get("invoice") or {}).get("order_id")
    if not order_id:
        return
    order = get_order(event.tenant_id, order_id)
    service.create_order_charges(event.tenant_id, order.public(timeline=False), bootstrap.charge_deps())


def on_order_cancelled(event: Event) -> None:
    service.cancel_order_charges(event.tenant_id, event.data["order"], bootstrap.charge_deps())


HANDLERS = {
    "order.confirmed": on_order_confirmed,
    "invoice.authorized": on_invoice_authorized,
    "order.cancelled": on_order_cancelled,
}


def handle(lambda_event: dict[str, Any]) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS)


def run_overdue(event: Any = None) -> int:
    """The daily schedule: late open charges become `overdue` (`charge.overdue`)."""
    return service.mark_overdue_charges(bootstrap.charge_deps())
