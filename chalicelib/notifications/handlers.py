"""Consumers: platform events that a person should hear about."""

from __future__ import annotations

from typing import Any

from chalicelib import bootstrap
from chalicelib.notifications import model
from chalicelib.platform.clock import rfc3339
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event
from chalicelib.platform.usage import meter_quietly
from chalicelib.tenants import get_tenant

CONSUMER = "notifications"


def _send(event: Event, message: model.Message) -> None:
    message_id = bootstrap.notifier().send(message)
    notification_id = bootstrap.ids().new("ntf")
    bootstrap.notification_repository().add(event.tenant_id, notification_id, {
        "id": notification_id, "channel": "email", "to": message.to, "subject": message.subject,
        "template": message.template, "event_id": event.id, "provider_message_id": message_id,
        "sent_at": rfc3339(bootstrap.clock().now()),
    })
    meter_quietly(event.tenant_id, "notifications", bootstrap.clock().now())


def on_tenant_created(event: Event) -> None:
    tenant = event.data["tenant"]
    _send(event, model.welcome(tenant["email"], tenant["name"]))


def on_api_key_created(event: Event) -> None:
    if event.data.get("name") == "Default key":
        return  # the welcome message covers the tenant's first key
    tenant = get_tenant(event.tenant_id)
    _send(event, model.api_key_created(tenant.email, event.data["name"], event.data["prefix"]))


def on_api_key_revoked(event: Event) -> None:
    tenant = get_tenant(event.tenant_id)
    _send(event, model.api_key_revoked(tenant.email, event.data["name"]))


HANDLERS = {
    "tenant.created": on_tenant_created,
    "api_key.created": on_api_key_created,
    "api_key.revoked": on_api_key_revoked,
}


def handle(lambda_event: dict[str, Any]) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS)
