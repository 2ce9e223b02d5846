"""SQS consumers: EventBridge-shaped messages → handler, once per (consumer, event).

Delivery is at least once. Each event is claimed with a marker item written under a
condition; a crash leaves a lease that expires, so a redelivery can take it over. The
answer is Lambda's partial-batch shape, so one bad message does not fail its batch.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from chalicelib.platform import keys
from chalicelib.platform.dynamo import BaseRecord
from chalicelib.platform.events import Event
from chalicelib.platform.observability import logger

LEASE_SECONDS = 120
MARKER_RETENTION_SECONDS = 30 * 24 * 3600


class ProcessedRecord(BaseRecord):
    state = UnicodeAttribute()  # "running" | "done"
    lease_until = NumberAttribute()


def run_once(consumer: str, event: Event, action: Callable[[Event], None]) -> bool:
    """Run `action` for this event unless this consumer already did; True when it ran."""
    key = keys.processed_marker(event.tenant_id, consumer, event.id)
    now = int(time.time())
    marker = ProcessedRecord.at(key, kind="processed", state="running", lease_until=now + LEASE_SECONDS,
                                expires_at=now + MARKER_RETENTION_SECONDS)
    try:
        marker.save(condition=ProcessedRecord.pk.does_not_exist()
                    | ((ProcessedRecord.state == "running") & (ProcessedRecord.lease_until < now)))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        logger.info("event already handled", extra={"consumer": consumer, "event_id": event.id})
        return False
    try:
        action(event)
    except BaseException:
        marker.delete()
        raise
    marker.update(actions=[ProcessedRecord.state.set("done")])
    return True


def event_of_message(record: dict[str, Any]) -> Event:
    """The envelope inside an SQS message that EventBridge delivered."""
    message = json.loads(record["body"])
    return Event.from_envelope(message["detail"] if "detail" in message else message)


D = TypeVar("D")


def _with_deps(handler: Callable[[Event, D], None], deps: D, event: Event) -> None:
    handler(event, deps)


def each_message(lambda_event: dict[str, Any], consumer: str, handle_record: Callable[[dict[str, Any]], None],
                 side_by_side: bool = False) -> dict[str, Any]:
    """Hand each SQS record to `handle_record` and answer Lambda's partial-batch shape: a record that raises
    is logged and reported (SQS redelivers it, then the DLQ), the others are done. `side_by_side` runs a
    batch's records on threads (each slow one, an HTTP call, does not hold up the rest)."""

    def one(record: dict[str, Any]) -> dict[str, Any] | None:
        try:
            handle_record(record)
            return None
        except Exception:  # noqa: BLE001 - report the one message; SQS redelivers it, then the DLQ
            logger.exception("message failed", extra={"consumer": consumer, "message_id": record.get("messageId")})
            return {"itemIdentifier": record.get("messageId")}
        finally:
            logger.thread_safe_remove_keys(["tenant_id", "event_id", "event_type"])

    records = lambda_event.get("Records", [])
    if side_by_side and len(records) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(records)) as pool:
            outcomes = list(pool.map(one, records))
    else:
        outcomes = [one(record) for record in records]
    return {"batchItemFailures": [failure for failure in outcomes if failure is not None]}


def event_logged(record: dict[str, Any]) -> Event:
    """The record's event, with every log line about it naming its tenant and event from now on (thread-safe:
    the local runner drains queues on threads; `each_message` removes the keys after the record)."""
    event = event_of_message(record)
    logger.thread_safe_append_keys(tenant_id=event.tenant_id, event_id=event.id, event_type=event.type)
    return event


def consume(lambda_event: dict[str, Any], consumer: str, handlers: Mapping[str, Callable[[Event, D], None]],
            deps: D) -> dict[str, Any]:
    """Run each message's handler once per event (`run_once`), with the consumer's deps; report the
    messages that failed (SQS redelivers them, then the DLQ)."""

    def handle_record(record: dict[str, Any]) -> None:
        event = event_logged(record)
        handler = handlers.get(event.type)
        if handler is not None:
            run_once(consumer, event, functools.partial(_with_deps, handler, deps))

    return each_message(lambda_event, consumer, handle_record)
