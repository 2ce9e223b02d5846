"""Consumers: what other contexts' events change in an order.

Expected event data (the producers are the invoicing and collections contexts):
- `invoice.authorized|rejected|cancelled`: `{"invoice": {"id", "order_id", "number", "cancel_reason", ...}}`
- `charge.created|paid|overdue|cancelled`: `{"charge": {"id", "order_id", "amount_cents",
  "paid_amount_cents", "status", ...}}`; charges without an order are ignored.
"""

from __future__ import annotations

from typing import Any

from chalicelib.orders import service
from chalicelib.orders.service import OrderDeps
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "orders"


def on_invoice_authorized(event: Event, deps: OrderDeps) -> None:
    invoice = event.data["invoice"]
    if invoice.get("order_id"):
        service.mark_invoiced(event.tenant_id, invoice["order_id"], invoice["id"], deps)


def on_invoice_rejected(event: Event, deps: OrderDeps) -> None:
    invoice = event.data["invoice"]
    if invoice.get("order_id"):
        service.note_invoice(event.tenant_id, invoice["order_id"], invoice["id"], deps)


def on_invoice_cancelled(event: Event, deps: OrderDeps) -> None:
    invoice = event.data["invoice"]
    if invoice.get("order_id"):
        service.invoice_cancelled(event.tenant_id, invoice["order_id"], int(invoice["number"]),
                                  str(invoice.get("cancel_reason") or ""), deps)


def on_charge_changed(event: Event, deps: OrderDeps) -> None:
    charge = event.data["charge"]
    if not charge.get("order_id"):
        return
    service.record_charge(event.tenant_id, charge["order_id"], charge["id"], int(charge["amount_cents"]),
                          str(charge["status"]), int(charge.get("paid_amount_cents") or 0), deps,
                          version=int(charge.get("version") or 0), unapplied_cents=int(charge.get("unapplied_cents") or 0))


HANDLERS = {
    "invoice.authorized": on_invoice_authorized,
    "invoice.rejected": on_invoice_rejected,
    "invoice.cancelled": on_invoice_cancelled,
    "charge.created": on_charge_changed,
    "charge.paid": on_charge_changed,
    "charge.overdue": on_charge_changed,
    "charge.cancelled": on_charge_changed,
    "charge.payment_unapplied": on_charge_changed,
}


def handle(lambda_event: dict[str, Any], deps: OrderDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
