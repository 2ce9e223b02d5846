"""Sent (and skipped) notifications, recorded per tenant, newest first."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition

from chalicelib.notifications import keys
from chalicelib.platform.dynamo import BaseRecord, get_item, query_rows
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.pagination import Page, paginate


class NotificationRecord(BaseRecord):
    doc = JSONAttribute()
    channel = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    charge_ids = ListAttribute(of=UnicodeAttribute, null=True)


class DynamoNotificationRepository:
    def add(self, tenant_id: str, doc: dict[str, Any]) -> None:
        NotificationRecord.at(keys.notification(tenant_id, doc["id"]), kind="notification", doc=doc,
                              channel=doc.get("channel"), customer_id=doc.get("customer_id"),
                              invoice_id=doc.get("invoice_id"), charge_ids=doc.get("charge_ids") or None,
                              ).save(condition=NotificationRecord.pk.does_not_exist())

    def get(self, tenant_id: str, notification_id: str) -> dict[str, Any]:
        record = get_item(NotificationRecord, keys.notification(tenant_id, notification_id),
                          NotFoundError(f"Notification {notification_id} not found."))
        return dict(record.doc)

    def list(self, tenant_id: str, limit: int, cursor: str | None, *, customer_id: str | None = None,
             charge_id: str | None = None, invoice_id: str | None = None,
             channel: str | None = None) -> Page[dict[str, Any]]:
        """A page of the tenant's notifications, newest first, narrowed by the filters given (each a filter
        on the tenant's partition: a tenant's messages grow with its customers, and a page stops at `limit`)."""
        prefix = keys.notification_prefix(tenant_id)
        filters: list[Condition] = []
        if customer_id:
            filters.append(NotificationRecord.customer_id == customer_id)
        if charge_id:
            filters.append(NotificationRecord.charge_ids.contains(charge_id))
        if invoice_id:
            filters.append(NotificationRecord.invoice_id == invoice_id)
        if channel:
            filters.append(NotificationRecord.channel == channel)
        only: Condition | None = None
        for condition in filters:
            only = condition if only is None else only & condition

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[dict[str, Any], dict[str, str]]]:
            rows = query_rows(NotificationRecord, prefix.pk, NotificationRecord.sk.startswith(prefix.sk), n,
                              position, newest_first=True, filter_condition=only)
            return [(r.doc, pos) for r, pos in rows]

        scope = f"{tenant_id}:notifications:{customer_id}:{charge_id}:{invoice_id}:{channel}"
        return paginate(scope, limit, cursor, fetch)
