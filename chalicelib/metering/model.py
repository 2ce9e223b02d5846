"""The counters and the month they fall in: pure rules."""

from __future__ import annotations

from datetime import datetime

from chalicelib.platform.clock import SAO_PAULO

COUNTERS = ("api_calls", "orders", "invoices", "charges", "notifications", "storage_items")
# Event type -> the counter it adds one to.
METERED_EVENTS = {"order.confirmed": "orders", "invoice.authorized": "invoices", "charge.created": "charges"}


def month_of(instant: datetime) -> str:
    """The month (YYYY-MM) an instant falls in, in São Paulo: 23:30 UTC on the 31st is still that month."""
    return instant.astimezone(SAO_PAULO).strftime("%Y-%m")


def check_counter(counter: str) -> str:
    if counter not in COUNTERS:
        raise ValueError(f"unknown usage counter {counter!r}")
    return counter
