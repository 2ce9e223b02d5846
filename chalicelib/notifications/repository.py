"""Sent notifications, recorded per tenant."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.notifications import keys
from chalicelib.platform.dynamo import BaseRecord, query_rows
from chalicelib.platform.pagination import Page, paginate


class NotificationRecord(BaseRecord):
    doc = JSONAttribute()
    charge_id = UnicodeAttribute(null=True)


class DynamoNotificationRepository:
    def add(self, tenant_id: str, notification_id: str, doc: dict[str, Any]) -> None:
        NotificationRecord.at(keys.notification(tenant_id, notification_id), kind="notification",
                              doc=doc, charge_id=doc.get("charge_id")).save(condition=NotificationRecord.pk.does_not_exist())

    def list(self, tenant_id: str, charge_id: str | None, limit: int, cursor: str | None) -> Page[dict[str, Any]]:
        prefix = keys.notification_prefix(tenant_id)
        only = NotificationRecord.charge_id == charge_id if charge_id else None

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[dict[str, Any], dict[str, str]]]:
            rows = query_rows(NotificationRecord, prefix.pk, NotificationRecord.sk.startswith(prefix.sk), n,
                              position, newest_first=True, filter_condition=only)
            return [(r.doc, pos) for r, pos in rows]

        return paginate(f"{tenant_id}:notifications:{charge_id or '*'}", limit, cursor, fetch)
