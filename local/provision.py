"""Create the table, bus, rules, queues, bucket and sender from the one definitions module.

Idempotent: every step checks what exists first, so `make run` can call it on each start.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.config import Settings
from chalicelib.platform.events import EVENT_SOURCE
from chalicelib.platform.resources import DEFINITIONS, TTL_ATTRIBUTE, table_definition


def provision(settings: Settings, client: Any) -> dict[str, str]:
    """Create everything; return the queue URLs by consumer name."""
    provision_table(settings, client("dynamodb"))
    queues = provision_bus_and_queues(settings, client("events"), client("sqs"))
    ses = client("ses")
    if settings.notifications_sender not in ses.list_identities().get("Identities", []):
        ses.verify_email_identity(EmailAddress=settings.notifications_sender)
    s3 = client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if settings.documents_bucket not in existing:
        s3.create_bucket(Bucket=settings.documents_bucket)
    return queues


def provision_table(settings: Settings, dynamodb: Any) -> None:
    if settings.table_name in dynamodb.list_tables().get("TableNames", []):
        return
    dynamodb.create_table(**table_definition(settings.table_name))
    dynamodb.get_waiter("table_exists").wait(TableName=settings.table_name)
    try:
        dynamodb.update_time_to_live(TableName=settings.table_name,
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    except Exception:  # noqa: BLE001 - some local engines do not implement TTL; items still carry it
        pass


def provision_bus_and_queues(settings: Settings, events: Any, sqs: Any) -> dict[str, str]:
    buses = {b["Name"] for b in events.list_event_buses().get("EventBuses", [])}
    if settings.event_bus_name not in buses:
        events.create_event_bus(Name=settings.event_bus_name)
    urls = {}
    for consumer in DEFINITIONS.consumers:
        dlq_url = sqs.create_queue(QueueName=consumer.dlq_name)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName=consumer.queue_name, Attributes={
            "VisibilityTimeout": str(consumer.visibility_timeout_seconds),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": str(consumer.max_receive_count)}),
        })["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rule = f"{consumer.queue_name}-rule"
        events.put_rule(Name=rule, EventBusName=settings.event_bus_name,
                        EventPattern=json.dumps(consumer.event_pattern(EVENT_SOURCE)), State="ENABLED")
        events.put_targets(Rule=rule, EventBusName=settings.event_bus_name,
                           Targets=[{"Id": consumer.name, "Arn": arn}])
        urls[consumer.name] = url
    return urls
