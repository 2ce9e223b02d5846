"""Consumers: platform events that a person should hear about (the tenant, or the tenant's customer)."""

from __future__ import annotations

from typing import Any

from chalicelib.notifications import model, service
from chalicelib.notifications.service import NotificationDeps, send
from chalicelib.platform.consumers import consume
from chalicelib.platform.events import Event

CONSUMER = "notifications"


def on_tenant_created(event: Event, deps: NotificationDeps) -> None:
    tenant = event.data["tenant"]
    send(event, model.welcome(tenant["email"], tenant["name"]), deps)


def on_api_key_created(event: Event, deps: NotificationDeps) -> None:
    if event.data.get("name") == "Default key":
        return  # the welcome message covers the tenant's first key
    tenant = deps.tenant(event.tenant_id)
    send(event, model.api_key_created(tenant.email, event.data["name"], event.data["prefix"]), deps)


def on_api_key_revoked(event: Event, deps: NotificationDeps) -> None:
    tenant = deps.tenant(event.tenant_id)
    send(event, model.api_key_revoked(tenant.email, event.data["name"]), deps)


def on_invoice_authorized(event: Event, deps: NotificationDeps) -> None:
    service.invoice_authorized(event, deps)


def on_charge_created(event: Event, deps: NotificationDeps) -> None:
    service.charge_created(event, deps)


HANDLERS = {
    "tenant.created": on_tenant_created,
    "api_key.created": on_api_key_created,
    "api_key.revoked": on_api_key_revoked,
    "invoice.authorized": on_invoice_authorized,
    "charge.created": on_charge_created,
}


def handle(lambda_event: dict[str, Any], deps: NotificationDeps) -> dict[str, Any]:
    return consume(lambda_event, CONSUMER, HANDLERS, deps)
