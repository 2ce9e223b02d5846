"""The outbox publisher: DynamoDB stream records of new event items → EventBridge.

Runs as a Lambda on the table's stream (filtered to INSERTs of `EVT#` items, in infra/)
and, locally, from the event runner with the same Lambda-shaped batches. Delivery is at
least once: a batch item that fails is reported, retried, and may be published twice;
consumers are idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.events import EVENT_SOURCE, Event, EventRecord
from chalicelib.platform.keys import EVENT_PREFIX
from chalicelib.platform.observability import logger

_deserializer = TypeDeserializer()
PUT_EVENTS_BATCH = 10


class EventBridgeBus:
    """Adapter: puts envelopes on the custom bus, detail-type = event type."""

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client, self._bus = client, bus_name

    def publish(self, events: list[Event]) -> list[str]:
        """Publish; return the ids of the events that failed."""
        failed: list[str] = []
        for start in range(0, len(events), PUT_EVENTS_BATCH):
            chunk = events[start:start + PUT_EVENTS_BATCH]
            answer = self._client.put_events(Entries=[{
                "Source": EVENT_SOURCE, "DetailType": e.type, "EventBusName": self._bus,
                "Detail": json.dumps(e.envelope(), separators=(",", ":")), "Resources": [],
            } for e in chunk])
            for event, entry in zip(chunk, answer.get("Entries", []), strict=False):
                if entry.get("ErrorCode"):
                    failed.append(event.id)
        return failed


def _image(record: dict[str, Any]) -> dict[str, Any]:
    image = record.get("dynamodb", {}).get("NewImage") or {}
    return {k: _deserializer.deserialize(v) for k, v in image.items()}


def publish_stream_batch(lambda_event: dict[str, Any], bus: EventBridgeBus, clock: Clock) -> dict[str, Any]:
    """Publish the outbox items of one stream batch; answer Lambda's partial-failure shape."""
    pending: list[tuple[str, Event]] = []
    for record in lambda_event.get("Records", []):
        image = _image(record)
        if record.get("eventName") != "INSERT" or not str(image.get("sk", "")).startswith(EVENT_PREFIX):
            continue
        pending.append((record["dynamodb"]["SequenceNumber"], Event.from_envelope(json.loads(image["body"]))))
    if not pending:
        return {"batchItemFailures": []}
    failed_ids = set(bus.publish([event for _, event in pending]))
    failures = []
    now = rfc3339(clock.now())
    for sequence, event in pending:
        if event.id in failed_ids:
            failures.append({"itemIdentifier": sequence})
            continue
        _mark_published(event, now)
    if failures:
        # Stream batches are ordered: report from the first failure on.
        first = next(i for i, (seq, _) in enumerate(pending) if {"itemIdentifier": seq} in failures)
        failures = [{"itemIdentifier": seq} for seq, _ in pending[first:]]
        logger.warning("events not published", extra={"failed": len(failures)})
    return {"batchItemFailures": failures}


def _mark_published(event: Event, at: str) -> None:
    from chalicelib.platform import keys

    key = keys.event(event.tenant_id, event.id)
    try:
        EventRecord.at(key).update(actions=[EventRecord.published_at.set(at)],
                                   condition=EventRecord.published_at.does_not_exist())
    except Exception:  # noqa: BLE001 - already marked by an earlier delivery: nothing to do
        logger.debug("event already marked published", extra={"event_id": event.id})
