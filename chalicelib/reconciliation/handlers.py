"""The reconciliation queue: a matched line's charge settled (again after a crash between the match and the
settlement; the repeat is a replay), once per event."""

from __future__ import annotations

from typing import Any

from chalicelib.platform.consumers import consume
from chalicelib.reconciliation import service
from chalicelib.reconciliation.service import ReconciliationDeps

CONSUMER = "reconciliation"

HANDLERS = {"bank_transaction.matched": service.handle_matched}


def handle(lambda_event: dict[str, Any], deps: ReconciliationDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
