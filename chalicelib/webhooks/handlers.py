"""The webhooks queue's consumer and the sweep's schedule.

The queue carries three kinds of message: events from the bus (fanned out to the endpoints), and the
context's own `webhook_delivery` (one attempt) and `webhook_replay` (a page of a replay). The fan-out and
the attempts are idempotent by construction (deterministic delivery ids, claimed attempts), so they need no
consumer marker. A batch's attempts run side by side: one slow receiver (10 s at most) does not hold up
the others.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.consumers import each_message, event_logged
from chalicelib.platform.events import Event
from chalicelib.platform.resources import EVERY_EVENT
from chalicelib.webhooks import service
from chalicelib.webhooks.service import WebhookDeps

CONSUMER = "webhooks"


def on_event(event: Event, deps: WebhookDeps) -> None:
    service.fan_out(event, deps)


HANDLERS = {EVERY_EVENT: on_event}


def _handle_record(record: dict[str, Any], deps: WebhookDeps) -> None:
    body = json.loads(record["body"])
    if "webhook_delivery" in body:
        ref = body["webhook_delivery"]
        service.attempt(ref["tenant_id"], ref["endpoint_id"], ref["delivery_id"], deps)
    elif "webhook_replay" in body:
        service.replay_page(body["webhook_replay"], deps)
    else:
        on_event(event_logged(record), deps)


def handle(lambda_event: dict[str, Any], deps: WebhookDeps) -> dict[str, Any]:
    return each_message(lambda_event, CONSUMER, lambda record: _handle_record(record, deps), side_by_side=True)


def run_sweep(deps: WebhookDeps) -> dict[str, int]:
    return service.sweep(deps)
