"""Consumer: the report projections, each event applied once (its buckets and its mark in one transaction)."""

from __future__ import annotations

from typing import Any

from chalicelib.platform.consumers import consume
from chalicelib.reports.service import ReportDeps, on_order

CONSUMER = "reports"
HANDLERS = {"order.confirmed": on_order, "order.cancelled": on_order}


def handle(lambda_event: dict[str, Any], deps: ReportDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
