"""Consumer: the events that move money or goods, booked in the ledger once each."""

from __future__ import annotations

from typing import Any

from chalicelib.ledger.service import LedgerDeps, post_event
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "ledger"
BOOKED = ("invoice.authorized", "invoice.cancelled", "order.shipped", "charge.created", "charge.paid",
          "charge.cancelled", "charge.payment_unapplied", "bank_transaction.matched", "bank_statement.imported",
          "payable.created", "payable.paid", "payable.cancelled", "inbound_invoice.accepted")


def on_event(event: Event, deps: LedgerDeps) -> None:
    post_event(event, deps)


HANDLERS = dict.fromkeys(BOOKED, on_event)


def handle(lambda_event: dict[str, Any], deps: LedgerDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
