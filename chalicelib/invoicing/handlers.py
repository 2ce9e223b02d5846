"""Consumers: orders become NF-e; cancelled orders cancel theirs."""

from __future__ import annotations

from typing import Any

from chalicelib.invoicing import service
from chalicelib.invoicing.service import InvoicingDeps
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event
from chalicelib.platform.observability import logger

CONSUMER = "invoicing"


def on_order_confirmed(event: Event, deps: InvoicingDeps) -> None:
    if not deps.tenant(event.tenant_id).settings.invoicing.enabled:
        return
    order_id = event.data["order"]["id"]
    if deps.order(event.tenant_id, order_id).status == "cancelled":
        return  # cancelled before its NF-e: nothing to emit (and no number taken)
    service.emit_invoice(event.tenant_id, order_id, deps)


def on_order_cancelled(event: Event, deps: InvoicingDeps) -> None:
    order = event.data["order"]
    invoice = deps.repo.find_by_order(event.tenant_id, order["id"])
    if invoice is not None and invoice.status == "rejected" and not invoice.number_voided:
        # Its number will never be used: void it (inutilização), so no gap is left unexplained.
        service.void_numbers(event.tenant_id, invoice.series, invoice.number, invoice.number,
                             f"NF-e rejeitada de pedido cancelado ({order['id']}), numero nao utilizado",
                             deps)
        return
    if invoice is None or invoice.status != "authorized":
        return
    from chalicelib.invoicing.nfe_xml import sanitize_text

    # The order's reason is free text: as xJust it must be one line of Latin-1 (SEFAZ's pattern).
    reason = sanitize_text(f"Pedido {order['id']} cancelado: {order.get('cancel_reason') or 'sem motivo informado'}", 255)
    try:
        service.cancel_invoice(event.tenant_id, invoice.id, reason.ljust(15, "."), deps)
    except Exception:
        logger.exception("NF-e of a cancelled order not cancelled", extra={"invoice_id": invoice.id})
        raise


HANDLERS = {"order.confirmed": on_order_confirmed, "order.cancelled": on_order_cancelled}


def handle(lambda_event: dict[str, Any], deps: InvoicingDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
