"""Consumer: each metered event counts once, in the month it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.metering.model import METERED_EVENTS
from chalicelib.metering.service import MeteringDeps, meter
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "metering"


def on_metered_event(event: Event, deps: MeteringDeps) -> None:
    meter(event.tenant_id, METERED_EVENTS[event.type],
          datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")), deps)


HANDLERS = dict.fromkeys(METERED_EVENTS, on_metered_event)


def handle(lambda_event: dict[str, Any], deps: MeteringDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
