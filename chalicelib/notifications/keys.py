"""The notifications context's DynamoDB keys: the messages sent. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_item

claim("notifications", "NTF#")


def notification(tenant_id: str, notification_id: str) -> Key:
    return tenant_item(tenant_id, "NTF#", notification_id)


def notification_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "NTF#")
