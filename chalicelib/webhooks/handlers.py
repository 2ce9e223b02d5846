"""The webhooks queue's consumer and the sweep's schedule.

The queue carries three kinds of message: events from the bus (fanned out to the endpoints), and the
context's own `webhook_delivery` (one attempt) and `webhook_replay` (a page of a replay). The fan-out and
the attempts are idempotent by construction (deterministic delivery ids, claimed attempts), so they need no
consumer marker. A batch's attempts run side by side: one slow receiver (10 s at most) does not hold up
the others.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.platform.consumers import event_of_message
from chalicelib.platform.events import Event
from chalicelib.platform.observability import logger
from chalicelib.platform.resources import EVERY_EVENT
from chalicelib.webhooks import service
from chalicelib.webhooks.service import WebhookDeps

CONSUMER = "webhooks"


def on_event(event: Event, deps: WebhookDeps) -> None:
    service.fan_out(event, deps)


HANDLERS = {EVERY_EVENT: on_event}


def _one(record: dict[str, Any], deps: WebhookDeps) -> dict[str, Any] | None:
    """Handle one message; the failure to report, or None."""
    try:
        body = json.loads(record["body"])
        if "webhook_delivery" in body:
            ref = body["webhook_delivery"]
            service.attempt(ref["tenant_id"], ref["endpoint_id"], ref["delivery_id"], deps)
        elif "webhook_replay" in body:
            service.replay_page(body["webhook_replay"], deps)
        else:
            on_event(event_of_message(record), deps)
        return None
    except Exception:  # noqa: BLE001 - report the one message; SQS redelivers it, then the DLQ
        logger.exception("message failed", extra={"consumer": CONSUMER, "message_id": record.get("messageId")})
        return {"itemIdentifier": record.get("messageId")}


def handle(lambda_event: dict[str, Any], deps: WebhookDeps) -> dict[str, Any]:
    records = lambda_event.get("Records", [])
    if len(records) <= 1:
        failures = [_one(r, deps) for r in records]
    else:
        with ThreadPoolExecutor(max_workers=len(records)) as pool:
            failures = list(pool.map(lambda r: _one(r, deps), records))
    return {"batchItemFailures": [f for f in failures if f is not None]}


def run_sweep(deps: WebhookDeps) -> dict[str, int]:
    return service.sweep(deps)
