"""The purchasing queue: an accepted supplier NF-e's steps (stock receipts, payables, the purchase order,
what was learned of the supplier's codes, the MD-e confirmation), each once, resumed where a crash left it."""

from __future__ import annotations

from typing import Any

from chalicelib.platform.consumers import consume
from chalicelib.purchasing import service
from chalicelib.purchasing.service import PurchasingDeps

CONSUMER = "purchasing"

HANDLERS = {"inbound_invoice.accepted": service.handle_accepted}


def handle(lambda_event: dict[str, Any], deps: PurchasingDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)


def run_hourly(deps: PurchasingDeps) -> dict[str, int]:
    return service.run_hourly(deps)
