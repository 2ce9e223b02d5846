"""Sent notifications, recorded per tenant."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute

from chalicelib.platform import keys
from chalicelib.platform.dynamo import BaseRecord, query_rows
from chalicelib.platform.pagination import Page, paginate


class NotificationRecord(BaseRecord):
    doc = JSONAttribute()


class DynamoNotificationRepository:
    def add(self, tenant_id: str, notification_id: str, doc: dict[str, Any]) -> None:
        NotificationRecord.at(keys.notification(tenant_id, notification_id), kind="notification",
                              doc=doc).save(condition=NotificationRecord.pk.does_not_exist())

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page[dict[str, Any]]:
        prefix = keys.notification_prefix(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[dict[str, Any], dict[str, str]]]:
            rows = query_rows(NotificationRecord, prefix.pk, NotificationRecord.sk.startswith(prefix.sk), n,
                              position, newest_first=True)
            return [(r.doc, pos) for r, pos in rows]

        return paginate(f"{tenant_id}:notifications", limit, cursor, fetch)
