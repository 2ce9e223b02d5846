"""Outbox → bus → queue → consumer, with moto; at-least-once delivery handled once."""

from __future__ import annotations

import json

from boto3.dynamodb.types import TypeSerializer

from chalicelib.notifications.handlers import handle
from chalicelib.platform.aws import client
from chalicelib.platform.config import get_settings
from chalicelib.platform.consumers import run_once
from chalicelib.platform.events import Event
from chalicelib.platform.publisher import publish_stream_batch
from chalicelib.platform.resources import DEFINITIONS
from chalicelib.tenants import service
from tests.api.conftest import tenant_body
from tests.deps import root

_serializer = TypeSerializer()


def stream_records(tenant_id: str) -> list[dict]:
    items = client("dynamodb").query(TableName=get_settings().table_name, KeyConditionExpression="pk = :p",
                                     ExpressionAttributeValues={":p": {"S": f"T#{tenant_id}"}})["Items"]
    return [{"eventName": "INSERT", "dynamodb": {"Keys": {"pk": i["pk"], "sk": i["sk"]}, "NewImage": i,
                                                 "SequenceNumber": str(n)}}
            for n, i in enumerate(items)]


def queue_messages(name: str) -> list[dict]:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def test_outbox_items_reach_the_consumers_queue_and_are_marked_published(aws):
    tenant, _, _ = service.create_tenant(service.NewTenant(**tenant_body()), root().tenants)
    answer = publish_stream_batch({"Records": stream_records(tenant.id)}, root().event_bus, root().clock)
    assert answer == {"batchItemFailures": []}
    consumer = DEFINITIONS.consumers[0]
    bodies = [json.loads(m["Body"]) for m in queue_messages(consumer.queue_name)]
    assert sorted(b["detail-type"] for b in bodies) == ["api_key.created", "tenant.created"]
    assert all(b["detail"]["tenant_id"] == tenant.id for b in bodies)
    events = root().event_log.list(tenant.id, None, 10, None).items
    assert all(published for _, published in events)


def test_non_outbox_records_are_ignored_by_the_publisher(aws):
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": {"sk": {"S": "EVT#x"}}, "SequenceNumber": "1"}}
    assert publish_stream_batch({"Records": [record]}, root().event_bus, root().clock) == \
        {"batchItemFailures": []}


def test_a_notice_delivered_twice_sends_one_email(aws):
    tenant, _, _ = service.create_tenant(service.NewTenant(**tenant_body()), root().tenants)
    created = root().event_log.list(tenant.id, "tenant.created", 1, None).items[0][0]
    message = {"messageId": "m1", "body": json.dumps({"detail-type": created.type, "detail": created.envelope()})}
    assert handle({"Records": [message]}, root().notifications) == {"batchItemFailures": []}
    assert handle({"Records": [dict(message, messageId="m2")]}, root().notifications) == {"batchItemFailures": []}
    sent = root().notification_repository.list(tenant.id, 10, None).items
    assert [n["template"] for n in sent] == ["welcome"]
    assert client("ses").get_send_quota()["SentLast24Hours"] == 1


def test_a_failing_handler_releases_its_claim_and_reports_the_message(aws):
    event = Event("evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "tenant.created", "ten_x", "2026-01-01T00:00:00Z", {})
    calls = []

    def boom(_: Event, _deps: None) -> None:
        calls.append(1)
        raise RuntimeError("provider down")

    message = {"messageId": "m1", "body": json.dumps({"detail": event.envelope()})}
    from chalicelib.platform.consumers import consume

    assert consume({"Records": [message]}, "test", {"tenant.created": boom}, None) == \
        {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert run_once("test", event, lambda e: calls.append(2)) is True
    assert run_once("test", event, lambda e: calls.append(3)) is False
    assert calls == [1, 2]


def test_metering_counts_each_order_event_once(aws):
    import app

    event = Event("evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "order.confirmed", "ten_x", "2026-03-31T23:30:00.000Z", {})
    message = {"messageId": "m1", "body": json.dumps({"detail": event.envelope()})}
    for _ in range(3):
        assert app.metering_consumer({"Records": [message]}, None) == {"batchItemFailures": []}
    from chalicelib.metering.service import usage_for

    assert usage_for("ten_x", "2026-03", root().metering)["orders"] == 1  # 23:30 UTC on the 31st is still March in São Paulo


def test_each_consumer_line_names_its_own_events_tenant_even_on_shared_threads(aws):
    import io
    import threading

    from chalicelib.platform.consumers import consume
    from chalicelib.platform.observability import logger

    barrier = threading.Barrier(2)

    def handler(event: Event, _deps: None) -> None:
        barrier.wait(timeout=5)  # both threads have set their keys before either logs
        logger.warning("handled")  # the tests log warnings and above

    def message(tenant: str, n: int) -> dict:
        envelope = {"id": f"evt_{n}", "type": "x.happened", "tenant_id": tenant,
                    "occurred_at": "2026-11-23T00:00:00.000Z", "data": {}}
        return {"messageId": f"m{n}", "body": json.dumps({"detail": envelope})}

    stream, handle_ = io.StringIO(), logger.registered_handler
    previous = handle_.setStream(stream)
    try:
        threads = [threading.Thread(target=consume, args=({"Records": [message(f"ten_{n}", n)]}, "logtest",
                                                          {"x.happened": handler}, None)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        handle_.setStream(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if '"handled"' in line]
    assert sorted((line["tenant_id"], line["event_id"]) for line in lines) == [("ten_1", "evt_1"), ("ten_2", "evt_2")]
