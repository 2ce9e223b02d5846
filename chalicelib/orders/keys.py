"""The orders context's DynamoDB keys: orders. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_index, tenant_item

claim("orders", "ORD#", "#ORDSTATUS#")


def order(tenant_id: str, order_id: str) -> Key:
    return tenant_item(tenant_id, "ORD#", order_id)


def order_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "ORD#")


def order_status_index(tenant_id: str, status: str, order_id: str) -> Key:
    """GSI1 entry: a tenant's orders in one status, newest id last."""
    return tenant_index(tenant_id, "ORDSTATUS", status, order_id)
